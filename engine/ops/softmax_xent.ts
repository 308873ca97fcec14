/**
 * Fused, numerically stable softmax cross-entropy with soft targets (shaders/softmax_xent.wgsl):
 * one dispatch forward (the loss of every row, reduced in the same kernel), one dispatch backward
 * (g · (softmax − target), scaled). Label smoothing is fused into both: the kernel reads the
 * targets through an affine map t' = scale·t + shift, so smoothed targets are never materialized.
 * Also the running-metrics kernel a training loop uses to add a batch's loss sum and correct count
 * to a GPU accumulator without reading anything back, and a plain row softmax.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { sameShape } from './strided';

const WG = 256;

/** How the per-row losses are combined: mean over rows (default), sum, or one loss per row. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Where label smoothing puts the mass ε for k classes. 'book' (Goodfellow et al., 7.5.1): 1 − ε on
 * the target, ε/(k − 1) on each other class. 'uniform' (PyTorch's `label_smoothing`, Keras, Optax):
 * a mix with the uniform distribution, 1 − ε + ε/k on the target and ε/k elsewhere.
 */
export type SmoothingConvention = 'book' | 'uniform';

/** Label smoothing of the targets: the mass `epsilon` ∈ [0, 1) moved off the target class. */
export interface LabelSmoothing {
  epsilon: number;
  /** Default 'book'. */
  convention?: SmoothingConvention;
}

/** What smoothing does to a one-hot row: the values on and off the target, and the affine map t' = scale·t + shift. */
export interface SmoothedTargets {
  on: number;
  off: number;
  scale: number;
  shift: number;
}

/**
 * The smoothed target values for `k` classes (f64) and the map t' = scale·t + shift that produces
 * them from one-hot rows (and mixes soft rows the same way, keeping their sums at 1). Throws an
 * ArgumentError unless 0 ≤ ε < 1, and for 'book' unless k ≥ 2 and ε ≤ (k − 1)/k (beyond that the
 * target class would get less mass than each of the others).
 */
export function smoothedTargetValues(epsilon: number, k: number, convention: SmoothingConvention = 'book'): SmoothedTargets {
  if (!(Number.isFinite(epsilon) && epsilon >= 0 && epsilon < 1)) {
    throw new ArgumentError(`label smoothing: epsilon must be in [0, 1), got ${epsilon}`);
  }
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`label smoothing: the number of classes must be a positive integer, got ${k}`);
  if (convention === 'uniform') {
    const off = epsilon / k;
    return { on: 1 - epsilon + off, off, scale: 1 - epsilon, shift: off };
  }
  if (convention !== 'book') throw new ArgumentError(`label smoothing: unknown convention ${String(convention)} ('book' or 'uniform')`);
  if (k < 2) throw new ArgumentError(`label smoothing: the 'book' convention spreads epsilon ${epsilon} over k − 1 other classes and needs k ≥ 2, got k = ${k}`);
  if (epsilon > (k - 1) / k) {
    throw new ArgumentError(`label smoothing: with the 'book' convention and k = ${k}, epsilon ${epsilon} exceeds (k − 1)/k = ${(k - 1) / k}: the target would get less mass than the other classes`);
  }
  const off = epsilon / (k - 1);
  const on = 1 - epsilon;
  return { on, off, scale: on - off, shift: off };
}

/** The uniforms of every softmax_xent dispatch; targets are read as is unless `smoothing` is given. */
function params(rows: number, k: number, scale: number, perRow: boolean, smoothing?: LabelSmoothing): Record<string, number> {
  const { scale: tScale, shift } = smoothing ? smoothedTargetValues(smoothing.epsilon, k, smoothing.convention) : { scale: 1, shift: 0 };
  return { rows, k, scale, per_row: perRow ? 1 : 0, t_scale: tScale, t_shift: shift };
}

function check(op: string, logits: Tensor, targets: Tensor): { rows: number; k: number } {
  assertF32(op, logits, targets);
  if (logits.rank !== 2) throw new ShapeError(`${op}: logits must be [rows, classes], got ${fmtShape(logits.shape)}`);
  if (!sameShape(logits.shape, targets.shape)) {
    throw new ShapeError(`${op}: logits ${fmtShape(logits.shape)} and targets ${fmtShape(targets.shape)} must have the same shape`);
  }
  const [rows, k] = logits.shape;
  if (k < 1) throw new ShapeError(`${op}: logits ${fmtShape(logits.shape)} have no classes`);
  return { rows, k };
}

/**
 * Cross-entropy of softmax(logits) against `targets` (same shape [rows, k]; each row a
 * distribution, or any non-negative weights): a scalar for 'mean' and 'sum', [rows] for 'none'.
 * With `smoothing`, against the smoothed targets (see {@link smoothedTargetValues}), in the same
 * kernel.
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = 'mean', smoothing?: LabelSmoothing): Tensor<'f32'> {
  const { rows, k } = check('softmaxCrossEntropy', logits, targets);
  const rt = logits.runtime;
  if (reduction === 'none') {
    const out = rt.empty([rows]);
    rt.dispatch({
      shader: 'softmax_xent',
      entry: 'xent_rows',
      overrides: { WG },
      uniforms: params(rows, k, 1, false, smoothing),
      bindings: { logits, targets, out },
      workgroups: grid1d(rows, WG),
    });
    return out;
  }
  if (reduction === 'mean' && rows === 0) throw new ShapeError(`softmaxCrossEntropy: the mean over ${fmtShape(logits.shape)} has no rows`);
  const out = rt.empty([]);
  rt.dispatch({
    shader: 'softmax_xent',
    entry: 'xent_reduce',
    overrides: { WG },
    uniforms: params(rows, k, reduction === 'mean' ? 1 / rows : 1, false, smoothing),
    bindings: { logits, targets, out },
    workgroups: [1],
  });
  return out;
}

/**
 * ∂loss/∂logits given the loss's incoming gradient `g` ([] for mean/sum, [rows] for none), with the
 * same `smoothing` as the forward.
 */
export function softmaxCrossEntropyBackward(logits: Tensor, targets: Tensor, g: Tensor, reduction: Reduction, smoothing?: LabelSmoothing): Tensor<'f32'> {
  const { rows, k } = check('softmaxCrossEntropy (backward)', logits, targets);
  const perRow = reduction === 'none';
  const want = perRow ? [rows] : [];
  if (!sameShape(g.shape, want)) throw new ShapeError(`softmaxCrossEntropy (backward): gradient ${fmtShape(g.shape)}, expected ${fmtShape(want)}`);
  const rt = logits.runtime;
  const out = rt.empty(logits.shape);
  rt.dispatch({
    shader: 'softmax_xent',
    entry: 'xent_backward',
    overrides: { WG },
    uniforms: params(rows, k, reduction === 'mean' ? 1 / rows : 1, perRow, smoothing),
    bindings: { logits, targets, g, out },
    workgroups: grid1d(rows, WG),
  });
  return out;
}

/**
 * Adds this batch's summed loss, number of correct rows (argmax of logits = argmax of targets) and
 * number of rows to `acc` (f32 [3], in place). Read `acc` back once per epoch.
 */
export function accumulateXentMetrics(logits: Tensor, targets: Tensor, acc: Tensor<'f32'>): void {
  const { rows, k } = check('accumulateXentMetrics', logits, targets);
  assertF32('accumulateXentMetrics', acc);
  if (acc.size !== 3) throw new ShapeError(`accumulateXentMetrics: the accumulator must have 3 elements, got ${fmtShape(acc.shape)}`);
  const rt = logits.runtime;
  rt.dispatch({
    shader: 'softmax_xent',
    entry: 'xent_metrics',
    overrides: { WG },
    uniforms: params(rows, k, 1, false),
    bindings: { logits, targets, out: acc },
    workgroups: [1],
  });
}

/** The rows of softmax(logits) for logits [rows, k]: probabilities [rows, k], one dispatch (no autodiff). */
export function softmaxRows(logits: Tensor): Tensor<'f32'> {
  assertF32('softmaxRows', logits);
  if (logits.rank !== 2) throw new ShapeError(`softmaxRows: logits must be [rows, classes], got ${fmtShape(logits.shape)}`);
  const [rows, k] = logits.shape;
  if (k < 1) throw new ShapeError(`softmaxRows: logits ${fmtShape(logits.shape)} have no classes`);
  const rt = logits.runtime;
  const out = rt.empty(logits.shape);
  rt.dispatch({
    shader: 'softmax_xent',
    entry: 'softmax_rows',
    overrides: { WG },
    uniforms: params(rows, k, 1, false),
    bindings: { logits, out },
    workgroups: grid1d(rows, WG),
  });
  return out;
}

/** Attributes of the autodiff op: the reduction, and optional label smoothing fused into the kernels. */
export interface SoftmaxCrossEntropyAttrs {
  reduction: Reduction;
  smoothing?: LabelSmoothing;
}

/**
 * Autodiff op `softmaxCrossEntropy(logits, targets)`. The targets are data (hard or smoothed
 * labels): asking for their gradient is an error rather than a silent zero.
 */
export const softmaxCrossEntropyOp: OpDef<SoftmaxCrossEntropyAttrs> = {
  forward: ([logits, targets], { reduction, smoothing }) => ({ out: softmaxCrossEntropy(logits, targets, reduction, smoothing) }),
  backward: ({ grad, inputs: [logits, targets], attrs, needs }) => {
    if (needs[1]) throw new ArgumentError(`softmaxCrossEntropy: no gradient with respect to the targets ${fmtShape(targets.shape)} (they are treated as data)`);
    return [softmaxCrossEntropyBackward(logits, targets, grad, attrs.reduction, attrs.smoothing), null];
  },
};
