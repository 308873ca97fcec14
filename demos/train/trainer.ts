/**
 * Training one epoch at a time (of the MLP or of the CNN) under play / pause / step, with ONE call of the library's `fit`
 * for the whole run: `fit` evaluates on the held-out set after every epoch and awaits our
 * `onEvaluate`, which returns only when the next epoch is asked for. So the optimizer's state, the
 * epoch order (a fresh shuffle per epoch), the step that keys the dropout masks, and early stopping's
 * patience all carry on across pauses exactly as in an uninterrupted run, and nothing here
 * re-implements the loop. Per-step minibatch metrics arrive through `onStepMetrics` (read back in
 * groups, without stalling the GPU).
 */
import { adam, type Evaluation, type GpuDataset, type Metrics, type Sequential, type StepMetrics, type TrainingPlugin } from 'webgpu-regularization';
import { cnn, fit, mlp, type EarlyStopping, type FitReport, type Regularizer } from 'webgpu-regularization/regularizers';
import { regularizersOf, type NetShape, type RunScale, type TrainSettings } from './settings';

/** What one epoch (one "step" of the controls) produced. */
export interface EpochReport {
  /** Minibatch steps taken since the run began (the x axis of the curves). */
  step: number;
  epoch: number;
  /** The epoch's running training loss and accuracy (training mode: dropout and augmentation on). */
  train?: Metrics;
  /** Held-out loss and accuracy (inference mode). */
  val: Metrics;
}

/** How a run ended: the reason `fit` gave and, with early stopping, the step whose parameters were restored. */
export interface RunEnd {
  stoppedBy: string;
  steps: number;
  /** Set when early stopping restored its best parameters. */
  restoredStep?: number;
}

/** Callbacks of a {@link Trainer}. */
export interface TrainerEvents {
  /** Each minibatch step's training loss and accuracy, in groups. */
  onSteps?(m: readonly StepMetrics[]): void;
  /** The run has ended (after early stopping has restored its best parameters); not called on dispose. */
  onEnd?(end: RunEnd): void;
  /** Training-loop hooks of the page (e.g. reading the filters back), run after the regularizers'. */
  plugins?: readonly TrainingPlugin[];
}

/** One run: a model built from the settings, trained epoch by epoch on request. */
export class Trainer {
  readonly model: Sequential;
  private readonly regs: Regularizer[];
  private run: Promise<FitReport> | null = null;
  /** The caller waiting for the end of the epoch in progress. */
  private waiter: { resolve: (r: EpochReport | null) => void; reject: (e: unknown) => void } | null = null;
  /** Resolves `fit`'s pending onEvaluate: 'go' trains the next epoch, 'stop' ends the run. */
  private gate: ((answer: 'go' | 'stop') => void) | null = null;
  private stopping = false;
  /** Set once `fit` has returned (or failed). */
  end: RunEnd | null = null;
  /** Steps taken so far (including `startStep`). */
  step: number;

  /**
   * @param net the network to build (the MLP's sizes or the CNN's widths)
   * @param scale the run's sizes (digits, minibatch, learning rates, epochs)
   * @param startStep the first step's number: a model loaded from a checkpoint keeps counting, so its
   *   dropout masks continue the sequence instead of repeating the first epochs' masks
   */
  constructor(
    readonly settings: TrainSettings,
    readonly net: NetShape,
    readonly scale: RunScale,
    private readonly data: { train: GpuDataset; val: GpuDataset },
    private readonly events: TrainerEvents = {},
    readonly startStep = 0,
  ) {
    this.regs = regularizersOf(settings);
    const rt = data.train.runtime;
    const seed = settings.seed;
    this.model =
      net.kind === 'cnn'
        ? cnn(rt, { channels: net.channels, dense: net.dense, seed, regularizers: this.regs })
        : mlp(rt, { sizes: net.sizes, seed, regularizers: this.regs });
    this.step = startStep;
  }

  /** Whether the run has ended (epochs exhausted, early stopping, or stopped). */
  get done(): boolean {
    return this.end !== null;
  }

  /**
   * Trains one epoch and resolves with its report once the held-out evaluation is in; null if the
   * run has ended instead (see {@link end}).
   */
  nextEpoch(): Promise<EpochReport | null> {
    if (this.end || this.stopping) return Promise.resolve(null);
    if (this.waiter) throw new Error('Trainer.nextEpoch: an epoch is already in progress; await it first');
    const p = new Promise<EpochReport | null>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (!this.run) this.start();
    else this.release('go');
    return p;
  }

  /** Ends the run (at the end of the epoch in progress, if one is) and frees the model. */
  async dispose(): Promise<void> {
    this.stopping = true;
    this.release('stop');
    if (this.run) await this.run.catch(() => undefined);
    this.model.dispose();
  }

  private release(answer: 'go' | 'stop'): void {
    const g = this.gate;
    this.gate = null;
    g?.(answer);
  }

  private start(): void {
    const es = this.earlyStopping();
    this.run = fit(this.model, this.data, {
      optimizer: adam({ lr: this.net.kind === 'cnn' ? this.scale.cnnLr : this.scale.lr }),
      regularizers: this.regs,
      plugins: this.events.plugins,
      epochs: this.scale.maxEpochs,
      batchSize: this.scale.batchSize,
      seed: this.settings.seed,
      startStep: this.startStep,
      onStepMetrics: (m) => {
        this.step = m[m.length - 1].step + 1;
        this.events.onSteps?.(m);
      },
      onEvaluate: (e) => this.onEvaluate(e),
    });
    this.run.then(
      (report) => {
        report.optimizer.dispose();
        this.step = this.startStep + report.steps;
        const stoppedEarly = report.stoppedBy === 'early stopping';
        this.end = { stoppedBy: report.stoppedBy, steps: this.step, restoredStep: stoppedEarly && es ? es.report.bestStep : undefined };
        this.finishWaiter(null);
        if (!this.stopping) this.events.onEnd?.(this.end);
      },
      (e: unknown) => {
        this.end = { stoppedBy: 'error', steps: this.step };
        const w = this.waiter;
        this.waiter = null;
        w?.reject(e);
      },
    );
  }

  private onEvaluate(e: Evaluation): Promise<'stop' | undefined> {
    this.step = e.step;
    this.finishWaiter({ step: e.step, epoch: e.epoch, train: e.train, val: e.val });
    if (this.stopping) return Promise.resolve('stop');
    // The last evaluation of the run: let fit finish now rather than when the next epoch is asked for.
    if (this.earlyStopping()?.report.stoppedEarly || e.epoch >= this.scale.maxEpochs) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.gate = (answer) => resolve(answer === 'stop' ? 'stop' : undefined);
    });
  }

  private earlyStopping(): EarlyStopping | undefined {
    return this.regs.find((r): r is EarlyStopping => r.name === 'early stopping');
  }

  private finishWaiter(r: EpochReport | null): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve(r);
  }
}
