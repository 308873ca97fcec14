/**
 * The training loop, the same in Node and in the browser: minibatches gathered on the GPU, one
 * submit per step, running loss and accuracy accumulated on the GPU and read back once per epoch,
 * the CPU kept at most `syncEvery` steps ahead of the GPU. Hooks let regularizers add a penalty to
 * the loss, and early stopping end training after an epoch.
 */
import { backward, constant } from '../autograd/tape';
import type { Var } from '../autograd/var';
import { softmaxCrossEntropy } from '../autograd/functional';
import { GpuDataset } from '../data/dataset';
import { accumulateXentMetrics } from '../ops/softmax_xent';
import { ArgumentError } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import { evaluate, metricsAccumulator, readMetrics, type Classifier, type Metrics } from './metrics';

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

/** One epoch's results. */
export interface EpochResult {
  epoch: number;
  /** Running averages over the epoch's minibatches (training mode: dropout on). */
  train: Metrics;
  val?: Metrics;
  seconds: number;
  steps: number;
  /** Work per training step, from the runtime's counters (evaluation excluded). */
  dispatchesPerStep: number;
  submitsPerStep: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the epoch order (the model's own randomness is keyed by the step). */
  seed: number;
  /** Drop a last, smaller minibatch (default false). */
  dropLast?: boolean;
  /** Steps the CPU may run ahead of the GPU (default 8). */
  syncEvery?: number;
  /** Targets table replacing the one-hot labels (label smoothing), [count, classes]. */
  targets?: Tensor<'f32'>;
  /** Adds terms to the minibatch loss before backward (parameter norm penalties). */
  penalty?: (loss: Var) => Var;
  /** The first step's number (to resume; default 0). */
  startStep?: number;
  onProgress?: (p: Progress) => void;
  /** Called after each epoch; returning 'stop' ends training (early stopping). */
  onEpoch?: (r: EpochResult) => void | 'stop' | Promise<void | 'stop'>;
}

/** Trains `model` on `train` for `opts.epochs`, evaluating on `val` after each epoch. */
export async function fit(model: Trainable, optimizer: Stepper, train: GpuDataset, val: GpuDataset | undefined, opts: FitOptions): Promise<EpochResult[]> {
  const { epochs, batchSize, seed, dropLast = false, syncEvery = 8 } = opts;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`fit: batch size must be a positive integer, got ${batchSize}`);
  const rt = train.runtime;
  const windows = GpuDataset.windows(train.count, batchSize, dropLast);
  const results: EpochResult[] = [];
  let globalStep = opts.startStep ?? 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const work0 = rt.workStats();
    const order = train.shuffledOrder(seed, epoch);
    const acc = metricsAccumulator(train);
    let inFlight: Promise<unknown> | null = null;
    for (let s = 0; s < windows.length; s++) {
      trainStep(model, optimizer, train, order, windows[s], acc, globalStep, opts);
      rt.flush();
      globalStep++;
      if ((s + 1) % syncEvery === 0 || s === windows.length - 1) {
        // Wait for the work of the previous sync point, not this one: the GPU stays busy meanwhile.
        if (inFlight) await inFlight;
        inFlight = rt.device.queue.onSubmittedWorkDone();
        opts.onProgress?.({ epoch, step: s + 1, stepsPerEpoch: windows.length, globalStep });
      }
    }
    const work1 = rt.workStats();
    order.dispose();
    const trainMetrics = await readMetrics(acc);
    acc.dispose();
    const valMetrics = val ? await evaluate(model, val, 1000, undefined) : undefined;
    const result: EpochResult = {
      epoch,
      train: trainMetrics,
      val: valMetrics,
      seconds: (performance.now() - t0) / 1000,
      steps: windows.length,
      dispatchesPerStep: (work1.dispatches - work0.dispatches) / windows.length,
      submitsPerStep: (work1.submits - work0.submits) / windows.length,
    };
    results.push(result);
    if ((await opts.onEpoch?.(result)) === 'stop') break;
  }
  return results;
}

/** Options of {@link trainOnBatch}. */
export interface BatchStepOptions {
  /** Adds terms to the minibatch loss before backward (parameter norm penalties). */
  penalty?: (loss: Var) => Var;
  /** A running-metrics accumulator (f32 [3]) to add this batch's loss and correct count to. */
  metrics?: Tensor<'f32'>;
}

/**
 * One training step on one minibatch, recorded (not submitted): zero the gradients, forward in
 * training mode keyed by `step`, softmax cross-entropy against `targets`, backward, optimizer step.
 * The caller owns `x` and `targets`; nothing else outlives the call.
 */
export function trainOnBatch(model: Trainable, optimizer: Stepper, x: Tensor, targets: Tensor, step: number, opts: BatchStepOptions = {}): void {
  model.zeroGrads();
  const logits = model.forward(constant(x), { training: true, step });
  // Metrics read the logits before backward frees them.
  if (opts.metrics) accumulateXentMetrics(logits.data, targets, opts.metrics);
  const dataLoss = softmaxCrossEntropy(logits, targets);
  const loss = opts.penalty ? opts.penalty(dataLoss) : dataLoss;
  backward(loss);
  loss.dispose();
  dataLoss.dispose();
  optimizer.step();
}

function trainStep(model: Trainable, optimizer: Stepper, data: GpuDataset, order: Tensor, window: { start: number; count: number }, acc: Tensor<'f32'>, step: number, opts: FitOptions): void {
  const batch = data.batch(order, window, opts.targets);
  trainOnBatch(model, optimizer, batch.x, batch.targets, step, { penalty: opts.penalty, metrics: acc });
  batch.x.dispose();
  batch.targets.dispose();
}
