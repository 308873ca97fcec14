/**
 * Autodiff ops that move elements without arithmetic: reshape (a view, no copy), transpose (an
 * axis permutation, one strided copy) and broadcastTo (one strided copy). Their backward rules are
 * the inverse moves: reshape back, the inverse permutation, and a sum over the stretched axes.
 */
import type { OpDef } from '../autograd/opdef';
import { ShapeError } from '../runtime/errors';
import { fmtShape, shapeSize } from '../runtime/tensor';
import { checkPerm, expandTo, permute } from './broadcast';
import { sumTo } from './reduce';

/** Resolves one `-1` in `shape` from `size`; throws a ShapeError naming `op` when it cannot fit. */
export function resolveShape(op: string, from: readonly number[], shape: readonly number[]): number[] {
  const size = shapeSize(from);
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) throw new ShapeError(`${op}: at most one -1 allowed in ${fmtShape(shape)}`);
  if (holes === 1) {
    const known = shapeSize(
      shape.filter((d) => d !== -1),
      op,
    );
    if (known === 0 || size % known !== 0) throw new ShapeError(`${op}: cannot view ${fmtShape(from)} (${size} elements) as ${fmtShape(shape)}`);
    return shape.map((d) => (d === -1 ? size / known : d));
  }
  if (shapeSize(shape, op) !== size)
    throw new ShapeError(`${op}: cannot view ${fmtShape(from)} (${size} elements) as ${fmtShape(shape)} (${shapeSize(shape)} elements)`);
  return [...shape];
}

/** The permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The default permutation of a transpose: all axes reversed. */
export function reversedAxes(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

/** Autodiff op `reshape(x, shape)`: a view of the same buffer. */
export const reshapeOp: OpDef<{ shape: readonly number[] }> = {
  forward: ([x], { shape }) => ({ out: x.runtime.view(x, resolveShape('reshape', x.shape, shape)) }),
  backward: ({ grad, inputs: [x] }) => [grad.runtime.view(grad, x.shape)],
};

/** Autodiff op `transpose(x, perm)`: output axis i is input axis perm[i]. */
export const transposeOp: OpDef<{ perm?: readonly number[] }> = {
  forward: ([x], { perm }) => ({ out: permute(x, perm ?? reversedAxes(x.rank)) }),
  backward: ({ grad, inputs: [x], attrs }) => {
    const perm = attrs.perm ?? reversedAxes(x.rank);
    checkPerm('transpose', x.shape, perm);
    return [permute(grad, inversePerm(perm))];
  },
};

/** Autodiff op `broadcastTo(x, shape)`: backward sums over the stretched axes. */
export const broadcastToOp: OpDef<{ shape: readonly number[] }> = {
  forward: ([x], { shape }) => ({ out: expandTo(x, shape) }),
  backward: ({ grad, inputs: [x] }) => [sumTo(grad, x.shape)],
};
