/**
 * Losses: what a training step minimizes, and what its running metrics report.
 *
 *   softmaxCrossEntropy({ labelSmoothing })   k-way classification from logits; reports accuracy (argmax)
 *   binaryCrossEntropy()                      independent 0/1 targets from logits; reports accuracy (sign)
 *   mse()                                     regression: mean of (y − t)² over every output
 *   huber({ delta })                          regression: ½d² within δ, δ(|d| − ½δ) beyond
 *
 * Each is the mean over the minibatch (and, for the element-wise ones, over every output, as
 * PyTorch's `reduction='mean'`), written with the autodiff's ops, so its gradient is theirs. The
 * metrics follow the loss: loss always, accuracy only where it means something (`accuracy` is NaN
 * for regression).
 */
import { abs, add, exp, log, mean, mul, relu, scale, softmaxCrossEntropy as xent, square, sub } from '../autograd/functional';
import type { Var } from '../autograd/var';
import type { LabelSmoothing } from '../ops/softmax-xent';
import { accumulateXentMetrics } from '../ops/softmax-xent';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape, type Tensor } from '../runtime/tensor';

/** What accuracy means for a loss: argmax over a row, the side of 0 of each output, or nothing. */
export type AccuracyKind = 'argmax' | 'binary' | 'none';

/** A loss of predictions [rows, outputs] against float targets of the same shape. */
export interface Loss {
  /** For messages and reports. */
  readonly name: string;
  /** What the running metrics' accuracy counts. */
  readonly accuracy: AccuracyKind;
  /** The minibatch's mean loss (a scalar Var the tape can differentiate). */
  compute(pred: Var, targets: Tensor<'f32'>): Var;
  /**
   * Adds this minibatch to a running-metrics accumulator (f32 [3]: loss sum, hits, rows) without a
   * readback; `loss` is what {@link compute} returned (read before backward frees the graph).
   */
  accumulate(pred: Tensor<'f32'>, targets: Tensor<'f32'>, loss: Var, acc: Tensor<'f32'>): void;
}

function checkShapes(name: string, pred: Var, targets: Tensor): void {
  const p = pred.shape;
  const t = targets.shape;
  if (p.length !== t.length || p.some((d, i) => d !== t[i]))
    throw new ShapeError(`${name}: predictions ${fmtShape(p)} and targets ${fmtShape(t)} must have the same shape`);
}

function rowsOf(t: Tensor): number {
  return t.rank === 0 ? 1 : t.shape[0];
}

/** Adds the scalar mean loss times the rows (and for 'binary' the hits) to `acc` (shaders/metrics.wgsl). */
function accumulateMean(kind: 'none' | 'binary', pred: Tensor<'f32'>, targets: Tensor<'f32'>, loss: Var, acc: Tensor<'f32'>): void {
  const rows = rowsOf(pred);
  const cols = rows > 0 ? pred.size / rows : 0;
  const rt = pred.runtime;
  if (kind === 'binary') {
    rt.dispatch({
      shader: 'metrics',
      entry: 'binary_hits',
      uniforms: { rows, cols },
      bindings: { loss: loss.data, out: acc, logits: pred, targets },
      workgroups: [1],
    });
    return;
  }
  rt.dispatch({ shader: 'metrics', entry: 'accumulate_loss', uniforms: { rows, cols }, bindings: { loss: loss.data, out: acc }, workgroups: [1] });
}

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** Label smoothing fused into the kernel (ε and the 'book' or 'uniform' convention). */
  labelSmoothing?: LabelSmoothing;
}

/**
 * Mean softmax cross-entropy of logits [rows, k] against (soft) targets [rows, k], optionally
 * label-smoothed in the same kernel. The default loss of the training loop.
 */
export function softmaxCrossEntropy(options: SoftmaxCrossEntropyOptions = {}): Loss {
  const smoothing = options.labelSmoothing;
  return {
    name: 'softmaxCrossEntropy',
    accuracy: 'argmax',
    compute: (pred, targets) => xent(pred, targets, 'mean', smoothing),
    // The metric is the plain cross-entropy against the given targets and the argmax hits (one kernel over the logits).
    accumulate: (pred, targets, _loss, acc) => accumulateXentMetrics(pred, targets, acc),
  };
}

/**
 * Binary cross-entropy from logits x against targets y in [0, 1], element-wise, averaged over every
 * output: max(x, 0) − x·y + ln(1 + e^−|x|), the form that never overflows (PyTorch's
 * `BCEWithLogitsLoss`). Accuracy counts outputs on the right side of 0.
 */
export function binaryCrossEntropy(): Loss {
  return {
    name: 'binaryCrossEntropy',
    accuracy: 'binary',
    compute: (pred, targets) => {
      checkShapes('binaryCrossEntropy', pred, targets);
      const softplusTail = log(add(exp(scale(abs(pred), -1)), scalarLike(pred, 1)));
      return mean(add(sub(relu(pred), mul(pred, targets)), softplusTail));
    },
    accumulate: (pred, targets, loss, acc) => accumulateMean('binary', pred, targets, loss, acc),
  };
}

/** A one-element constant `value` on x's runtime, broadcast by the op that uses it (freed with the step's other temporaries). */
function scalarLike(x: Var, value: number): Tensor<'f32'> {
  return x.data.runtime.tensor(Float32Array.of(value), [1]);
}

/** Mean squared error over every output: mean((y − t)²). */
export function mse(): Loss {
  return {
    name: 'mse',
    accuracy: 'none',
    compute: (pred, targets) => {
      checkShapes('mse', pred, targets);
      return mean(square(sub(pred, targets)));
    },
    accumulate: (pred, targets, loss, acc) => accumulateMean('none', pred, targets, loss, acc),
  };
}

/** Options of {@link huber}. */
export interface HuberOptions {
  /** Where the quadratic part ends, δ > 0 (default 1, PyTorch's default). */
  delta?: number;
}

/**
 * Huber loss over every output, d = y − t: ½d² where |d| ≤ δ, δ·(|d| − ½δ) beyond; the mean.
 * Written as q = min(|d|, δ) = |d| − relu(|d| − δ), loss = ½q² + δ·(|d| − q), which is both pieces.
 */
export function huber(options: HuberOptions = {}): Loss {
  const delta = options.delta ?? 1;
  if (!(Number.isFinite(delta) && delta > 0)) throw new ArgumentError(`huber: delta must be a finite number > 0, got ${String(delta)}`);
  return {
    name: 'huber',
    accuracy: 'none',
    compute: (pred, targets) => {
      checkShapes('huber', pred, targets);
      const a = abs(sub(pred, targets));
      const beyond = relu(add(a, scalarLike(pred, -delta)));
      const q = sub(a, beyond);
      return mean(add(scale(square(q), 0.5), scale(beyond, delta)));
    },
    accumulate: (pred, targets, loss, acc) => accumulateMean('none', pred, targets, loss, acc),
  };
}

/** Checks that `loss` is a {@link Loss} (a clear error for a bare function or a name). */
export function checkLoss(where: string, loss: unknown): Loss {
  const l = loss as Partial<Loss> | null;
  if (typeof l !== 'object' || l === null || typeof l.compute !== 'function' || typeof l.accumulate !== 'function' || typeof l.name !== 'string')
    throw new ArgumentError(
      `${where}: loss must be a Loss (softmaxCrossEntropy(), binaryCrossEntropy(), mse(), huber() or an object with name, accuracy, compute and accumulate), got ${typeof loss === 'function' ? 'a function' : String(loss)}`,
    );
  return l as Loss;
}
