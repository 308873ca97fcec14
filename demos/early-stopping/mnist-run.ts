/**
 * One early-stopped training run on a small MNIST set, driven one evaluation at a time so that the
 * page's play / pause / step buttons can hold it: the regularizers' `fit` runs with
 * `earlyStopping({ patience, evalEvery })`, and the page's `onEvaluate` callback (awaited by the
 * loop) waits for permission before the next `evalEvery` steps. Each evaluation also measures the
 * loss on the whole training set (not the epoch's running average), so the two curves compare like
 * with like.
 */
import { evaluate, momentum, type GpuDataset, type Runtime, type Sequential } from 'webgpu-regularization';
import { earlyStopping, fit, mlp, type EarlyStopping, type EarlyStoppingReport } from 'webgpu-regularization/regularizers';

/** The recipe: small enough to overfit 500 digits within a few hundred steps. */
export const RECIPE = { sizes: [784, 64, 10], lr: 0.1, momentum: 0.9, batchSize: 50 } as const;

/** One point of the curves. */
export interface CurvePoint {
  step: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
}

/** Options of a run. */
export interface RunConfig {
  patience: number;
  evalEvery: number;
  seed: number;
}

/** A run in progress (or finished); `advance()` trains up to the next evaluation. */
export class EarlyStoppingRun {
  readonly es: EarlyStopping;
  readonly model: Sequential;
  readonly points: CurvePoint[] = [];
  /** True once training has stopped and the best parameters are restored. */
  done = false;
  private running: Promise<void> | null = null;
  private release: (() => void) | null = null;
  private reached: (() => void) | null = null;
  private aborted = false;

  constructor(
    readonly rt: Runtime,
    readonly train: GpuDataset,
    readonly val: GpuDataset,
    readonly config: RunConfig,
    private readonly onPoint: (run: EarlyStoppingRun) => void,
  ) {
    this.es = earlyStopping({ patience: config.patience, evalEvery: config.evalEvery });
    this.model = mlp(rt, { sizes: RECIPE.sizes, seed: config.seed });
  }

  get report(): EarlyStoppingReport {
    return this.es.report;
  }

  /** Trains until the next evaluation (or the end); resolves when it is there. */
  advance(): Promise<void> {
    if (this.done) return Promise.resolve();
    const there = new Promise<void>((r) => (this.reached = r));
    if (!this.running) this.running = this.run();
    else this.release?.();
    return Promise.race([there, this.running]);
  }

  private async run(): Promise<void> {
    const r = await fit(
      this.model,
      { train: this.train, val: this.val },
      {
        optimizer: momentum({ lr: RECIPE.lr, momentum: RECIPE.momentum }),
        regularizers: [this.es],
        // Patience ends the run long before this; it only bounds a run whose loss never turns up.
        epochs: 400,
        batchSize: RECIPE.batchSize,
        seed: this.config.seed,
        onEvaluate: async (e) => {
          if (this.aborted) return 'stop';
          // The early-stopping hook has already seen this evaluation: its report is up to date.
          const train = await evaluate(this.model, this.train, 1000);
          this.points.push({ step: e.step, trainLoss: train.loss, valLoss: e.val.loss, valAccuracy: e.val.accuracy });
          this.onPoint(this);
          if (this.es.report.stoppedEarly) return undefined;
          const go = new Promise<void>((r) => (this.release = r));
          this.reached?.();
          await go;
          return this.aborted ? 'stop' : undefined;
        },
      },
    );
    r.optimizer.dispose();
    this.done = true;
    this.onPoint(this);
    this.reached?.();
  }

  /** Stops a run in progress (at its next evaluation) and frees the model. */
  async dispose(): Promise<void> {
    this.aborted = true;
    this.release?.();
    await this.running?.catch(() => undefined);
    this.model.dispose();
  }
}
