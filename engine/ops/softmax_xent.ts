/**
 * Fused, numerically stable softmax cross-entropy with soft targets (shaders/softmax_xent.wgsl):
 * one dispatch forward (the loss of every row, reduced in the same kernel), one dispatch backward
 * (g · (softmax − target), scaled). Also the running-metrics kernel a training loop uses to add a
 * batch's loss sum and correct count to a GPU accumulator without reading anything back.
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
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = 'mean'): Tensor<'f32'> {
  const { rows, k } = check('softmaxCrossEntropy', logits, targets);
  const rt = logits.runtime;
  if (reduction === 'none') {
    const out = rt.empty([rows]);
    rt.dispatch({
      shader: 'softmax_xent',
      entry: 'xent_rows',
      overrides: { WG },
      uniforms: { rows, k, scale: 1, per_row: 0 },
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
    uniforms: { rows, k, scale: reduction === 'mean' ? 1 / rows : 1, per_row: 0 },
    bindings: { logits, targets, out },
    workgroups: [1],
  });
  return out;
}

/** ∂loss/∂logits given the loss's incoming gradient `g` ([] for mean/sum, [rows] for none). */
export function softmaxCrossEntropyBackward(logits: Tensor, targets: Tensor, g: Tensor, reduction: Reduction): Tensor<'f32'> {
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
    uniforms: { rows, k, scale: reduction === 'mean' ? 1 / rows : 1, per_row: perRow ? 1 : 0 },
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
    uniforms: { rows, k, scale: 1, per_row: 0 },
    bindings: { logits, targets, out: acc },
    workgroups: [1],
  });
}

/**
 * Autodiff op `softmaxCrossEntropy(logits, targets)`. The targets are data (hard or smoothed
 * labels): asking for their gradient is an error rather than a silent zero.
 */
export const softmaxCrossEntropyOp: OpDef<{ reduction: Reduction }> = {
  forward: ([logits, targets], { reduction }) => ({ out: softmaxCrossEntropy(logits, targets, reduction) }),
  backward: ({ grad, inputs: [logits, targets], attrs, needs }) => {
    if (needs[1]) throw new ArgumentError(`softmaxCrossEntropy: no gradient with respect to the targets ${fmtShape(targets.shape)} (they are treated as data)`);
    return [softmaxCrossEntropyBackward(logits, targets, grad, attrs.reduction), null];
  },
};
