/**
 * The op table: every autodiff op by name, with the type of its attributes. `OPS` must have an
 * entry — a forward and a backward rule — for every name of {@link OpAttrs}: adding a name without
 * its definition (or a definition without its backward) does not compile.
 */
import { addOp, divOp, mulOp, scaleOp, subOp } from '../ops/elementwise';
import { gatherOp, oneHotOp, type OneHotOptions } from '../ops/gather';
import { broadcastToOp, reshapeOp, transposeOp } from '../ops/layout';
import { meanOp, sumOp, type ReduceAttrs } from '../ops/reduce';
import { columnNormsOp } from '../ops/colnorm';
import { softmaxCrossEntropyOp, type SoftmaxCrossEntropyAttrs } from '../ops/softmax-xent';
import { absOp, expOp, logOp, reluOp, rsqrtOp, sigmoidOp, signOp, sqrtOp, squareOp, tanhOp } from '../ops/unary';
import type { DropoutOptions } from '../ops/dropout';
import { dropoutOp } from './ops/dropout';
import { gaussianNoiseOp, type GaussianNoiseOptions } from '../ops/noise';
import { linearChainOp, linearOp, matmulOp, type LinearAttrs, type LinearChainAttrs, type MatmulAttrs } from './ops/matmul';
import { conv2dOp, type Conv2dAttrs } from '../ops/conv';
import { dropout2dOp } from '../ops/dropout2d';
import { avgPool2dOp, maxPool2dOp, type Pool2dOptions } from '../ops/pool';
import { batchNormOp, type BatchNormAttrs } from '../ops/batchnorm';
import type { OpDef } from './opdef';

/** Each op's attributes (`void` when it has none). */
export interface OpAttrs {
  add: void;
  sub: void;
  mul: void;
  div: void;
  scale: { alpha: number };
  relu: void;
  tanh: void;
  sigmoid: void;
  exp: void;
  log: void;
  abs: void;
  sign: void;
  sqrt: void;
  rsqrt: { eps: number };
  square: void;
  columnNorms: void;
  sum: ReduceAttrs;
  mean: ReduceAttrs;
  reshape: { shape: readonly number[] };
  transpose: { perm?: readonly number[] };
  broadcastTo: { shape: readonly number[] };
  gather: void;
  oneHot: { k: number } & OneHotOptions;
  softmaxCrossEntropy: SoftmaxCrossEntropyAttrs;
  matmul: MatmulAttrs;
  linear: LinearAttrs;
  linearChain: LinearChainAttrs;
  dropout: DropoutOptions;
  gaussianNoise: GaussianNoiseOptions;
  conv2d: Conv2dAttrs;
  maxPool2d: Pool2dOptions;
  avgPool2d: Pool2dOptions;
  dropout2d: DropoutOptions;
  batchNorm: BatchNormAttrs;
}

/** The name of an autodiff op. */
export type OpName = keyof OpAttrs;

/** Every op's definition. */
export const OPS: { readonly [K in OpName]: OpDef<OpAttrs[K]> } = {
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  scale: scaleOp,
  relu: reluOp,
  tanh: tanhOp,
  sigmoid: sigmoidOp,
  exp: expOp,
  log: logOp,
  abs: absOp,
  sign: signOp,
  sqrt: sqrtOp,
  rsqrt: rsqrtOp,
  square: squareOp,
  columnNorms: columnNormsOp,
  sum: sumOp,
  mean: meanOp,
  reshape: reshapeOp,
  transpose: transposeOp,
  broadcastTo: broadcastToOp,
  gather: gatherOp,
  oneHot: oneHotOp,
  softmaxCrossEntropy: softmaxCrossEntropyOp,
  matmul: matmulOp,
  linear: linearOp,
  linearChain: linearChainOp,
  dropout: dropoutOp,
  gaussianNoise: gaussianNoiseOp,
  conv2d: conv2dOp,
  maxPool2d: maxPool2dOp,
  avgPool2d: avgPool2dOp,
  dropout2d: dropout2dOp,
  batchNorm: batchNormOp,
};
