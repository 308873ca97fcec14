/**
 * `fit`: epochs of minibatches over a GPU data set, as a loop over the step runner (./trainer.ts).
 * Minibatches are gathered on the GPU; running loss (and accuracy, where the loss has one) are
 * accumulated on the GPU and read back once per epoch; the CPU is kept at most `syncEvery` steps
 * ahead of the GPU. Regularizers plug in through the named hooks of ./plugin.ts; per-step metrics
 * reach a live chart every `syncEvery` steps through a small GPU trace read back without waiting.
 */
import type { Var } from '../autograd/var';
import { GpuDataset, type Batch } from '../data/dataset';
import type { Sequential } from '../nn/sequential';
import { ArgumentError } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import type { Loss } from './losses';
import { evaluate, type Metrics } from './metrics';
import type { Evaluation, StepContext, TrainingPlugin } from './plugin';
import { onlyOne, recordStep, Trainer, type Stepper } from './trainer';

export type { Stepper } from './trainer';

/** A model the loop can train (the engine's {@link Sequential}). */
export type Trainable = Sequential;

/** Where training is, reported every `syncEvery` steps. */
export interface Progress {
  epoch: number;
  /** Step within the epoch (1-based). */
  step: number;
  stepsPerEpoch: number;
  /** Steps since training began. */
  globalStep: number;
}

/** The training loss and accuracy (NaN where the loss has none) of one step's minibatch (training mode). */
export interface StepMetrics {
  /** The global step (0-based, the one that keyed the step's randomness). */
  step: number;
  loss: number;
  accuracy: number;
}

/** One epoch's results. */
export interface EpochResult {
  epoch: number;
  /** Running averages over the epoch's minibatches (training mode: dropout on). */
  train: Metrics;
  val?: Metrics;
  /** Wall time of the epoch's training steps until the GPU finished them (evaluations excluded). */
  seconds: number;
  steps: number;
  /** Work per training step, from the runtime's counters (evaluation excluded). */
  dispatchesPerStep: number;
  submitsPerStep: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Epochs at most (training may stop earlier: `maxSteps`, a plugin's 'stop'). */
  epochs: number;
  batchSize: number;
  /** Seeds the epoch order (the model's own randomness is keyed by the step). */
  seed: number;
  /** Drop a last, smaller minibatch (default false). */
  dropLast?: boolean;
  /** Steps the CPU may run ahead of the GPU (default 8); also how often step metrics arrive. */
  syncEvery?: number;
  /** Evaluate on the validation set every this many steps (default: only after each epoch). */
  evalEvery?: number;
  /** Stop after this many steps in all (default: no limit). */
  maxSteps?: number;
  /** Targets table replacing the data set's own, [count, outputs]. */
  targets?: Tensor<'f32'>;
  /** What training minimizes (default softmaxCrossEntropy()); validation reports the same loss. */
  loss?: Loss;
  /** Adds terms to the minibatch loss before backward (kept for simple uses; plugins have `penalty` too). */
  penalty?: (loss: Var) => Var;
  /** The first step's number (to resume; default 0). */
  startStep?: number;
  /**
   * Resumes an interrupted run of these same options after this many steps (a checkpoint's step, see
   * ./checkpointing.ts): training continues at that step's epoch and minibatch, in the same epoch
   * order, so that it repeats what the uninterrupted run does from there; `epochs`, `maxSteps` and
   * `evalEvery` count from the run's start. Replaces `startStep` (give one or the other).
   */
  resumeStep?: number;
  /** Regularizers and other hooks, called in this order at each hook point. */
  plugins?: readonly TrainingPlugin[];
  onProgress?: (p: Progress) => void;
  /** Each step's training loss and accuracy, delivered in groups of `syncEvery` without stalling the GPU. */
  onStepMetrics?: (m: StepMetrics[]) => void;
  /** After each evaluation; 'stop' ends training. */
  onEvaluate?: (e: Evaluation) => void | 'stop' | Promise<void | 'stop'>;
  /** Called after each epoch; returning 'stop' ends training (early stopping). */
  onEpoch?: (r: EpochResult) => void | 'stop' | Promise<void | 'stop'>;
}

/** What {@link fit} returns: per-epoch results, and why and where it stopped. */
export interface FitResult extends Array<EpochResult> {
  /** Steps taken. */
  steps?: number;
  /** 'epochs' (all done), 'maxSteps', or the name of what asked to stop. */
  stoppedBy?: string;
}

/** Trains `model` on `train` for at most `opts.epochs`, evaluating on `val` after each epoch (and every `evalEvery` steps). */
export async function fit(model: Trainable, optimizer: Stepper, train: GpuDataset, val: GpuDataset | undefined, opts: FitOptions): Promise<FitResult> {
  const { epochs, batchSize, seed, dropLast = false, syncEvery = 8 } = opts;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`fit: batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(syncEvery) || syncEvery < 1) throw new ArgumentError(`fit: syncEvery must be a positive integer, got ${syncEvery}`);
  if (opts.evalEvery !== undefined && !(Number.isInteger(opts.evalEvery) && opts.evalEvery >= 1))
    throw new ArgumentError(`fit: evalEvery must be a positive integer, got ${opts.evalEvery}`);
  if (opts.maxSteps !== undefined && !(Number.isInteger(opts.maxSteps) && opts.maxSteps >= 0))
    throw new ArgumentError(`fit: maxSteps must be a non-negative integer, got ${opts.maxSteps}`);
  if (opts.startStep !== undefined && !(Number.isSafeInteger(opts.startStep) && opts.startStep >= 0))
    throw new ArgumentError(`fit: startStep must be a non-negative integer, got ${opts.startStep}`);
  if (opts.resumeStep !== undefined && !(Number.isSafeInteger(opts.resumeStep) && opts.resumeStep >= 0))
    throw new ArgumentError(`fit: resumeStep must be a non-negative integer, got ${opts.resumeStep}`);
  if (opts.resumeStep !== undefined && opts.startStep !== undefined)
    throw new ArgumentError(`fit: give startStep (${opts.startStep}) or resumeStep (${opts.resumeStep}), not both`);
  if (!Number.isFinite(seed)) throw new ArgumentError(`fit: seed must be a finite number, got ${seed}`);
  if (!(train instanceof GpuDataset)) throw new ArgumentError('fit: the training data must be a GpuDataset (GpuDataset.upload or GpuDataset.fromArrays)');
  if (val !== undefined && !(val instanceof GpuDataset)) throw new ArgumentError('fit: the validation data must be a GpuDataset or undefined');
  if (val && val.outputs !== train.outputs)
    throw new ArgumentError(`fit: the training targets have ${train.outputs} outputs per example, the validation targets ${val.outputs}`);
  const plugins = opts.plugins ?? [];
  const samplerPlugin = onlyOne('fit', plugins, 'sampler');
  const rt = train.runtime;
  const windows = GpuDataset.windows(train.count, batchSize, dropLast);
  const results: FitResult = [];
  const firstStep = opts.resumeStep ?? opts.startStep ?? 0;
  const trainer = new Trainer(model, optimizer, { loss: opts.loss, callbacks: plugins, penalty: opts.penalty, startStep: firstStep, syncEvery });
  const loss = trainer.loss;
  // Resuming: the step's epoch and minibatch; maxSteps and evalEvery count from the run's start.
  const resuming = opts.resumeStep !== undefined && windows.length > 0;
  const firstEpoch = resuming ? Math.floor(firstStep / windows.length) + 1 : 1;
  let skipWindows = resuming ? firstStep % windows.length : 0;
  const countFrom = resuming ? 0 : firstStep;
  const trace = opts.onStepMetrics ? new StepTrace(train, syncEvery, loss.accuracy !== 'none', opts.onStepMetrics) : null;
  let stoppedBy = 'epochs';
  const ctxAt = (epoch: number): StepContext => {
    trainer.epoch = epoch;
    return trainer.context;
  };

  let lastVal: Metrics | undefined;
  /** The last epoch's metrics read-back that fit did not wait for (see the end of an epoch). */
  let pendingRead: Promise<void> | null = null;
  /** Evaluates on `val` and asks the hooks; returns the name of whoever asked to stop, if any. */
  const runEvaluation = async (epoch: number, trainMetrics: Metrics | null): Promise<string | null> => {
    if (!val) return null;
    const e: Evaluation = {
      step: trainer.globalStep,
      epoch,
      val: await evaluate(model, val, 1000, undefined, loss),
      train: trainMetrics ?? (await trainer.metrics()),
    };
    lastVal = e.val;
    // Every hook sees every evaluation, the one that stops training included; the first to ask stops it.
    let who: string | null = null;
    for (const p of plugins) if ((await p.onEvaluate?.(e, ctxAt(epoch))) === 'stop') who ??= p.name;
    if ((await opts.onEvaluate?.(e)) === 'stop') who ??= 'onEvaluate';
    return who;
  };
  const stepsLeft = (): boolean => opts.maxSteps === undefined || trainer.globalStep - countFrom < opts.maxSteps;

  try {
    // A checkpoint is taken after a step's update and before that step's evaluation: resuming at a
    // step the uninterrupted run evaluated after, the evaluation comes first, as it did there.
    let pendingStop: string | null = null;
    if (resuming && firstStep > 0) {
      if (opts.evalEvery && firstStep % opts.evalEvery === 0) pendingStop = await runEvaluation(firstEpoch, null);
      else if (!opts.evalEvery && firstStep % windows.length === 0) pendingStop = await runEvaluation(firstEpoch - 1, null);
    }
    if (pendingStop !== null) stoppedBy = pendingStop;
    for (let epoch = firstEpoch; epoch <= epochs && pendingStop === null; epoch++) {
      if (!stepsLeft()) {
        stoppedBy = 'maxSteps';
        break;
      }
      const t0 = performance.now();
      const work0 = rt.workStats();
      trainer.epoch = epoch;
      const order = samplerPlugin ? samplerPlugin.sampler!(train, epoch, seed) : train.shuffledOrder(seed, epoch);
      trainer.resetMetrics();
      try {
        let taken = 0;
        let evalSeconds = 0;
        let stopper: string | null = null;
        lastVal = undefined;
        const firstWindow = skipWindows;
        skipWindows = 0;
        for (let s = firstWindow; s < windows.length && stopper === null; s++) {
          if (!stepsLeft()) break;
          const stepNumber = trainer.globalStep;
          const batch: Batch = train.batch(order, windows[s], opts.targets);
          try {
            trainer.record(batch);
            trace?.record(trainer.metricsTensor, stepNumber, s === firstWindow);
          } finally {
            batch.x.dispose();
            batch.targets.dispose();
          }
          taken++;
          await trainer.pace();
          if ((s + 1) % syncEvery === 0 || s === windows.length - 1) {
            await trace?.deliver();
            opts.onProgress?.({ epoch, step: s + 1, stepsPerEpoch: windows.length, globalStep: trainer.globalStep });
          }
          if (opts.evalEvery && (trainer.globalStep - countFrom) % opts.evalEvery === 0) {
            const te = performance.now();
            stopper = await runEvaluation(epoch, null);
            evalSeconds += (performance.now() - te) / 1000;
          }
        }
        await trace?.deliver(true);
        const work1 = rt.workStats();
        const reading = trainer.metrics();
        const result: EpochResult = {
          epoch,
          train: { loss: Number.NaN, accuracy: Number.NaN, count: 0 },
          val: undefined,
          seconds: Number.NaN,
          steps: taken,
          dispatchesPerStep: taken > 0 ? (work1.dispatches - work0.dispatches) / taken : 0,
          submitsPerStep: taken > 0 ? (work1.submits - work0.submits) / taken : 0,
        };
        // Reading the running metrics waits for the epoch's last steps on the GPU: the epoch's time
        // includes them. When nothing looks at them before the next epoch (no evaluation, no onEpoch),
        // the read-back lands while the next epoch runs instead of stalling the GPU once per epoch
        // (once per step in full-batch training); at most one such read is in flight, and fit returns
        // only when all have landed.
        const landed = reading.then((m) => {
          result.train = m;
          result.seconds = (performance.now() - t0) / 1000 - evalSeconds;
        });
        // Observed at once, so that a failed read (a lost device) is never an unhandled rejection; awaited below or later.
        landed.catch(() => undefined);
        const evaluates = stopper === null && !opts.evalEvery && !!val;
        if (evaluates || opts.onEpoch) await landed;
        else {
          await pendingRead;
          pendingRead = landed;
        }
        if (evaluates) stopper = await runEvaluation(epoch, result.train);
        result.val = lastVal;
        results.push(result);
        if (stopper !== null) {
          stoppedBy = stopper;
          break;
        }
        if ((await opts.onEpoch?.(result)) === 'stop') {
          stoppedBy = 'onEpoch';
          break;
        }
      } finally {
        order.dispose();
      }
    }
    if (stoppedBy === 'epochs' && !stepsLeft()) stoppedBy = 'maxSteps';
    await pendingRead;
  } finally {
    trace?.dispose();
    trainer.dispose();
  }
  for (const p of plugins) await p.onEnd?.(ctxAt(firstEpoch - 1 + results.length));
  results.steps = trainer.globalStep - firstStep;
  results.stoppedBy = stoppedBy;
  return results;
}

/**
 * Per-step metrics without a readback per step: after each step the running accumulator (loss
 * sum, correct count, rows) is copied into slot k of a small GPU trace; every `size` steps the trace
 * is read back, and the reading is awaited only at the next delivery, so the GPU never waits.
 */
class StepTrace {
  private readonly buf: Tensor<'f32'>;
  /** The steps in the trace's slots, and whether each was its epoch's first (a fresh accumulator). */
  private slots: { step: number; fresh: boolean }[] = [];
  private pending: Promise<void> | null = null;
  /** The accumulator's (loss sum, correct, rows) after the last delivered step. */
  private prev: [number, number, number] = [0, 0, 0];

  constructor(
    data: GpuDataset,
    private readonly size: number,
    private readonly withAccuracy: boolean,
    private readonly sink: (m: StepMetrics[]) => void,
  ) {
    this.buf = data.runtime.empty([size * 3]);
  }

  /** Copies the accumulator after step `step` into the next slot (12 bytes, no readback). */
  record(acc: Tensor<'f32'>, step: number, fresh: boolean): void {
    if (this.slots.length >= this.size) throw new ArgumentError('StepTrace: more steps than slots between deliveries');
    const k = this.slots.length;
    acc.runtime.copy(acc, { buffer: this.buf.buffer, offset: this.buf.byteOffset + k * 12, size: 12 }, 12);
    this.slots.push({ step, fresh });
  }

  /** Starts reading the filled slots and delivers the previous reading (this one too if `final`). */
  async deliver(final = false): Promise<void> {
    if (this.pending) await this.pending;
    this.pending = null;
    if (this.slots.length === 0) return;
    const slots = this.slots;
    this.slots = [];
    const job = this.buf.toArray().then((data) => {
      const out: StepMetrics[] = [];
      slots.forEach(({ step, fresh }, k) => {
        const [l0, c0, n0] = fresh ? [0, 0, 0] : this.prev;
        const cur: [number, number, number] = [data[3 * k], data[3 * k + 1], data[3 * k + 2]];
        const rows = cur[2] - n0;
        out.push({ step, loss: rows > 0 ? (cur[0] - l0) / rows : NaN, accuracy: rows > 0 && this.withAccuracy ? (cur[1] - c0) / rows : NaN });
        this.prev = cur;
      });
      this.sink(out);
    });
    if (final) await job;
    else this.pending = job;
  }

  dispose(): void {
    this.buf.dispose();
  }
}

/** Options of {@link trainOnBatch}. */
export interface BatchStepOptions {
  /** Adds terms to the minibatch loss before backward (parameter norm penalties). */
  penalty?: (loss: Var) => Var;
  /** The loss of the logits against the targets (default: mean softmax cross-entropy). */
  loss?: (logits: Var, targets: Tensor<'f32'>) => Var;
  /** After backward, before the optimizer step (gradient transforms). */
  afterBackward?: () => void;
  /** A running-metrics accumulator (f32 [3]) to add this batch's loss and correct count to. */
  metrics?: Tensor<'f32'>;
}

/**
 * One training step on one minibatch, recorded (not submitted), without callbacks: the step of
 * {@link Trainer} (./trainer.ts `recordStep`) for code that drives its own loop step by step.
 * The caller owns `x` and `targets`.
 */
export function trainOnBatch(model: Trainable, optimizer: Stepper, x: Tensor, targets: Tensor, step: number, opts: BatchStepOptions = {}): void {
  recordStep(model, optimizer, x, targets, step, { lossOverride: opts.loss, penalty: opts.penalty, afterBackward: opts.afterBackward, metrics: opts.metrics });
}
