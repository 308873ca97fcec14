/**
 * Tensor-level calls of shaders/broadcast.wgsl: binary ops with NumPy broadcasting, broadcast-to
 * and axis permutation. Each is one dispatch; the index arithmetic is in ./strided.
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { broadcastShapes, broadcastStrides, coalesce, stridesOf } from './strided';

const WG = 256;

/** The binary entry points of shaders/broadcast.wgsl. */
export type BinaryEntry = 'add' | 'sub' | 'mul' | 'div';

/** Throws unless every tensor is alive and f32. */
export function assertF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    t.assertAlive(op);
    if (t.dtype !== 'f32') throw new ArgumentError(`${op}: expects f32 tensors, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
}

/** a ∘ b with broadcasting, for ∘ one of + − × ÷. */
export function binaryBroadcast(entry: BinaryEntry, a: Tensor, b: Tensor): Tensor<'f32'> {
  assertF32(entry, a, b);
  const shape = broadcastShapes(entry, a.shape, b.shape);
  const c = coalesce(entry, shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const rt = a.runtime;
  const out = rt.empty(shape);
  rt.dispatch({
    shader: 'broadcast',
    entry,
    overrides: { WG },
    uniforms: { n: out.size, alpha: 1, shape: c.shape, a_strides: c.strides[0], b_strides: c.strides[1] },
    bindings: { a, b, out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

function copyStrided(op: string, x: Tensor, shape: readonly number[], strides: readonly number[], alpha: number): Tensor<'f32'> {
  const c = coalesce(op, shape, [strides]);
  const rt = x.runtime;
  const out = rt.empty(shape);
  rt.dispatch({
    shader: 'broadcast',
    entry: 'copy_strided',
    overrides: { WG },
    uniforms: { n: out.size, alpha, shape: c.shape, a_strides: c.strides[0], b_strides: [0, 0, 0, 0] },
    bindings: { a: x, out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** `alpha · x` stretched to `shape` (NumPy broadcasting rules); a new tensor even when shapes match. */
export function expandTo(x: Tensor, shape: readonly number[], alpha = 1): Tensor<'f32'> {
  assertF32('broadcastTo', x);
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`broadcastTo: ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(shape)}`);
  }
  return copyStrided('broadcastTo', x, shape, broadcastStrides(x.shape, shape), alpha);
}

/** Checks that `perm` is a permutation of 0..rank-1. */
export function checkPerm(op: string, shape: readonly number[], perm: readonly number[]): void {
  const ok = perm.length === shape.length && [...perm].sort((p, q) => p - q).every((p, i) => p === i);
  if (!ok) throw new ShapeError(`${op}: [${perm.join(', ')}] is not a permutation of the axes of ${fmtShape(shape)}`);
}

/** The axes of `x` reordered: output axis i is input axis perm[i] (a copy). */
export function permute(x: Tensor, perm: readonly number[]): Tensor<'f32'> {
  assertF32('transpose', x);
  checkPerm('transpose', x.shape, perm);
  const own = stridesOf(x.shape);
  return copyStrided(
    'transpose',
    x,
    perm.map((p) => x.shape[p]),
    perm.map((p) => own[p]),
    1,
  );
}
