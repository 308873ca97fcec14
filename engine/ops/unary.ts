/**
 * Elementwise math on f32 tensors (shaders/unary.wgsl) and the autodiff ops relu, tanh, sigmoid,
 * exp, log, abs, sign, sqrt, rsqrt and square. Most backward rules are one fused kernel each, in
 * terms of the forward output where f' is a function of it (tanh, sigmoid, sqrt, rsqrt) and of the
 * input otherwise (abs, square); exp and log differentiate with other ops (g ⊙ y and g ÷ x), and
 * sign's gradient is zero.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { div, fill, mul, relu } from './elementwise';
import { sameShape } from './strided';

const WG = 256;

type ForwardEntry = 'tanh_fwd' | 'sigmoid_fwd' | 'exp_fwd' | 'log_fwd' | 'abs_fwd' | 'sign_fwd' | 'sqrt_fwd' | 'rsqrt_fwd' | 'square_fwd';
type GradEntry = 'relu_grad' | 'tanh_grad' | 'sigmoid_grad';
type FusedGradEntry = GradEntry | 'abs_grad' | 'sqrt_grad' | 'rsqrt_grad' | 'square_grad';

/** `alpha` is the uniform only rsqrt reads (its ε); the other kernels ignore it. */
function forward(entry: ForwardEntry, x: Tensor, alpha = 0): Tensor<'f32'> {
  assertF32(entry.replace('_fwd', ''), x);
  const rt = x.runtime;
  const out = rt.empty(x.shape);
  rt.dispatch({ shader: 'unary', entry, overrides: { WG }, uniforms: { n: x.size, alpha }, bindings: { x, out }, workgroups: grid1d(x.size, WG) });
  return out;
}

/** g ⊙ f'(·) by a fused backward kernel; `v` is the forward output or input, as the kernel reads it. */
function fusedGrad(entry: FusedGradEntry, v: Tensor, g: Tensor): Tensor<'f32'> {
  assertF32(entry, v, g);
  if (!sameShape(v.shape, g.shape)) throw new ShapeError(`${entry}: value ${fmtShape(v.shape)} and gradient ${fmtShape(g.shape)} differ`);
  const rt = v.runtime;
  const out = rt.empty(v.shape);
  rt.dispatch({ shader: 'unary', entry, overrides: { WG }, uniforms: { n: v.size, alpha: 0 }, bindings: { x: v, g, out }, workgroups: grid1d(v.size, WG) });
  return out;
}

/**
 * g ⊙ f'(x) for an activation f, from its output y = f(x): the fused backward kernels.
 * Exported for layers that fuse the activation into another kernel (matmul's relu epilogue).
 */
export function activationGrad(entry: GradEntry, y: Tensor, g: Tensor): Tensor<'f32'> {
  return fusedGrad(entry, y, g);
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

/** |x|, elementwise. */
export function abs(x: Tensor): Tensor<'f32'> {
  return forward('abs_fwd', x);
}

/** sign(x), elementwise: −1, 0 or 1 (0 at ±0). */
export function sign(x: Tensor): Tensor<'f32'> {
  return forward('sign_fwd', x);
}

/** √x, elementwise (x ≥ 0; WGSL leaves the root of a negative number indeterminate, not always NaN). */
export function sqrt(x: Tensor): Tensor<'f32'> {
  return forward('sqrt_fwd', x);
}

/**
 * 1/√(x + eps), elementwise (x + eps > 0; +∞ at 0). `eps` must be a finite number ≥ 0; it is added
 * in f32, in the same kernel.
 */
export function rsqrt(x: Tensor, eps = 0): Tensor<'f32'> {
  if (!(Number.isFinite(eps) && eps >= 0)) throw new ArgumentError(`rsqrt: eps must be a finite number ≥ 0, got ${eps}`);
  return forward('rsqrt_fwd', x, eps);
}

/** x², elementwise (one f32 multiplication: exactly Math.fround(x·x)). */
export function square(x: Tensor): Tensor<'f32'> {
  return forward('square_fwd', x);
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

/** Autodiff op abs: d/dx = g · sign(x) (0 at the kink). */
export const absOp: OpDef<void> = {
  forward: ([x]) => ({ out: abs(x) }),
  backward: ({ grad, inputs: [x] }) => [fusedGrad('abs_grad', x, grad)],
};

/** Autodiff op sign: piecewise constant, so d/dx = 0 (a zero tensor of x's shape). */
export const signOp: OpDef<void> = {
  forward: ([x]) => ({ out: sign(x) }),
  backward: ({ inputs: [x] }) => [fill(x.runtime.empty(x.shape), 0)],
};

/** Autodiff op sqrt: d/dx = g / 2y. */
export const sqrtOp: OpDef<void> = {
  forward: ([x]) => ({ out: sqrt(x) }),
  backward: ({ grad, out }) => [fusedGrad('sqrt_grad', out, grad)],
};

/** Autodiff op rsqrt: d/dx = −½ g y³ (y = (x + eps)^−½). */
export const rsqrtOp: OpDef<{ eps: number }> = {
  forward: ([x], { eps }) => ({ out: rsqrt(x, eps) }),
  backward: ({ grad, out }) => [fusedGrad('rsqrt_grad', out, grad)],
};

/** Autodiff op square: d/dx = 2 g x. */
export const squareOp: OpDef<void> = {
  forward: ([x]) => ({ out: square(x) }),
  backward: ({ grad, inputs: [x] }) => [fusedGrad('square_grad', x, grad)],
};
