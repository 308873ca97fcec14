/**
 * One model trained a chunk of steps at a time, with ONE call of the library's `fit` for the whole
 * run: `fit` evaluates every `chunk` steps and awaits our `onEvaluate`, which returns only when the
 * next chunk is asked for. The optimizer's state, the epoch order and the step that keys every
 * random draw (noise, augmentation) carry on across pauses exactly as in an uninterrupted run, and
 * several runs can take turns on one GPU without the loop being re-implemented here.
 */
import { adam, evaluate, type Evaluation, type Metrics, type Runtime, type Sequential, type StepMetrics } from 'webgpu-regularization';
import { fit, mlp, type FitReport, type Regularizer } from 'webgpu-regularization/regularizers';
import type { Datasets } from './datasets';

/** How every model of the page trains. */
export interface RunScale {
  /** Layer widths, e.g. [784, 64, 10]. */
  sizes: readonly number[];
  batch: number;
  /** Steps of a whole run. */
  steps: number;
  /** Steps between evaluations (one "step" of the play / pause controls). */
  chunk: number;
  lr: number;
  /**
   * Builds the model with its regularizers (given once, as `mlp` and `cnn` take them); without it,
   * an MLP of `sizes`.
   */
  model?: (rt: Runtime, regularizers: readonly Regularizer[], seed: number) => Sequential;
  /** Score the untrained model (a step-0 report) before the first chunk (default true). */
  scoreUntrained?: boolean;
}

/** What one chunk produced. */
export interface ChunkReport {
  /** Steps trained so far. */
  step: number;
  /** Held-out loss and accuracy (inference mode: no noise). */
  val: Metrics;
  /**
   * The training digits themselves (the probe: at most PROBE_MAX of them), in inference mode: the
   * other side of the overfitting gap. Absent when the run was built not to measure it.
   */
  train?: Metrics;
}

/** A model built with its regularizers and trained on request, chunk by chunk. */
export class GatedRun {
  readonly model: Sequential;
  /** Each step's minibatch loss and accuracy (training mode: noise on), in order. */
  readonly stepMetrics: StepMetrics[] = [];
  /** One report per chunk, the untrained model's first (step 0) unless the scale says not to score it. */
  readonly reports: ChunkReport[] = [];
  private run: Promise<FitReport> | null = null;
  private waiter: { resolve: (r: ChunkReport | null) => void; reject: (e: unknown) => void } | null = null;
  private gate: ((go: boolean) => void) | null = null;
  private stopping = false;
  /** Set once `fit` has returned. */
  done = false;

  constructor(
    readonly name: string,
    private readonly regularizers: readonly Regularizer[],
    readonly data: Datasets,
    readonly scale: RunScale,
    readonly seed: number,
    /** Score the training digits at every evaluation (the smoothing panel reads its own logits instead). */
    private readonly measureTrain = true,
  ) {
    const rt = data.train.runtime;
    this.model = scale.model ? scale.model(rt, regularizers, seed) : mlp(rt, { sizes: scale.sizes, seed, regularizers });
  }

  /** Steps trained so far. */
  get step(): number {
    return this.reports.at(-1)?.step ?? 0;
  }

  /** The latest report (the untrained model's before the first chunk). */
  get last(): ChunkReport | undefined {
    return this.reports.at(-1);
  }

  /**
   * The mean minibatch loss (training mode) over the chunk that ended at step `end`: NaN until the
   * whole chunk has trained. Single steps of noisy training jump about too much to compare.
   */
  chunkLoss(end: number): number {
    const part = this.stepMetrics.filter((m) => m.step >= end - this.scale.chunk && m.step < end);
    return part.length === this.scale.chunk ? part.reduce((s, m) => s + m.loss, 0) / part.length : NaN;
  }

  /** Trains the next chunk and resolves with its evaluation; null once the run is over. */
  async nextChunk(): Promise<ChunkReport | null> {
    if (this.reports.length === 0 && this.scale.scoreUntrained !== false) await this.record(0);
    if (this.done || this.stopping) return null;
    if (this.waiter) throw new Error(`GatedRun ${this.name}: a chunk is already in progress; await it first`);
    const p = new Promise<ChunkReport | null>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (!this.run) this.start();
    else this.release(true);
    return p;
  }

  /** Ends the run at the end of the chunk in progress, if any, and frees the model. */
  async dispose(): Promise<void> {
    this.stopping = true;
    this.release(false);
    if (this.run) await this.run.catch(() => undefined);
    this.model.dispose();
  }

  private async record(step: number): Promise<ChunkReport> {
    const r = { step, val: await evaluate(this.model, this.data.val, 1000), train: await this.trainMetrics() };
    this.reports.push(r);
    return r;
  }

  private trainMetrics(): Promise<Metrics | undefined> {
    return this.measureTrain ? evaluate(this.model, this.data.probe, 1000) : Promise.resolve(undefined);
  }

  private release(go: boolean): void {
    const g = this.gate;
    this.gate = null;
    g?.(go);
  }

  private start(): void {
    const { batch, steps, chunk, lr } = this.scale;
    const perEpoch = Math.ceil(this.data.train.count / batch);
    this.run = fit(this.model, this.data, {
      optimizer: adam({ lr }),
      regularizers: this.regularizers,
      epochs: Math.ceil(steps / perEpoch) + 1,
      maxSteps: steps,
      batchSize: batch,
      seed: this.seed,
      evalEvery: chunk,
      onStepMetrics: (m) => this.stepMetrics.push(...m),
      onEvaluate: (e) => this.onEvaluate(e),
    });
    this.run.then(
      (report) => {
        report.optimizer.dispose();
        this.done = true;
        this.finishWaiter(null);
      },
      (e: unknown) => {
        this.done = true;
        const w = this.waiter;
        this.waiter = null;
        w?.reject(e);
      },
    );
  }

  private async onEvaluate(e: Evaluation): Promise<'stop' | undefined> {
    // fit's own evaluation gave the held-out metrics; the training digits are measured the same way.
    const r: ChunkReport = { step: e.step, val: e.val, train: await this.trainMetrics() };
    this.reports.push(r);
    this.finishWaiter(r);
    if (this.stopping) return 'stop';
    if (e.step >= this.scale.steps) return undefined;
    return new Promise((resolve) => {
      this.gate = (go) => resolve(go ? undefined : 'stop');
    });
  }

  private finishWaiter(r: ChunkReport | null): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve(r);
  }
}
