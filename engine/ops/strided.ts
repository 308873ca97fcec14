/**
 * Index arithmetic shared by the broadcasting and layout ops (shaders/broadcast.wgsl): NumPy
 * broadcasting of shapes, row-major strides, and coalescing of any shape to the four dimensions the
 * kernel indexes. Coalescing merges neighbouring dimensions that are contiguous in every operand, so
 * a same-shape add becomes one flat dimension and a [B, N] + [N] bias add becomes two.
 */
import { ShapeError } from '../runtime/errors';
import { fmtShape } from '../runtime/tensor';

/** The most dimensions shaders/broadcast.wgsl indexes after coalescing. */
export const MAX_KERNEL_RANK = 4;

/** The shape `a` and `b` broadcast to (NumPy rules: align trailing dimensions; 1 stretches). */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = a.length - i >= 0 ? a[a.length - i] : 1;
    const db = b.length - i >= 0 ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dimension ${-i}: ${da} vs ${db})`);
    }
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/** Row-major element strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Strides with which an operand of shape `shape` is read along each dimension of `outShape` it
 * broadcasts to: 0 along dimensions it is stretched over (or lacks), its own strides elsewhere.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]));
}

/** A 4-D iteration space with one stride vector per operand, ready for the kernel's uniforms. */
export interface Coalesced {
  shape: [number, number, number, number];
  strides: [number, number, number, number][];
}

/**
 * Drops size-1 dimensions and merges neighbours that are contiguous in every operand, then pads
 * to four dimensions. Throws a {@link ShapeError} naming `op` if more than four remain.
 */
export function coalesce(op: string, outShape: readonly number[], strides: readonly (readonly number[])[]): Coalesced {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let i = 0; i < outShape.length; i++) {
    const d = outShape[i];
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[i] * d)) {
      dims[last] *= d;
      strides.forEach((s, k) => (st[k][last] = s[i]));
      continue;
    }
    dims.push(d);
    strides.forEach((s, k) => st[k].push(s[i]));
  }
  if (dims.length > MAX_KERNEL_RANK) {
    throw new ShapeError(
      `${op}: output ${fmtShape(outShape)} needs ${dims.length} dimensions after merging contiguous ones; the kernel indexes at most ${MAX_KERNEL_RANK}`,
    );
  }
  const pad = MAX_KERNEL_RANK - dims.length;
  const pad4 = (xs: number[], fillValue: number): [number, number, number, number] =>
    [...new Array<number>(pad).fill(fillValue), ...xs] as [number, number, number, number];
  return { shape: pad4(dims, 1), strides: st.map((s) => pad4(s, 0)) };
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
