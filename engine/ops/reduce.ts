/**
 * Sums and means: of a whole tensor to a scalar (shaders/reduce_sum.wgsl: past 2,048 elements a
 * fixed grid of strided partial sums, then one workgroup's tree), and over any set of axes (shaders/reduce_axes.wgsl, one
 * invocation per output element). Also `sumTo`, which undoes a broadcast: the gradient of a
 * broadcast operand is the output gradient summed over the axes it was stretched along.
 */
import type { OpDef } from '../autograd/opdef';
import { ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32, expandTo } from './broadcast';
import { broadcastShapes, coalesce, stridesOf } from './strided';

const WG = 256;
const ITEMS = 8;
const PER_GROUP = WG * ITEMS;

/** Workgroup size of the first level of a two-level sum (shaders/reduce_sum.wgsl `sum_strided`). */
const STRIDED_WG = 64;
/** Most workgroups of that level: its partials (at most PER_GROUP) then fit one workgroup of `sum_partial`. */
const STRIDED_GROUPS = PER_GROUP / STRIDED_WG;
/** Elements per invocation of that level below which fewer workgroups are used. */
const STRIDED_MIN_ITEMS = 64;

/**
 * The grid of the first level of a sum of `n` elements: a few tens of workgroups of
 * {@link STRIDED_WG} (fewer for smaller arrays, so that each invocation adds at least
 * {@link STRIDED_MIN_ITEMS} elements), or 0 when one pass of `sum_partial` suffices.
 */
export function stridedSumGroups(n: number): number {
  if (n <= PER_GROUP) return 0;
  return Math.min(STRIDED_GROUPS, Math.ceil(n / (STRIDED_WG * STRIDED_MIN_ITEMS)));
}

/**
 * `alpha ·` the sum of all elements of `x` (of their squares if `square`), into a tensor of shape
 * `shape` (one element). A sum of squares (the global norm of a model's gradients, every step of a
 * clipped optimizer) takes two levels (shaders/reduce_sum.wgsl says why): past one workgroup's
 * worth, a fixed grid of strided partial sums without barriers, then one workgroup's tree. Its
 * terms are all ≥ 0, so the longer sequential sums of the first level cost little accuracy
 * (relative error at most γ_d, d = the depth of {@link sumOfSquaresDepth}); plain sums keep the
 * tree of every 2,048 elements, whose error bound grows with log n only.
 */
function sumAll(x: Tensor, shape: readonly number[], alpha: number, square = false): Tensor<'f32'> {
  const rt = x.runtime;
  let cur = x as Tensor<'f32'>;
  let n = x.size;
  let squared = false;
  const strided = square ? stridedSumGroups(n) : 0;
  if (strided > 0) {
    const partials = rt.empty([strided * STRIDED_WG]);
    const vec4 = n % 4 === 0;
    rt.dispatch({
      shader: 'reduce_sum',
      entry: vec4 ? 'sum_strided4' : 'sum_strided',
      overrides: square ? { WG: STRIDED_WG, SQUARE: 1 } : { WG: STRIDED_WG },
      uniforms: { n, scale: 1 },
      bindings: vec4 ? { x4: x, partials } : { x, partials },
      workgroups: [strided, 1, 1],
    });
    cur = partials;
    n = partials.size;
    squared = true;
  }
  do {
    const groups = Math.max(1, Math.ceil(n / PER_GROUP));
    const next = rt.empty(groups === 1 ? shape : [groups]);
    rt.dispatch({
      shader: 'reduce_sum',
      entry: 'sum_partial',
      // Only the first pass squares; later passes add the partial sums.
      overrides: square && !squared ? { WG, ITEMS, SQUARE: 1 } : { WG, ITEMS },
      uniforms: { n, scale: groups === 1 ? alpha : 1 },
      bindings: { x: cur, partials: next },
      workgroups: grid1d(groups, 1),
    });
    if (cur !== x) cur.dispose();
    cur = next;
    n = groups;
    squared = true;
  } while (n > 1);
  return cur;
}

/** The sum of all elements of `x`, as a tensor of shape []. */
export function sum(x: Tensor): Tensor<'f32'> {
  assertF32('sum', x);
  return sumAll(x, [], 1);
}

/**
 * The most additions on any path from a term to the result of {@link sumOfSquares} of `n`
 * elements: the relative error of the f32 result is at most γ_d = d·u / (1 − d·u), u = 2⁻²⁴ (its
 * terms are all ≥ 0), plus one rounding per square.
 */
export function sumOfSquaresDepth(n: number): number {
  const strided = stridedSumGroups(n);
  const threads = strided * STRIDED_WG;
  // The first level: a sequential sum per invocation, over vec4s (four sums added pairwise, two
  // more levels) when n is a multiple of 4.
  const first = strided === 0 ? 0 : n % 4 === 0 ? Math.ceil(n / 4 / threads) - 1 + 2 : Math.ceil(n / threads) - 1;
  const m = strided > 0 ? threads : n;
  // sum_partial: ITEMS sequential additions per invocation, then a tree of log2(WG) levels, per pass.
  let depth = first;
  for (let left = m; ; left = Math.ceil(left / PER_GROUP)) {
    depth += ITEMS + Math.log2(WG);
    if (left <= PER_GROUP) break;
  }
  return depth;
}

/**
 * Σ x², as a tensor of shape [] (squared L2 norm): a fixed grid of strided partial sums squaring
 * on load, then one workgroup's tree (two dispatches, one barrier tree in all).
 */
export function sumOfSquares(x: Tensor): Tensor<'f32'> {
  assertF32('sumOfSquares', x);
  return sumAll(x, [], 1, true);
}

/** Axes in range, non-negative, sorted and distinct; `undefined` means all axes. */
export function normalizeAxes(op: string, shape: readonly number[], axes?: readonly number[]): number[] {
  if (axes === undefined) return shape.map((_, i) => i);
  const out = axes.map((a) => {
    if (!Number.isInteger(a) || a < -shape.length || a >= shape.length) {
      throw new ShapeError(`${op}: axis ${a} is out of range for shape ${fmtShape(shape)}`);
    }
    return a < 0 ? a + shape.length : a;
  });
  const sorted = [...new Set(out)].sort((p, q) => p - q);
  if (sorted.length !== out.length) throw new ShapeError(`${op}: repeated axis in [${axes.join(', ')}] for shape ${fmtShape(shape)}`);
  return sorted;
}

/** The shape left after reducing `axes` of `shape` (kept as 1s with keepDims). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const set = new Set(axes);
  return keepDims ? shape.map((d, i) => (set.has(i) ? 1 : d)) : shape.filter((_, i) => !set.has(i));
}

/** `scale ·` the sum of `x` over the (normalized) `axes`, written as a fresh tensor of `outShape`. */
function reduceAxes(op: string, x: Tensor, axes: readonly number[], outShape: readonly number[], scale: number): Tensor<'f32'> {
  const rt = x.runtime;
  const strides = stridesOf(x.shape);
  const set = new Set(axes);
  const kept = x.shape.map((_, i) => i).filter((i) => !set.has(i));
  const nOut = kept.reduce((p, i) => p * x.shape[i], 1);
  const nRed = axes.reduce((p, i) => p * x.shape[i], 1);
  if (x.size === 0) {
    const zero = sumAll(x, [], 0);
    const out = expandTo(zero, outShape);
    zero.dispose();
    return out;
  }
  if (nOut === 1) return sumAll(x, outShape, scale);
  const k = coalesce(
    op,
    kept.map((i) => x.shape[i]),
    [kept.map((i) => strides[i])],
  );
  const r = coalesce(
    op,
    axes.map((i) => x.shape[i]),
    [axes.map((i) => strides[i])],
  );
  const out = rt.empty(outShape);
  rt.dispatch({
    shader: 'reduce_axes',
    entry: 'sum_axes',
    overrides: { WG },
    uniforms: {
      n_out: nOut,
      n_red: nRed,
      scale,
      out_shape: k.shape,
      out_strides: k.strides[0],
      red_shape: r.shape,
      red_strides: r.strides[0],
    },
    bindings: { x, out },
    workgroups: grid1d(nOut, WG),
  });
  return out;
}

/** Sum of `x` over `axes` (default all), dropping them unless `keepDims`. */
export function sumAxes(x: Tensor, axes?: readonly number[], keepDims = false): Tensor<'f32'> {
  assertF32('sum', x);
  const ax = normalizeAxes('sum', x.shape, axes);
  return reduceAxes('sum', x, ax, reducedShape(x.shape, ax, keepDims), 1);
}

/** Mean of `x` over `axes` (default all), dropping them unless `keepDims`. */
export function meanAxes(x: Tensor, axes?: readonly number[], keepDims = false): Tensor<'f32'> {
  assertF32('mean', x);
  const ax = normalizeAxes('mean', x.shape, axes);
  const count = ax.reduce((p, i) => p * x.shape[i], 1);
  if (count === 0) throw new ShapeError(`mean: no elements to average over axes [${ax.join(', ')}] of ${fmtShape(x.shape)}`);
  return reduceAxes('mean', x, ax, reducedShape(x.shape, ax, keepDims), 1 / count);
}

/**
 * `alpha ·` x summed down to `shape`, where `shape` broadcasts to x's shape: the gradient of an
 * operand that was broadcast. Returns `x` itself when there is nothing to do (same shape, alpha 1).
 */
export function sumTo(x: Tensor<'f32'>, shape: readonly number[], alpha = 1): Tensor<'f32'> {
  const full = broadcastShapes('sumTo', shape, x.shape);
  if (full.length !== x.rank || full.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(`sumTo: ${fmtShape(shape)} does not broadcast to ${fmtShape(x.shape)}`);
  }
  const lead = x.rank - shape.length;
  const axes = x.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1));
  if (axes.length === 0) return alpha === 1 ? x : expandTo(x, x.shape, alpha);
  return reduceAxes('sumTo', x, axes, shape, alpha);
}

/** Attributes of `sum` and `mean`. */
export interface ReduceAttrs {
  /** Axes to reduce (negative counts from the end); undefined means all. */
  axes?: readonly number[];
  keepDims?: boolean;
}

function reduceBackward(op: string, g: Tensor<'f32'>, x: Tensor, attrs: ReduceAttrs, mean: boolean): Tensor<'f32'> {
  const ax = normalizeAxes(op, x.shape, attrs.axes);
  const count = ax.reduce((p, i) => p * x.shape[i], 1);
  // Put the reduced axes back as 1s, then stretch: d(sum)/dx = 1, d(mean)/dx = 1/count.
  const kept = g.runtime.view(g, reducedShape(x.shape, ax, true));
  const dx = expandTo(kept, x.shape, mean ? 1 / count : 1);
  kept.dispose();
  return dx;
}

/** Autodiff op `sum(x, axes, keepDims)`. */
export const sumOp: OpDef<ReduceAttrs> = {
  forward: ([x], a) => ({ out: sumAxes(x, a.axes, a.keepDims) }),
  backward: ({ grad, inputs: [x], attrs }) => [reduceBackward('sum', grad, x, attrs, false)],
};

/** Autodiff op `mean(x, axes, keepDims)`. */
export const meanOp: OpDef<ReduceAttrs> = {
  forward: ([x], a) => ({ out: meanAxes(x, a.axes, a.keepDims) }),
  backward: ({ grad, inputs: [x], attrs }) => [reduceBackward('mean', grad, x, attrs, true)],
};
