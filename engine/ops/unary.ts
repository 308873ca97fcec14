/**
 * Elementwise math on f32 tensors (shaders/unary.wgsl) and the autodiff ops relu, tanh, sigmoid,
 * exp and log. The activations' backward rules are one fused kernel each, written in terms of the
 * forward output; exp and log differentiate with other ops (g ⊙ y and g ÷ x).
 */
import type { OpDef } from '../autograd/opdef';
import { ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { div, mul, relu } from './elementwise';
import { sameShape } from './strided';

const WG = 256;

type ForwardEntry = 'tanh_fwd' | 'sigmoid_fwd' | 'exp_fwd' | 'log_fwd';
type GradEntry = 'relu_grad' | 'tanh_grad' | 'sigmoid_grad';

function forward(entry: ForwardEntry, x: Tensor): Tensor<'f32'> {
  assertF32(entry.replace('_fwd', ''), x);
  const rt = x.runtime;
  const out = rt.empty(x.shape);
  rt.dispatch({ shader: 'unary', entry, overrides: { WG }, uniforms: { n: x.size }, bindings: { x, out }, workgroups: grid1d(x.size, WG) });
  return out;
}

/**
 * g ⊙ f'(x) for an activation f, from its output y = f(x): the fused backward kernels.
 * Exported for layers that fuse the activation into another kernel (matmul's relu epilogue).
 */
export function activationGrad(entry: GradEntry, y: Tensor, g: Tensor): Tensor<'f32'> {
  assertF32(entry, y, g);
  if (!sameShape(y.shape, g.shape)) throw new ShapeError(`${entry}: output ${fmtShape(y.shape)} and gradient ${fmtShape(g.shape)} differ`);
  const rt = y.runtime;
  const out = rt.empty(y.shape);
  rt.dispatch({ shader: 'unary', entry, overrides: { WG }, uniforms: { n: y.size }, bindings: { x: y, g, out }, workgroups: grid1d(y.size, WG) });
  return out;
}

/** tanh(x), elementwise. */
export function tanh(x: Tensor): Tensor<'f32'> {
  return forward('tanh_fwd', x);
}

/** 1 / (1 + e^−x), elementwise. */
export function sigmoid(x: Tensor): Tensor<'f32'> {
  return forward('sigmoid_fwd', x);
}

/** e^x, elementwise. */
export function exp(x: Tensor): Tensor<'f32'> {
  return forward('exp_fwd', x);
}

/** ln x, elementwise (NaN below 0, −∞ at 0). */
export function log(x: Tensor): Tensor<'f32'> {
  return forward('log_fwd', x);
}

/** Autodiff op relu: d/dx = g where y > 0. */
export const reluOp: OpDef<void> = {
  forward: ([x]) => ({ out: relu(x) }),
  backward: ({ grad, out }) => [activationGrad('relu_grad', out, grad)],
};

/** Autodiff op tanh: d/dx = g (1 − y²). */
export const tanhOp: OpDef<void> = {
  forward: ([x]) => ({ out: tanh(x) }),
  backward: ({ grad, out }) => [activationGrad('tanh_grad', out, grad)],
};

/** Autodiff op sigmoid: d/dx = g y (1 − y). */
export const sigmoidOp: OpDef<void> = {
  forward: ([x]) => ({ out: sigmoid(x) }),
  backward: ({ grad, out }) => [activationGrad('sigmoid_grad', out, grad)],
};

/** Autodiff op exp: d/dx = g ⊙ y. */
export const expOp: OpDef<void> = {
  forward: ([x]) => ({ out: exp(x) }),
  backward: ({ grad, out }) => [mul(grad, out)],
};

/** Autodiff op log: d/dx = g ÷ x. */
export const logOp: OpDef<void> = {
  forward: ([x]) => ({ out: log(x) }),
  backward: ({ grad, inputs: [x] }) => [div(grad, x)],
};
