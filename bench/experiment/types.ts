/**
 * What the regularization experiment (`npm run experiment`, bench/experiment.ts) measures and
 * writes: per run (one configuration, one seed) the final accuracies, the exact-zero fraction of the
 * weights and the time per epoch; per configuration the same over the seeds as mean, standard
 * deviation and min–max. The JSON file a run writes is exactly an {@link ExperimentReport}.
 */
import type { AdapterDescription } from '../../engine/index';

/** The version of the report format (bump when it changes incompatibly). */
export const EXPERIMENT_SCHEMA_VERSION = 1;

/** Everything that is the same for every configuration of a run. */
export interface ExperimentSetup {
  /** Layer widths, inputs first, e.g. [784, 256, 256, 10] (the MLP; unused when `cnn` is set). */
  sizes: number[];
  /**
   * When set, every configuration trains this convolutional network (regularizers/model.ts `cnn`:
   * conv 5×5 → pool → conv 5×5 → pool → dense → classes) instead of the MLP of `sizes`.
   */
  cnn?: { channels: [number, number]; dense: number };
  /** Training digits (the set the models fit). */
  train: number;
  /** Validation digits: used only by early stopping (to choose when to stop). */
  val: number;
  /** Held-out test digits: every reported held-out figure is on these. */
  test: number;
  /** Seed of the split of the 10,000 MNIST digits (the same split for every configuration and seed). */
  splitSeed: number;
  /** Seeds: each seeds a run's initial weights, minibatch order and random draws. */
  seeds: number[];
  /** Epochs (early stopping may stop sooner). */
  epochs: number;
  batchSize: number;
  /** The optimizer every configuration uses, e.g. `momentum lr 0.02 μ 0.9`. */
  optimizer: { rule: 'momentum'; lr: number; momentum: number };
}

/** One configuration's hyperparameters as shown in the report. */
export type Hyper = Record<string, number | string>;

/** One run: a configuration trained once with one seed. */
export interface RunResult {
  config: string;
  seed: number;
  /** Accuracy on the training digits in inference mode (no dropout, no noise, no augmentation). */
  trainAccuracy: number;
  trainLoss: number;
  /** Accuracy on the held-out test digits. */
  heldOutAccuracy: number;
  heldOutLoss: number;
  /** trainAccuracy − heldOutAccuracy. */
  gap: number;
  /** Fraction of the weight-matrix entries (biases and batch-norm parameters excluded) that are exactly 0. */
  zeroFraction: number;
  /** The largest L2 norm of a unit's incoming weight vector (a column of a weight matrix) over all layers: where max-norm's c binds. */
  maxColumnNorm: number;
  /**
   * Median over the run's epochs of the epoch's wall time in seconds, GPU work and early stopping's
   * validation pass included. Bagging: the epoch of all k members, whether they trained at once
   * (`batched`: one clock for the epoch of all of them) or one after another (each member's median,
   * summed).
   */
  secondsPerEpoch: number;
  /** Epochs trained (fewer than asked when early stopping stopped; bagging: per member). */
  epochs: number;
  /** Why training ended: 'epochs', or what stopped it. */
  stoppedBy: string;
  /** Early stopping: the epoch whose parameters were restored. */
  bestEpoch?: number;
  /** Training dispatches per step (bagging: of one member, or batched of the step of all members at once). */
  dispatchesPerStep: number;
  /** Bagging: the members trained at once (one matmul dispatch per layer for all), bit for bit as one after another; absent when they trained one after another. */
  batched?: boolean;
  /** Wall time of the whole run (training and evaluation), seconds. */
  seconds: number;
}

/** A figure over the seeds. */
export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator; 0 for one seed). */
  std: number;
  min: number;
  max: number;
  n: number;
}

/** One configuration's row of the table. */
export interface ConfigSummary {
  config: string;
  label: string;
  /** The label in the charts. */
  short: string;
  /** What the configuration is, in words. */
  about: string;
  hyper: Hyper;
  trainAccuracy: Spread;
  heldOutAccuracy: Spread;
  gap: Spread;
  zeroFraction: Spread;
  secondsPerEpoch: Spread;
  epochs: Spread;
  heldOutLoss: Spread;
}

/** A whole run of the experiment. */
export interface ExperimentReport {
  schemaVersion: typeof EXPERIMENT_SCHEMA_VERSION;
  /** ISO 8601 time the run started. */
  createdAt: string;
  /** `Node v20.x (Dawn, npm webgpu)`. */
  runtime: string;
  adapter: AdapterDescription;
  adapterName: string;
  setup: ExperimentSetup;
  /** What the ± in the table is. */
  spread: 'std';
  summaries: ConfigSummary[];
  runs: RunResult[];
  /** Wall time of the whole experiment, seconds (of the last process, when it resumed an interrupted one). */
  durationSeconds: number;
  /** Runs taken from an interrupted experiment (`--resume`) instead of trained by this process. */
  resumedRuns?: number;
}

/** What `npm run experiment` writes after every run, so that `--resume` can continue it. */
export interface PartialExperiment {
  schemaVersion: typeof EXPERIMENT_SCHEMA_VERSION;
  setup: ExperimentSetup;
  runs: RunResult[];
}

/** The network in words, for the table and the progress lines. */
export function modelLabel(setup: ExperimentSetup): string {
  if (setup.cnn) {
    const [c1, c2] = setup.cnn.channels;
    return `CNN conv5×5×${c1}-pool-conv5×5×${c2}-pool-${setup.cnn.dense}-10`;
  }
  return `MLP ${setup.sizes.join('-')}`;
}
