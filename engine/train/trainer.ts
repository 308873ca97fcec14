/**
 * The step runner: one training step with every callback hook in its place, usable outside `fit`.
 *
 *   const trainer = new Trainer(model, optimizer, { loss: mse(), callbacks: [augmentation(…)] });
 *   for (…) await trainer.step({ x, targets });      // hooks, forward, loss, backward, update
 *   const { loss } = await trainer.metrics();          // running metrics, one readback
 *
 * A step records its GPU work and submits it; nothing is read back. `await trainer.step()` keeps
 * the CPU at most `syncEvery` submits ahead of the GPU (the runtime's `ready`), so the GPU is never
 * idle and the work in flight is bounded: a hand-written loop that awaits its steps runs at flat
 * memory for as long as it likes. `fit` (./loop.ts) is a
 * loop over `step`; the pages' trainers and the bench use it too, so there is one copy of a step.
 *
 * Hook order within a step (./plugin.ts): transformBatch → beforeForward → forward (training mode,
 * randomness keyed by the global step) → loss (a callback's `loss` hook, else the trainer's loss)
 * → penalty → backward → afterBackward → optimizer.step() → afterUpdate.
 */
import { backward, constant } from '../autograd/tape';
import { keepTensor, tidy } from '../autograd/scope';
import type { Var } from '../autograd/var';
import type { Batch } from '../data/dataset';
import type { Sequential } from '../nn/sequential';
import { fill } from '../ops/elementwise';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { checkLoss, softmaxCrossEntropy, type Loss } from './losses';
import { readMetrics, type Metrics } from './metrics';
import type { StepContext, TrainingPlugin } from './plugin';

/** An optimizer: applies the accumulated gradients (one fused dispatch). */
export interface Stepper {
  step(): void;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /** What the step minimizes (default: softmaxCrossEntropy()). */
  loss?: Loss;
  /** Callbacks (regularizers' hooks, checkpoints, guards), called in this order at each hook point. */
  callbacks?: readonly TrainingPlugin[];
  /** Adds terms to the minibatch loss before backward (penalties written with ops; callbacks have `penalty` too). */
  penalty?: (loss: Var) => Var;
  /** The first step's number (default 0): it keys the step's random draws. */
  startStep?: number;
  /** Steps the CPU may run ahead of the GPU (default 8). */
  syncEvery?: number;
}

/** The inputs and targets of one step; the caller owns both. */
export interface StepBatch {
  x: Tensor<'f32'>;
  targets: Tensor<'f32'>;
}

/** The one callback providing `hook`, if any (two are an error: which one wins would be a guess). */
export function onlyOne<K extends keyof TrainingPlugin>(where: string, callbacks: readonly TrainingPlugin[], hook: K): TrainingPlugin | undefined {
  const with_ = callbacks.filter((p) => p[hook]);
  if (with_.length > 1) throw new ArgumentError(`${where}: ${with_.map((p) => p.name).join(' and ')} both provide the ${String(hook)} hook; only one may`);
  return with_[0];
}

function checkCallbacks(where: string, callbacks: unknown): readonly TrainingPlugin[] {
  if (!Array.isArray(callbacks)) throw new ArgumentError(`${where}: callbacks must be an array, got ${typeof callbacks}`);
  callbacks.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || typeof (c as TrainingPlugin).name !== 'string')
      throw new ArgumentError(`${where}: callbacks[${i}] is not a callback (an object with a name and hooks), got ${c === null ? 'null' : typeof c}`);
  });
  return callbacks as readonly TrainingPlugin[];
}

/** Runs training steps on one model with one optimizer; see the module's comment. */
export class Trainer {
  readonly loss: Loss;
  readonly callbacks: readonly TrainingPlugin[];
  /** The next step's number: it keys the step's random draws (dropout masks, noise, augmentation). */
  globalStep: number;
  /** The epoch hooks see (set by `fit`; 0 for a hand-written loop unless the caller sets it). */
  epoch = 0;
  private readonly lossHook: TrainingPlugin | undefined;
  private readonly penalty: ((loss: Var) => Var) | undefined;
  private readonly syncEvery: number;
  private readonly acc: Tensor<'f32'>;
  private disposed = false;

  constructor(
    readonly model: Sequential,
    readonly optimizer: Stepper,
    options: TrainerOptions = {},
  ) {
    if (typeof model !== 'object' || model === null || typeof model.forward !== 'function' || typeof model.zeroGrads !== 'function')
      throw new ArgumentError('Trainer: model must be a Sequential (forward and zeroGrads)');
    if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.step !== 'function')
      throw new ArgumentError('Trainer: optimizer must have a step() method (a bound chain: chain(…).init(model.arena))');
    this.loss = options.loss === undefined ? softmaxCrossEntropy() : checkLoss('Trainer', options.loss);
    this.callbacks = checkCallbacks('Trainer', options.callbacks ?? []);
    this.lossHook = onlyOne('Trainer', this.callbacks, 'loss');
    if (this.lossHook && this.loss.accuracy !== 'argmax')
      throw new ArgumentError(`Trainer: ${this.lossHook.name} replaces the loss with a softmax cross-entropy, but the trainer's loss is ${this.loss.name}`);
    if (options.penalty !== undefined && typeof options.penalty !== 'function') throw new ArgumentError('Trainer: penalty must be a function (loss) => loss');
    this.penalty = options.penalty;
    const syncEvery = options.syncEvery ?? 8;
    if (!(Number.isInteger(syncEvery) && syncEvery >= 1)) throw new ArgumentError(`Trainer: syncEvery must be a positive integer, got ${String(syncEvery)}`);
    this.syncEvery = syncEvery;
    const start = options.startStep ?? 0;
    if (!(Number.isSafeInteger(start) && start >= 0)) throw new ArgumentError(`Trainer: startStep must be a non-negative integer, got ${String(start)}`);
    this.globalStep = start;
    this.acc = keepTensor(fill(model.arena.rt.empty([3]), 0));
  }

  /** What hooks see at the current step. */
  get context(): StepContext {
    return { step: this.globalStep, epoch: this.epoch, model: this.model, callbacks: this.callbacks };
  }

  /**
   * Records one step on `batch` and submits it, without waiting for anything: every hook, the
   * forward and backward passes, the update. The caller owns `batch`; batches the hooks make are freed.
   */
  record(batch: StepBatch): void {
    if (this.disposed) throw new ArgumentError('Trainer: used after dispose()');
    const { x, targets } = batch ?? ({} as StepBatch);
    if (!x || !targets || typeof x.shape !== 'object' || typeof targets.shape !== 'object')
      throw new ArgumentError('Trainer.step: the batch must be { x, targets } with two f32 tensors');
    if (x.rank < 1 || targets.rank < 1 || x.shape[0] !== targets.shape[0])
      throw new ShapeError(`Trainer.step: inputs ${fmtShape(x.shape)} and targets ${fmtShape(targets.shape)} must have the same number of rows`);
    const ctx = this.context;
    let b: Batch = { x, targets, size: x.shape[0] };
    try {
      for (const p of this.callbacks) {
        if (!p.transformBatch) continue;
        const next = p.transformBatch(b, ctx);
        if (next !== b) {
          // Only the batches the hooks made are ours to free; the caller's stays the caller's.
          if (next.x !== b.x && b.x !== x) b.x.dispose();
          if (next.targets !== b.targets && b.targets !== targets) b.targets.dispose();
          b = next;
        }
      }
      for (const p of this.callbacks) p.beforeForward?.(ctx);
      const hook = this.lossHook;
      recordStep(this.model, this.optimizer, b.x, b.targets, ctx.step, {
        loss: this.loss,
        metrics: this.acc,
        lossOverride: hook ? (out, t) => hook.loss!(out, t, ctx) : undefined,
        penalty: (loss) => {
          let l = this.penalty ? this.penalty(loss) : loss;
          for (const p of this.callbacks) if (p.penalty) l = p.penalty(l, ctx);
          return l;
        },
        afterBackward: () => {
          for (const p of this.callbacks) p.afterBackward?.(ctx);
        },
      });
      for (const p of this.callbacks) p.afterUpdate?.(ctx);
    } finally {
      if (b.x !== x) b.x.dispose();
      if (b.targets !== targets) b.targets.dispose();
    }
    this.model.arena.rt.flush();
    this.globalStep++;
  }

  /**
   * One step ({@link record}), then a wait for the GPU until at most `syncEvery` submits are
   * unfinished (the runtime's `ready`): the CPU records ahead of the GPU, never further than that,
   * so the work in flight (and the memory it holds) is bounded however long the loop runs.
   */
  async step(batch: StepBatch): Promise<void> {
    this.record(batch);
    await this.pace();
  }

  /** The wait of {@link step}, for callers that record steps themselves. */
  async pace(): Promise<void> {
    await this.model.arena.rt.ready(this.syncEvery);
  }

  /** The running metrics since the last {@link resetMetrics} (one readback; accuracy NaN where the loss has none). */
  async metrics(): Promise<Metrics> {
    const m = await readMetrics(this.acc);
    return this.loss.accuracy === 'none' ? { ...m, accuracy: Number.NaN } : m;
  }

  /** The running-metrics accumulator (f32 [3]: loss sum, hits, rows), for traces read without stalling. */
  get metricsTensor(): Tensor<'f32'> {
    return this.acc;
  }

  /** Zeroes the running metrics (one small dispatch). */
  resetMetrics(): void {
    fill(this.acc, 0);
  }

  /** Frees the metrics accumulator (not the model, the optimizer or the callbacks). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.acc.dispose();
  }
}

/** Options of {@link recordStep}. */
export interface RecordStepOptions {
  /** What the step minimizes (default: softmaxCrossEntropy()). */
  loss?: Loss;
  /** Replaces `loss.compute` (a callback's loss hook, e.g. label smoothing); metrics still use `loss`. */
  lossOverride?: (out: Var, targets: Tensor<'f32'>) => Var;
  /** Adds terms to the minibatch loss before backward (parameter norm penalties). */
  penalty?: (loss: Var) => Var;
  /** After backward, before the optimizer step (gradient transforms). */
  afterBackward?: () => void;
  /** A running-metrics accumulator (f32 [3]) to add this batch's loss (and hits) to. */
  metrics?: Tensor<'f32'>;
}

/**
 * One training step on one minibatch, recorded (not submitted): zero the gradients, forward in
 * training mode keyed by `step`, the loss against `targets`, backward, optimizer step. The caller
 * owns `x` and `targets`; nothing else outlives the call. {@link Trainer.step} adds the hooks.
 */
export function recordStep(model: Sequential, optimizer: Stepper, x: Tensor, targets: Tensor, step: number, opts: RecordStepOptions = {}): void {
  const loss = opts.loss ?? softmaxCrossEntropy();
  // In a tidy scope: whatever the step makes and does not keep (results of ops on data that needs
  // no gradient, which backward() never visits, e.g. input dropout) is released at the end.
  tidy(() => {
    model.zeroGrads();
    const out = model.forward(constant(x), { training: true, step });
    const t = targets as Tensor<'f32'>;
    const dataLoss = opts.lossOverride ? opts.lossOverride(out, t) : loss.compute(out, t);
    // Metrics read the outputs and the loss before backward frees them.
    if (opts.metrics) loss.accumulate(out.data as Tensor<'f32'>, t, dataLoss, opts.metrics);
    const total = opts.penalty ? opts.penalty(dataLoss) : dataLoss;
    backward(total);
    if (total !== dataLoss) total.dispose();
    dataLoss.dispose();
    opts.afterBackward?.();
    optimizer.step();
  });
}
