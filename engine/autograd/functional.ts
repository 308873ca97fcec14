/**
 * The ops as functions of Vars (or bare tensors, taken as constants): what models are written
 * with. Each is one `apply` of the op table; shapes are checked by the op's forward, so a mismatch
 * anywhere in a graph fails at the op that has it, naming the op and the shapes.
 */
import type { Conv2dAttrs } from '../ops/conv';
import type { DropoutOptions } from '../ops/dropout';
import type { Pool2dOptions } from '../ops/pool';
import type { BatchNormAttrs } from '../ops/batchnorm';
import type { GaussianNoiseOptions } from '../ops/noise';
import type { OneHotOptions } from '../ops/gather';
import type { LinearAttrs, MatmulAttrs } from './ops/matmul';
import type { LabelSmoothing, Reduction } from '../ops/softmax-xent';
import { apply, type Input } from './tape';
import type { Var } from './var';

/** a + b, broadcasting. */
export const add = (a: Input, b: Input): Var => apply('add', [a, b], undefined);
/** a − b, broadcasting. */
export const sub = (a: Input, b: Input): Var => apply('sub', [a, b], undefined);
/** a ⊙ b, broadcasting. */
export const mul = (a: Input, b: Input): Var => apply('mul', [a, b], undefined);
/** a ÷ b, broadcasting. */
export const div = (a: Input, b: Input): Var => apply('div', [a, b], undefined);
/** alpha · x. */
export const scale = (x: Input, alpha: number): Var => apply('scale', [x], { alpha });
/** max(x, 0). */
export const relu = (x: Input): Var => apply('relu', [x], undefined);
/** tanh x. */
export const tanh = (x: Input): Var => apply('tanh', [x], undefined);
/** 1 / (1 + e^−x). */
export const sigmoid = (x: Input): Var => apply('sigmoid', [x], undefined);
/** e^x. */
export const exp = (x: Input): Var => apply('exp', [x], undefined);
/** ln x. */
export const log = (x: Input): Var => apply('log', [x], undefined);
/** |x|; the gradient is g·sign(x) (0 at 0). */
export const abs = (x: Input): Var => apply('abs', [x], undefined);
/** sign(x) ∈ {−1, 0, 1}; its gradient is zero. */
export const sign = (x: Input): Var => apply('sign', [x], undefined);
/** √x (x ≥ 0). */
export const sqrt = (x: Input): Var => apply('sqrt', [x], undefined);
/** 1/√(x + eps), eps a finite number ≥ 0. */
export const rsqrt = (x: Input, eps = 0): Var => apply('rsqrt', [x], { eps });
/** x². */
export const square = (x: Input): Var => apply('square', [x], undefined);
/** The L2 norm of each column of a 2-D w [rows, cols]: [cols] (0-norm columns get gradient 0). */
export const columnNorms = (w: Input): Var => apply('columnNorms', [w], undefined);
/** Sum over `axes` (default all). */
export const sum = (x: Input, axes?: readonly number[], keepDims = false): Var => apply('sum', [x], { axes, keepDims });
/** Mean over `axes` (default all). */
export const mean = (x: Input, axes?: readonly number[], keepDims = false): Var => apply('mean', [x], { axes, keepDims });
/** The same data with another shape (one -1 is inferred); no copy. */
export const reshape = (x: Input, shape: readonly number[]): Var => apply('reshape', [x], { shape });
/** Axes permuted (default: reversed). */
export const transpose = (x: Input, perm?: readonly number[]): Var => apply('transpose', [x], { perm });
/** x stretched to `shape` (NumPy broadcasting). */
export const broadcastTo = (x: Input, shape: readonly number[]): Var => apply('broadcastTo', [x], { shape });
/** Rows of `table` picked by the u32/i32 indices `idx`. */
export const gather = (table: Input, idx: Input): Var => apply('gather', [table, idx], undefined);
/** Labels as [count, k] rows of `off` with `on` at the label. */
export const oneHot = (labels: Input, k: number, opts: OneHotOptions = {}): Var => apply('oneHot', [labels], { k, ...opts });
/**
 * Fused softmax cross-entropy of logits [rows, k] against (soft) targets [rows, k], optionally
 * label-smoothed in the same kernel (`{ epsilon, convention: 'book' | 'uniform' }`, default 'book').
 */
export const softmaxCrossEntropy = (logits: Input, targets: Input, reduction: Reduction = 'mean', smoothing?: LabelSmoothing): Var =>
  apply('softmaxCrossEntropy', [logits, targets], smoothing ? { reduction, smoothing: { ...smoothing } } : { reduction });
/** op(a)·op(b) for 2-D a, b (transposes are read in place, never copied). */
export const matmul = (a: Input, b: Input, opts: MatmulAttrs = {}): Var => apply('matmul', [a, b], { transA: opts.transA, transB: opts.transB });
/** x·W + b (b optional), then ReLU if asked: one fused dispatch. x [batch, in], W [in, out], b [out]. */
export const linear = (x: Input, w: Input, b?: Input, opts: LinearAttrs = {}): Var => apply('linear', b ? [x, w, b] : [x, w], { relu: !!opts.relu });
/**
 * Dropout keyed by (seed, stream, offset): units kept with probability `keepProb`, scaled by 1/p
 * unless `scale: 'none'`. Advance `offset` (the step) every call for a fresh mask.
 */
export const dropout = (x: Input, key: DropoutOptions): Var => apply('dropout', [x], { ...key });
/**
 * x + std·z, z standard normal keyed by (seed, stream, offset) and the element index (input or
 * hidden-unit noise). The gradient passes through unchanged. Advance `offset` every call for fresh noise.
 */
export const gaussianNoise = (x: Input, options: GaussianNoiseOptions): Var => apply('gaussianNoise', [x], { ...options });
/**
 * dropout(relu(conv(x, w) + b)) over NHWC x [batch, h, w, c] and filters w [kh, kw, c, o] (b [o]
 * optional; ReLU and dropout optional, fused into the product's epilogue): [batch, oh, ow, o].
 */
export const conv2d = (x: Input, w: Input, b?: Input, attrs: Conv2dAttrs = {}): Var => apply('conv2d', b ? [x, w, b] : [x, w], { ...attrs });
/** Max pooling of NHWC x over windows of `kernel` (stride defaults to the window). */
export const maxPool2d = (x: Input, opts: Pool2dOptions): Var => apply('maxPool2d', [x], { ...opts });
/** Average pooling of NHWC x over windows of `kernel` (padding counts as zeros). */
export const avgPool2d = (x: Input, opts: Pool2dOptions): Var => apply('avgPool2d', [x], { ...opts });
/** Spatial dropout of NHWC x: one mask draw per (example, channel), keyed like `dropout`. */
export const dropout2d = (x: Input, key: DropoutOptions): Var => apply('dropout2d', [x], { ...key });
/**
 * Batch normalization of x [rows, features] per feature: γ ⊙ (x − μ)/√(σ² + ε) + β, with the batch's
 * statistics ('train' also updates the running ones in place: r ← (1 − m)·r + m·batch value, the
 * variance unbiased; 'batch' leaves them alone) or the running ones ('running'). Fused kernels
 * (engine/ops/batchnorm.ts); the running statistics get no gradient. `relu: true` fuses the ReLU
 * that follows: max(…, 0) in the same kernels, forward and backward.
 */
export const batchNorm = (x: Input, gamma: Input, beta: Input, runningMean: Input, runningVar: Input, attrs: BatchNormAttrs): Var =>
  apply('batchNorm', [x, gamma, beta, runningMean, runningVar], { ...attrs });
