/**
 * The training loop, the same in Node and in the browser: minibatches gathered on the GPU, one
 * submit per step, running loss and accuracy accumulated on the GPU and read back once per epoch,
 * the CPU kept at most `syncEvery` steps ahead of the GPU. Regularizers plug in through the named
 * hooks of ./plugin.ts; per-step metrics reach a live chart every `syncEvery` steps through a small
 * GPU trace read back without waiting for it.
 */
import { backward, constant } from '../autograd/tape';
import { tidy } from '../autograd/scope';
import type { Var } from '../autograd/var';
import { softmaxCrossEntropy } from '../autograd/functional';
import { GpuDataset, type Batch } from '../data/dataset';
import { accumulateXentMetrics } from '../ops/softmax_xent';
import { ArgumentError } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import { evaluate, metricsAccumulator, readMetrics, type Classifier, type Metrics } from './metrics';
import type { Evaluation, StepContext, TrainingPlugin } from './plugin';

/** A model the loop can train: logits from inputs, and a way to zero its gradients. */
export interface Trainable extends Classifier {
  zeroGrads(): void;
}

/** An optimizer: applies the accumulated gradients (one fused dispatch). */
export interface Stepper {
  step(): void;
}

/** Where training is, reported every `syncEvery` steps. */
export interface Progress {
  epoch: number;
  /** Step within the epoch (1-based). */
  step: number;
  stepsPerEpoch: number;
  /** Steps since training began. */
  globalStep: number;
}

/** The training loss and accuracy of one step's minibatch (training mode). */
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
  /** Targets table replacing the one-hot labels, [count, classes]. */
  targets?: Tensor<'f32'>;
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

function onlyOne<K extends keyof TrainingPlugin>(plugins: readonly TrainingPlugin[], hook: K): TrainingPlugin | undefined {
  const with_ = plugins.filter((p) => p[hook]);
  if (with_.length > 1) throw new ArgumentError(`fit: ${with_.map((p) => p.name).join(' and ')} both provide the ${String(hook)} hook; only one may`);
  return with_[0];
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
  const plugins = opts.plugins ?? [];
  const samplerPlugin = onlyOne(plugins, 'sampler');
  const lossPlugin = onlyOne(plugins, 'loss');
  const rt = train.runtime;
  const windows = GpuDataset.windows(train.count, batchSize, dropLast);
  const results: FitResult = [];
  let globalStep = opts.resumeStep ?? opts.startStep ?? 0;
  const firstStep = globalStep;
  // Resuming: the step's epoch and minibatch; maxSteps and evalEvery count from the run's start.
  const resuming = opts.resumeStep !== undefined && windows.length > 0;
  const firstEpoch = resuming ? Math.floor(globalStep / windows.length) + 1 : 1;
  let skipWindows = resuming ? globalStep % windows.length : 0;
  const countFrom = resuming ? 0 : firstStep;
  const trace = opts.onStepMetrics ? new StepTrace(train, syncEvery, opts.onStepMetrics) : null;
  let stoppedBy = 'epochs';
  const ctxAt = (epoch: number): StepContext => ({ step: globalStep, epoch, model });

  let lastVal: Metrics | undefined;
  /** Evaluates on `val` and asks the hooks; returns the name of whoever asked to stop, if any. */
  const runEvaluation = async (epoch: number, train: Tensor<'f32'> | Metrics): Promise<string | null> => {
    if (!val) return null;
    const trainMetrics = 'loss' in train ? train : await readMetrics(train);
    const e: Evaluation = { step: globalStep, epoch, val: await evaluate(model, val, 1000), train: trainMetrics };
    lastVal = e.val;
    // Every hook sees every evaluation, the one that stops training included; the first to ask stops it.
    let who: string | null = null;
    for (const p of plugins) if ((await p.onEvaluate?.(e, ctxAt(epoch))) === 'stop') who ??= p.name;
    if ((await opts.onEvaluate?.(e)) === 'stop') who ??= 'onEvaluate';
    return who;
  };
  const stepsLeft = (): boolean => opts.maxSteps === undefined || globalStep - countFrom < opts.maxSteps;

  try {
    for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
      if (!stepsLeft()) {
        stoppedBy = 'maxSteps';
        break;
      }
      const t0 = performance.now();
      const work0 = rt.workStats();
      const order = samplerPlugin ? samplerPlugin.sampler!(train, epoch, seed) : train.shuffledOrder(seed, epoch);
      const acc = metricsAccumulator(train);
      // Whatever a hook throws (the NaN guard stops training that way), the epoch's tensors are freed.
      let epochDone = false;
      const freeEpoch = (): void => {
        if (epochDone) return;
        epochDone = true;
        order.dispose();
        acc.dispose();
      };
      try {
        let inFlight: Promise<unknown> | null = null;
        let taken = 0;
        let evalSeconds = 0;
        let stopper: string | null = null;
        lastVal = undefined;
        const firstWindow = skipWindows;
        skipWindows = 0;
        for (let s = firstWindow; s < windows.length && stopper === null; s++) {
          if (!stepsLeft()) break;
          const ctx = ctxAt(epoch);
          let batch: Batch = train.batch(order, windows[s], opts.targets);
          try {
            for (const p of plugins) {
              if (!p.transformBatch) continue;
              const next = p.transformBatch(batch, ctx);
              if (next !== batch) {
                if (next.x !== batch.x) batch.x.dispose();
                if (next.targets !== batch.targets) batch.targets.dispose();
                batch = next;
              }
            }
            for (const p of plugins) p.beforeForward?.(ctx);
            trainOnBatch(model, optimizer, batch.x, batch.targets, globalStep, {
              metrics: acc,
              loss: lossPlugin ? (logits, targets) => lossPlugin.loss!(logits, targets, ctx) : undefined,
              penalty: (loss) => {
                let l = opts.penalty ? opts.penalty(loss) : loss;
                for (const p of plugins) if (p.penalty) l = p.penalty(l, ctx);
                return l;
              },
              afterBackward: () => {
                for (const p of plugins) p.afterBackward?.(ctx);
              },
            });
            for (const p of plugins) p.afterUpdate?.(ctx);
            trace?.record(acc, globalStep, s === firstWindow);
          } finally {
            batch.x.dispose();
            batch.targets.dispose();
          }
          rt.flush();
          globalStep++;
          taken++;
          if ((s + 1) % syncEvery === 0 || s === windows.length - 1) {
            // Wait for the work of the previous sync point, not this one: the GPU stays busy meanwhile.
            if (inFlight) await inFlight;
            inFlight = rt.device.queue.onSubmittedWorkDone();
            await trace?.deliver();
            opts.onProgress?.({ epoch, step: s + 1, stepsPerEpoch: windows.length, globalStep });
          }
          if (opts.evalEvery && (globalStep - countFrom) % opts.evalEvery === 0) {
            const te = performance.now();
            stopper = await runEvaluation(epoch, acc);
            evalSeconds += (performance.now() - te) / 1000;
          }
        }
        await trace?.deliver(true);
        const work1 = rt.workStats();
        // Reading the running metrics waits for the epoch's last steps on the GPU: the epoch's time includes them.
        const trainMetrics = await readMetrics(acc);
        const seconds = (performance.now() - t0) / 1000 - evalSeconds;
        if (stopper === null && !opts.evalEvery) stopper = await runEvaluation(epoch, trainMetrics);
        const result: EpochResult = {
          epoch,
          train: trainMetrics,
          val: lastVal,
          seconds,
          steps: taken,
          dispatchesPerStep: taken > 0 ? (work1.dispatches - work0.dispatches) / taken : 0,
          submitsPerStep: taken > 0 ? (work1.submits - work0.submits) / taken : 0,
        };
        freeEpoch();
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
        freeEpoch();
      }
    }
    if (stoppedBy === 'epochs' && !stepsLeft()) stoppedBy = 'maxSteps';
  } finally {
    trace?.dispose();
  }
  for (const p of plugins) await p.onEnd?.(ctxAt(firstEpoch - 1 + results.length));
  results.steps = globalStep - firstStep;
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
        out.push({ step, loss: rows > 0 ? (cur[0] - l0) / rows : NaN, accuracy: rows > 0 ? (cur[1] - c0) / rows : NaN });
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
 * One training step on one minibatch, recorded (not submitted): zero the gradients, forward in
 * training mode keyed by `step`, the loss against `targets`, backward, optimizer step.
 * The caller owns `x` and `targets`; nothing else outlives the call.
 */
export function trainOnBatch(model: Trainable, optimizer: Stepper, x: Tensor, targets: Tensor, step: number, opts: BatchStepOptions = {}): void {
  // In a tidy scope: whatever the step makes and does not keep (results of ops on data that needs
  // no gradient, which backward() never visits, e.g. input dropout) is released at the end.
  tidy(() => {
    model.zeroGrads();
    const logits = model.forward(constant(x), { training: true, step });
    // Metrics read the logits before backward frees them.
    if (opts.metrics) accumulateXentMetrics(logits.data, targets, opts.metrics);
    const dataLoss = opts.loss ? opts.loss(logits, targets as Tensor<'f32'>) : softmaxCrossEntropy(logits, targets);
    const loss = opts.penalty ? opts.penalty(dataLoss) : dataLoss;
    backward(loss);
    if (loss !== dataLoss) loss.dispose();
    dataLoss.dispose();
    opts.afterBackward?.();
    optimizer.step();
  });
}
