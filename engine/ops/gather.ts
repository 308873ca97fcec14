/**
 * Row gathers and one-hot encoding (shaders/gather.wgsl), and their autodiff ops. A minibatch is a
 * gather of the uploaded data set by an index tensor: one dispatch for the pixels, one for the
 * labels or targets, no per-example upload.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type DType, type Tensor } from '../runtime/tensor';

const WG = 256;

function assertIndices(op: string, idx: Tensor): void {
  idx.assertAlive(op);
  if (idx.dtype !== 'u32' && idx.dtype !== 'i32') throw new ArgumentError(`${op}: indices must be u32 or i32, got ${idx.dtype} ${fmtShape(idx.shape)}`);
  if (idx.rank !== 1) throw new ShapeError(`${op}: indices must be 1-D, got ${fmtShape(idx.shape)}`);
}

/**
 * Throws an {@link ArgumentError} naming `op` unless every value of `values` is an integer in
 * [0, k). Labels and indices are checked on the CPU where they enter the engine: the kernels
 * cannot report a bad value without a readback.
 */
export function checkIndexRange(op: string, values: ArrayLike<number>, k: number, what = 'label'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new ArgumentError(`${op}: ${what} ${v} at position ${i} (of ${values.length}) is outside [0, ${k})`);
    }
  }
}

/** A window of an index tensor: `count` indices from position `start`. */
export interface IndexWindow {
  start: number;
  count: number;
}

/**
 * Rows of `table` (shape [rows, ...]) picked by `idx` (u32/i32 [n]): shape [n, ...], same dtype.
 * With `window`, only idx[start .. start + count) are used: a minibatch of an epoch's order.
 */
export function gatherRows<D extends DType>(table: Tensor<D>, idx: Tensor, window?: IndexWindow): Tensor<D> {
  table.assertAlive('gather');
  assertIndices('gather', idx);
  if (table.rank < 1) throw new ShapeError(`gather: the table must have at least one dimension, got ${fmtShape(table.shape)}`);
  const { start, count } = window ?? { start: 0, count: idx.size };
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > idx.size) {
    throw new ShapeError(`gather: window [${start}, ${start + count}) is outside the ${idx.size} indices`);
  }
  const rt = table.runtime;
  const width = table.shape.slice(1).reduce((p, d) => p * d, 1);
  const out = rt.empty([count, ...table.shape.slice(1)], table.dtype);
  rt.dispatch({
    shader: 'gather',
    entry: 'gather_rows',
    overrides: { WG },
    uniforms: { n: out.size, width, rows: table.shape[0], count, start, on: 0, off: 0 },
    bindings: { table, idx, out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** The gradient of a row gather: `grad` ([count, ...]) summed into a zero table of `tableShape`. */
export function scatterAddRows(grad: Tensor<'f32'>, idx: Tensor, tableShape: readonly number[]): Tensor<'f32'> {
  assertIndices('gather (backward)', idx);
  const rt = grad.runtime;
  const width = tableShape.slice(1).reduce((p, d) => p * d, 1);
  const out = rt.empty(tableShape);
  rt.dispatch({
    shader: 'gather',
    entry: 'scatter_add_rows',
    overrides: { WG },
    uniforms: { n: out.size, width, rows: tableShape[0], count: idx.size, start: 0, on: 0, off: 0 },
    bindings: { idx, grad, out_f32: out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** Value at the label (default 1). */
  on?: number;
  /** Value elsewhere (default 0). */
  off?: number;
}

/**
 * Labels (u32/i32 [count], each in [0, k)) as rows of `off` with `on` at the label: [count, k].
 * Labels outside [0, k) give a row of `off`; validate them with {@link checkIndexRange} where they
 * are created.
 */
export function oneHot(labels: Tensor, k: number, { on = 1, off = 0 }: OneHotOptions = {}): Tensor<'f32'> {
  assertIndices('oneHot', labels);
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`oneHot: the number of classes must be a positive integer, got ${k}`);
  const rt = labels.runtime;
  const out = rt.empty([labels.size, k]);
  rt.dispatch({
    shader: 'gather',
    entry: 'one_hot',
    overrides: { WG },
    uniforms: { n: out.size, width: k, rows: labels.size, count: labels.size, start: 0, on, off },
    bindings: { idx: labels, out_f32: out },
    workgroups: grid1d(out.size, WG),
  });
  return out;
}

/** Autodiff op `gather(table, idx)`: the table gets the gradient rows added back where they came from. */
export const gatherOp: OpDef<void> = {
  forward: ([table, idx]) => ({ out: gatherRows(table, idx) }),
  backward: ({ grad, inputs: [table, idx], needs }) => [needs[0] ? scatterAddRows(grad, idx, table.shape) : null, null],
};

/** Autodiff op `oneHot(labels, k)`: a constant of the labels (integers have no gradient). */
export const oneHotOp: OpDef<{ k: number } & OneHotOptions> = {
  forward: ([labels], { k, on, off }) => ({ out: oneHot(labels, k, { on, off }) }),
  backward: () => [null],
};
