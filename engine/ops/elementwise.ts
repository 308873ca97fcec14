/**
 * Elementwise ops on f32 tensors: add, sub, mul, div (with NumPy broadcasting), scale, relu, fill,
 * and the in-place accumulation the tape uses for gradients. Same-shape add and mul run the flat
 * kernels of shaders/elementwise.wgsl; anything that broadcasts runs shaders/broadcast.wgsl. Each
 * op is one dispatch recorded into the runtime's current batch. The autodiff ops add, sub, mul, div
 * and scale are defined at the end: forward and backward rule together.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32, binaryBroadcast } from './broadcast';
import { sumTo } from './reduce';
import { sameShape } from './strided';

const WG = 256;

function flatBinary(entry: 'add' | 'mul', a: Tensor, b: Tensor): Tensor<'f32'> {
  const rt = a.runtime;
  const out = rt.empty(a.shape);
  rt.dispatch({
    shader: 'elementwise',
    entry,
    overrides: { WG },
    uniforms: { n: a.size, alpha: 0 },
    bindings: { a, b, out },
    workgroups: grid1d(a.size, WG),
  });
  return out;
}

function unary(entry: 'scale' | 'relu', a: Tensor, alpha: number): Tensor<'f32'> {
  assertF32(entry, a);
  const rt = a.runtime;
  const out = rt.empty(a.shape);
  rt.dispatch({
    shader: 'elementwise',
    entry,
    overrides: { WG },
    uniforms: { n: a.size, alpha },
    bindings: { a, out },
    workgroups: grid1d(a.size, WG),
  });
  return out;
}

/** a + b, broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor<'f32'> {
  assertF32('add', a, b);
  return sameShape(a.shape, b.shape) ? flatBinary('add', a, b) : binaryBroadcast('add', a, b);
}

/** a − b, broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor<'f32'> {
  return binaryBroadcast('sub', a, b);
}

/** a ⊙ b (elementwise product), broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor<'f32'> {
  assertF32('mul', a, b);
  return sameShape(a.shape, b.shape) ? flatBinary('mul', a, b) : binaryBroadcast('mul', a, b);
}

/** a ÷ b (elementwise), broadcasting. */
export function div(a: Tensor, b: Tensor): Tensor<'f32'> {
  return binaryBroadcast('div', a, b);
}

/** alpha · a. */
export function scale(a: Tensor, alpha: number): Tensor<'f32'> {
  if (!Number.isFinite(alpha)) throw new ArgumentError(`scale: alpha must be finite, got ${alpha}`);
  return unary('scale', a, alpha);
}

/** max(a, 0). */
export function relu(a: Tensor): Tensor<'f32'> {
  return unary('relu', a, 0);
}

/** Writes `value` into every element of `out` (in place) and returns it. */
export function fill(out: Tensor<'f32'>, value: number): Tensor<'f32'> {
  assertF32('fill', out);
  const rt = out.runtime;
  rt.dispatch({
    shader: 'elementwise',
    entry: 'fill',
    overrides: { WG },
    uniforms: { n: out.size, alpha: value },
    bindings: { out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** `out += alpha · a` in place (same shapes); returns `out`. How gradients accumulate. */
export function addInto(out: Tensor<'f32'>, a: Tensor, alpha = 1): Tensor<'f32'> {
  assertF32('addInto', out, a);
  if (!sameShape(out.shape, a.shape)) throw new ShapeError(`addInto: shapes ${fmtShape(out.shape)} and ${fmtShape(a.shape)} do not match`);
  // WebGPU forbids binding one buffer as writable and as anything else in the same dispatch.
  if (out.buffer === a.buffer) throw new ArgumentError(`addInto: the destination ${fmtShape(out.shape)} and the addend live in the same GPU buffer`);
  const rt = out.runtime;
  rt.dispatch({
    shader: 'elementwise',
    entry: 'add_into',
    overrides: { WG },
    uniforms: { n: out.size, alpha },
    bindings: { a, out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** `sumTo(t, shape, alpha)`, disposing `t` unless it is the result. */
function reduceOwned(t: Tensor<'f32'>, shape: readonly number[], alpha = 1): Tensor<'f32'> {
  const r = sumTo(t, shape, alpha);
  if (r !== t) t.dispose();
  return r;
}

/** Autodiff op `a + b`: each operand gets the gradient summed over the axes it was broadcast along. */
export const addOp: OpDef<void> = {
  forward: ([a, b]) => ({ out: add(a, b) }),
  backward: ({ grad, inputs: [a, b], needs }) => [needs[0] ? sumTo(grad, a.shape) : null, needs[1] ? sumTo(grad, b.shape) : null],
};

/** Autodiff op `a − b`. */
export const subOp: OpDef<void> = {
  forward: ([a, b]) => ({ out: sub(a, b) }),
  backward: ({ grad, inputs: [a, b], needs }) => [needs[0] ? sumTo(grad, a.shape) : null, needs[1] ? sumTo(grad, b.shape, -1) : null],
};

/** Autodiff op `a ⊙ b`: d/da = g ⊙ b, d/db = g ⊙ a. */
export const mulOp: OpDef<void> = {
  forward: ([a, b]) => ({ out: mul(a, b) }),
  backward: ({ grad, inputs: [a, b], needs }) => [needs[0] ? reduceOwned(mul(grad, b), a.shape) : null, needs[1] ? reduceOwned(mul(grad, a), b.shape) : null],
};

/** Autodiff op `a ÷ b`: d/da = g / b, d/db = −(g / b) ⊙ (a / b). */
export const divOp: OpDef<void> = {
  forward: ([a, b]) => ({ out: div(a, b) }),
  backward: ({ grad, inputs: [a, b], out, needs }) => {
    const gOverB = div(grad, b);
    const db = needs[1] ? reduceOwned(mul(gOverB, out), b.shape, -1) : null;
    const da = needs[0] ? reduceOwned(gOverB, a.shape) : null;
    if (!needs[0]) gOverB.dispose();
    return [da, db];
  },
};

/** Autodiff op `alpha · x`. */
export const scaleOp: OpDef<{ alpha: number }> = {
  forward: ([x], { alpha }) => ({ out: scale(x, alpha) }),
  backward: ({ grad, attrs }) => [scale(grad, attrs.alpha)],
};
