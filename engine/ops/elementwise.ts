/**
 * Elementwise ops on f32 tensors: add, mul, scale, relu, fill. Forward kernels live in
 * shaders/elementwise.wgsl; each op is one dispatch recorded into the runtime's current batch.
 * (Backward rules join these in the autograd layer.)
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';

const WG = 256;

function assertF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    t.assertAlive(op);
    if (t.dtype !== 'f32') throw new ArgumentError(`${op}: expects f32 tensors, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  const ok = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (!ok) throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match`);
}

function binary(entry: 'add' | 'mul', a: Tensor, b: Tensor): Tensor<'f32'> {
  assertF32(entry, a, b);
  sameShape(entry, a, b);
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

/** a + b, same shapes. */
export function add(a: Tensor, b: Tensor): Tensor<'f32'> {
  return binary('add', a, b);
}

/** a ⊙ b (elementwise product), same shapes. */
export function mul(a: Tensor, b: Tensor): Tensor<'f32'> {
  return binary('mul', a, b);
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
