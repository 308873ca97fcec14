/**
 * Fused, numerically stable softmax cross-entropy with soft targets (shaders/softmax_xent.wgsl):
 * one dispatch forward (the loss of every row, reduced in the same kernel), one dispatch backward
 * (g · (softmax − target), scaled). Label smoothing is fused into both: the kernel reads the
 * targets through an affine map t' = scale·t + shift, so smoothed targets are never materialized.
 * Also the running-metrics kernel a training loop uses to add a batch's loss sum and correct count
 * to a GPU accumulator without reading anything back, and a plain row softmax.
 *
 * The targets may also be integer labels already on the GPU (u32/i32 [rows]). They cannot be
 * checked on the host, so a small kernel checks them where they are (check_labels) and records the
 * first label outside [0, k) in a 16-byte status buffer per runtime, and the loss is computed from
 * their one-hot rows. The status is read back alongside the next readback of any tensor of the
 * runtime — reading the loss, the epoch's metrics, or the NaN guard's status every n steps — and a
 * finding throws {@link LabelRangeError} there: a check per call would need a readback per call
 * (a stall each step), while no readback at all would let a bad label train silently on a zero
 * target row. {@link checkLabels} reads it on demand. Labels that start on the host are checked on
 * the host (`GpuDataset.upload`, {@link labelTensor}).
 */
import type { OpDef } from '../autograd/opdef';
import { keepTensor } from '../autograd/scope';
import { ArgumentError, LabelRangeError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Runtime } from '../runtime/runtime';
import { serviceKey } from '../runtime/services';
import { fmtShape, READBACK_CHECKS, ReadbackChecks, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { checkIndexRange, oneHot } from './gather';
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
  if (k < 2)
    throw new ArgumentError(`label smoothing: the 'book' convention spreads epsilon ${epsilon} over k − 1 other classes and needs k ≥ 2, got k = ${k}`);
  if (epsilon > (k - 1) / k) {
    throw new ArgumentError(
      `label smoothing: with the 'book' convention and k = ${k}, epsilon ${epsilon} exceeds (k − 1)/k = ${(k - 1) / k}: the target would get less mass than the other classes`,
    );
  }
  const off = epsilon / (k - 1);
  const on = 1 - epsilon;
  return { on, off, scale: on - off, shift: off };
}

/** The uniforms of every softmax_xent dispatch; targets are read as is unless `smoothing` is given. */
function params(rows: number, k: number, scale: number, perRow: boolean, smoothing?: LabelSmoothing): Record<string, number> {
  const { scale: tScale, shift } = smoothing ? smoothedTargetValues(smoothing.epsilon, k, smoothing.convention) : { scale: 1, shift: 0 };
  return { rows, k, scale, per_row: perRow ? 1 : 0, t_scale: tScale, t_shift: shift, labels_signed: 0 };
}

/**
 * A runtime's label status (a service of the runtime): the status buffer (u32 [4]: found, row,
 * label bits, signed), made by the first check; whether a check is unread; and the classes of the
 * checks dispatched since the last reading (for the message). Its readback check is the runtime's
 * for the service's life; the runtime's disposal frees the buffer.
 */
class LabelStatus {
  status: Tensor<'u32'> | null = null;
  unread = false;
  readonly classes = new Set<number>();
  private readonly removeCheck: () => void;

  constructor(private readonly rt: Runtime) {
    this.removeCheck = rt.service(READBACK_CHECKS, () => new ReadbackChecks()).add(() => this.read('softmaxCrossEntropy'));
  }

  /** The status buffer, made (zeroed) if there is none. */
  buffer(): Tensor<'u32'> {
    if (!this.status || this.status.isDisposed) this.status = keepTensor(this.rt.tensor(new Uint32Array(4), [4], 'u32'));
    return this.status;
  }

  /** Reads the status if a check was recorded since the last reading; throws what it found. */
  async read(op: string): Promise<void> {
    const s = this.status;
    if (!this.unread || !s || s.isDisposed) return;
    this.unread = false;
    const classes = [...this.classes];
    this.classes.clear();
    const words = (await this.rt.read(s)) as Uint32Array;
    if (words[0] === 0) return;
    // Cleared for the runtime's next use (after the work already recorded).
    this.rt.flush();
    this.rt.device.queue.writeBuffer(s.buffer, s.byteOffset, new Uint32Array(4));
    const label = words[3] === 1 ? words[2] | 0 : words[2];
    throw new LabelRangeError(op, words[1], label, classes.length === 1 ? classes[0] : undefined);
  }

  /** Frees the buffer (a later check makes a new one); unread findings are dropped with it. */
  release(): void {
    this.status?.dispose();
    this.status = null;
    this.unread = false;
    this.classes.clear();
  }

  dispose(): void {
    this.release();
    this.removeCheck();
  }
}

const LABEL_STATUS = serviceKey<LabelStatus>('label-status');

/**
 * Records a check of integer labels (u32/i32 [rows], on the GPU) against [0, k): one small
 * dispatch, no readback. A label out of range is reported by the next readback on the runtime
 * (see the module comment) or by {@link checkLabels}. The finding belongs to the runtime, not to
 * one model: with two models on one runtime, the next readback of either raises it.
 */
export function checkLabelsOnGpu(labels: Tensor, k: number): void {
  if (labels.dtype !== 'u32' && labels.dtype !== 'i32')
    throw new ArgumentError(`checkLabelsOnGpu: labels must be u32 or i32, got ${labels.dtype} ${fmtShape(labels.shape)}`);
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`checkLabelsOnGpu: the number of classes must be a positive integer, got ${k}`);
  const rt = labels.runtime;
  const s = rt.service(LABEL_STATUS, (r) => new LabelStatus(r));
  rt.dispatch({
    shader: 'softmax_xent',
    entry: 'check_labels',
    overrides: { WG },
    uniforms: { ...params(labels.size, k, 1, false), labels_signed: labels.dtype === 'i32' ? 1 : 0 },
    bindings: { labels, label_status: s.buffer() },
    workgroups: [1],
  });
  s.unread = true;
  s.classes.add(k);
}

/** Waits for the label checks recorded on `rt` so far and throws {@link LabelRangeError} if one failed. */
export async function checkLabels(rt: Runtime): Promise<void> {
  await rt.findService(LABEL_STATUS)?.read('checkLabels');
}

/**
 * The runtime's label status buffer, if integer labels were ever checked on it: one small tensor
 * kept for the runtime's life (leak checks count it; {@link releaseLabelStatus} frees it).
 */
export function labelStatusTensor(rt: Runtime): Tensor<'u32'> | null {
  const s = rt.findService(LABEL_STATUS)?.status;
  return s && !s.isDisposed ? s : null;
}

/** Frees the label status buffer of `rt` (a later check makes a new one). */
export function releaseLabelStatus(rt: Runtime): void {
  rt.findService(LABEL_STATUS)?.release();
}

/** Host labels, checked on the host against [0, k) (ArgumentError naming the label and its position), as a u32 tensor. */
export function labelTensor(rt: Runtime, labels: ArrayLike<number>, k: number): Tensor<'u32'> {
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`labelTensor: the number of classes must be a positive integer, got ${k}`);
  checkIndexRange('labelTensor', labels, k);
  return rt.tensor(Uint32Array.from(labels), [labels.length], 'u32');
}

/**
 * The f32 targets of a call: `targets` itself, or for integer labels [rows] the one-hot rows
 * (after recording their check). `owned`: the caller disposes `t` after its dispatch.
 */
function denseTargets(op: string, logits: Tensor, targets: Tensor): { t: Tensor; owned: boolean } {
  if (targets.dtype === 'f32') return { t: targets, owned: false };
  targets.assertAlive(op);
  if (logits.rank !== 2) throw new ShapeError(`${op}: logits must be [rows, classes], got ${fmtShape(logits.shape)}`);
  if (targets.rank !== 1 || targets.size !== logits.shape[0]) {
    throw new ShapeError(
      `${op}: integer labels ${fmtShape(targets.shape)} ${targets.dtype} must be [rows] = [${logits.shape[0]}] for logits ${fmtShape(logits.shape)}`,
    );
  }
  const k = logits.shape[1];
  checkLabelsOnGpu(targets, k);
  return { t: oneHot(targets, k), owned: true };
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
 * distribution, or any non-negative weights), or against integer labels (u32/i32 [rows], checked
 * on the GPU: see the module comment): a scalar for 'mean' and 'sum', [rows] for 'none'.
 * With `smoothing`, against the smoothed targets (see {@link smoothedTargetValues}), in the same
 * kernel.
 */
export function softmaxCrossEntropy(logits: Tensor, labelsOrTargets: Tensor, reduction: Reduction = 'mean', smoothing?: LabelSmoothing): Tensor<'f32'> {
  const { t: targets, owned } = denseTargets('softmaxCrossEntropy', logits, labelsOrTargets);
  try {
    return xentForward(logits, targets, reduction, smoothing);
  } finally {
    if (owned) targets.dispose();
  }
}

function xentForward(logits: Tensor, targets: Tensor, reduction: Reduction, smoothing?: LabelSmoothing): Tensor<'f32'> {
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
export function softmaxCrossEntropyBackward(
  logits: Tensor,
  labelsOrTargets: Tensor,
  g: Tensor,
  reduction: Reduction,
  smoothing?: LabelSmoothing,
): Tensor<'f32'> {
  // Integer labels were checked in the forward pass: the backward only needs their one-hot rows.
  const targets = labelsOrTargets.dtype === 'f32' ? labelsOrTargets : oneHot(labelsOrTargets, logits.shape[1]);
  try {
    return xentBackward(logits, targets, g, reduction, smoothing);
  } finally {
    if (targets !== labelsOrTargets) targets.dispose();
  }
}

function xentBackward(logits: Tensor, targets: Tensor, g: Tensor, reduction: Reduction, smoothing?: LabelSmoothing): Tensor<'f32'> {
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
