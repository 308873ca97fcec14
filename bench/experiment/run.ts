/**
 * Runs the regularization experiment on one runtime: uploads one fixed split of the MNIST digits,
 * then trains every configuration once per seed (seeds in the outer loop, so that a change in the
 * machine's load while the run goes on hits every configuration alike), evaluates each trained
 * model on its training digits and on the held-out test digits in inference mode, and summarizes
 * the runs per configuration. Imports nothing Node-only.
 */
import { evaluate, GpuDataset, loadMnist, MNIST_CLASSES, momentum, type Examples, type Runtime, type Sequential } from '../../engine/index';
import { bagging, cnn, fit, mlp, weightReport, type EarlyStopping, type ParamNormReport, type Regularizer } from '../../regularizers/index';
import type { ExperimentConfig } from './configs';
import { medianOf, summarize } from './stats';
import { EXPERIMENT_SCHEMA_VERSION, type ExperimentReport, type ExperimentSetup, type RunResult } from './types';

/** The data of a run, on the GPU. */
export interface ExperimentData {
  train: GpuDataset;
  val: GpuDataset;
  test: GpuDataset;
  dispose(): void;
}

/** Loads the split `setup` describes and uploads it. */
export async function loadExperimentData(rt: Runtime, setup: Pick<ExperimentSetup, 'train' | 'val' | 'test' | 'splitSeed'>): Promise<ExperimentData> {
  const split = await loadMnist({ train: setup.train, val: setup.val, test: setup.test, seed: setup.splitSeed });
  const up = (e: Examples) => GpuDataset.upload(rt, e.images, e.labels, MNIST_CLASSES);
  const train = up(split.train);
  const val = up(split.val);
  const test = up(split.test);
  return {
    train,
    val,
    test,
    dispose: () => {
      train.dispose();
      val.dispose();
      test.dispose();
    },
  };
}

/** The fraction of exactly-zero entries over the weight matrices of all the reports. */
function zeroFractionOf(reports: readonly ParamNormReport[][]): number {
  let zeros = 0;
  let size = 0;
  for (const r of reports.flat()) {
    if (r.role !== 'weight') continue;
    zeros += r.zeros;
    size += r.size;
  }
  return size > 0 ? zeros / size : 0;
}

/** The largest column norm over the weight matrices of all the reports. */
function maxColumnNormOf(reports: readonly ParamNormReport[][]): number {
  return Math.max(
    0,
    ...reports
      .flat()
      .filter((r) => r.role === 'weight')
      .map((r) => r.maxColumnNorm ?? 0),
  );
}

function isEarlyStopping(r: Regularizer): r is EarlyStopping {
  return 'report' in r && r.name === 'early stopping';
}

/**
 * Wall time per epoch, from one epoch's `onEpoch` call to the next epoch's (the first from the
 * clock's start). The loop calls `onEpoch` after it has read the epoch's metrics back, so each
 * interval holds all of the epoch's GPU work, plus the evaluation on the validation set where a
 * regularizer asks for one (early stopping's own cost), which `EpochResult.seconds` leaves out.
 * Calls that repeat the last epoch's number are the same epoch (batched bagging calls `onEpoch`
 * once per member after each epoch of all of them) and do not tick. The median is not moved by the
 * first epoch of a configuration, which also compiles its pipelines.
 */
class EpochClock {
  private readonly seconds: number[] = [];
  private lastEpoch = -1;

  constructor(private last = performance.now()) {}

  tick(epoch: number): void {
    if (epoch === this.lastEpoch) return;
    this.lastEpoch = epoch;
    const now = performance.now();
    this.seconds.push((now - this.last) / 1000);
    this.last = now;
  }

  median(): number {
    return this.seconds.length > 0 ? medianOf(this.seconds) : NaN;
  }
}

/** The network of `setup` (its MLP, or its CNN) with the run's regularizers. */
export function experimentModel(rt: Runtime, setup: ExperimentSetup, seed: number, regularizers: readonly Regularizer[]): Sequential {
  if (setup.cnn) return cnn(rt, { channels: setup.cnn.channels, dense: setup.cnn.dense, seed, regularizers });
  return mlp(rt, { sizes: setup.sizes, seed, regularizers });
}

const direction = (setup: ExperimentSetup) => momentum({ lr: setup.optimizer.lr, momentum: setup.optimizer.momentum });

/**
 * One configuration trained once with `seed`, evaluated. Bagging's members train at once where
 * they can (`batched`, default 'auto'; false trains them one after another, the same members bit for bit).
 */
export async function runOne(
  rt: Runtime,
  data: ExperimentData,
  setup: ExperimentSetup,
  config: ExperimentConfig,
  seed: number,
  batched: boolean | 'auto' = 'auto',
): Promise<RunResult> {
  const t0 = performance.now();
  const common = { config: config.name, seed };
  if (config.bagging) {
    const k = config.bagging;
    const regs = config.regularizers();
    // One clock per training stream: one after another, each member's (its model is made just
    // before it trains); batched, one for all (every member is made before the first epoch). The
    // record's time per epoch is the sum over the streams: the epoch of all k members either way.
    const clocks: EpochClock[] = [];
    let made = 0;
    let madeAt = performance.now();
    let streamOf = -1;
    // Members differ by their bootstrap resample and by their initial weights; they train at once
    // when they can (engine/train/ensemble.ts, bit for bit the members trained one after another).
    const { ensemble, reports } = await bagging(
      { train: data.train, val: config.usesValidation ? data.val : undefined },
      {
        k,
        makeModel: (i) => {
          made++;
          madeAt = performance.now();
          return experimentModel(rt, setup, 1000 * seed + i, regs);
        },
        optimizer: direction(setup),
        regularizers: regs,
        epochs: setup.epochs,
        batchSize: setup.batchSize,
        seed,
        batched,
        onEpoch: (r) => {
          if (streamOf !== made) {
            streamOf = made;
            clocks.push(new EpochClock(madeAt));
          }
          clocks[clocks.length - 1].tick(r.epoch);
        },
      },
    );
    try {
      const train = await ensemble.evaluate(data.train);
      const test = await ensemble.evaluate(data.test);
      const weights: ParamNormReport[][] = [];
      for (const m of ensemble.members) weights.push(await weightReport(m));
      return {
        ...common,
        trainAccuracy: train.accuracy,
        trainLoss: train.nll,
        heldOutAccuracy: test.accuracy,
        heldOutLoss: test.nll,
        gap: train.accuracy - test.accuracy,
        zeroFraction: zeroFractionOf(weights),
        maxColumnNorm: maxColumnNormOf(weights),
        secondsPerEpoch: clocks.reduce((sum, c) => sum + c.median(), 0),
        ...(k > 1 && clocks.length === 1 ? { batched: true } : {}),
        epochs: medianOf(reports.map((r) => r.epochs.length)),
        stoppedBy: reports[0].stoppedBy,
        dispatchesPerStep: reports[0].epochs[0]?.dispatchesPerStep ?? NaN,
        seconds: (performance.now() - t0) / 1000,
      };
    } finally {
      ensemble.dispose();
    }
  }
  const regs = config.regularizers();
  const model = experimentModel(rt, setup, seed, regs);
  try {
    const epochClock = new EpochClock();
    const report = await fit(
      model,
      { train: data.train, val: config.usesValidation ? data.val : undefined },
      { optimizer: direction(setup), regularizers: regs, epochs: setup.epochs, batchSize: setup.batchSize, seed, onEpoch: (r) => epochClock.tick(r.epoch) },
    );
    report.optimizer.dispose();
    const train = await evaluate(model, data.train, 1000);
    const test = await evaluate(model, data.test, 1000);
    const early = regs.find(isEarlyStopping);
    const weights = [await weightReport(model)];
    return {
      ...common,
      trainAccuracy: train.accuracy,
      trainLoss: train.loss,
      heldOutAccuracy: test.accuracy,
      heldOutLoss: test.loss,
      gap: train.accuracy - test.accuracy,
      zeroFraction: zeroFractionOf(weights),
      maxColumnNorm: maxColumnNormOf(weights),
      secondsPerEpoch: epochClock.median(),
      epochs: report.epochs.length,
      stoppedBy: report.stoppedBy,
      ...(early ? { bestEpoch: early.report.bestEpoch } : {}),
      dispatchesPerStep: report.epochs[0]?.dispatchesPerStep ?? NaN,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    model.dispose();
  }
}

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  setup: ExperimentSetup;
  configs: readonly ExperimentConfig[];
  /** Called after each run with its result, the run's index (1-based) and the number of runs. */
  onRun?: (r: RunResult, index: number, total: number) => void;
  /** A progress message (data loaded, …). */
  log?: (message: string) => void;
  /**
   * Runs already finished by an interrupted experiment with this setup: each (configuration, seed)
   * found here is taken as it is instead of being trained again (runs are deterministic per seed;
   * only their timings depend on when they ran).
   */
  done?: readonly RunResult[];
}

/** `Node v20.x (Dawn, npm webgpu)` in Node, the user agent in a browser. */
function runtimeLabel(): string {
  if (typeof process !== 'undefined' && process.versions?.node) return `Node ${process.version} (Dawn, npm webgpu)`;
  return typeof navigator !== 'undefined' ? navigator.userAgent : 'browser';
}

/** Runs every configuration once per seed on `rt` (see the file's comment). */
export async function runExperiment(rt: Runtime, opts: ExperimentOptions): Promise<ExperimentReport> {
  const { setup, configs } = opts;
  const createdAt = new Date().toISOString();
  const t0 = performance.now();
  const data = await loadExperimentData(rt, setup);
  opts.log?.(`data: ${setup.train} training, ${setup.val} validation, ${setup.test} held-out digits (split seed ${setup.splitSeed})`);
  const runs: RunResult[] = [];
  const total = configs.length * setup.seeds.length;
  try {
    for (const seed of setup.seeds) {
      for (const config of configs) {
        const r = opts.done?.find((d) => d.config === config.name && d.seed === seed) ?? (await runOne(rt, data, setup, config, seed));
        runs.push(r);
        opts.onRun?.(r, runs.length, total);
      }
    }
  } finally {
    data.dispose();
  }
  return {
    schemaVersion: EXPERIMENT_SCHEMA_VERSION,
    createdAt,
    runtime: runtimeLabel(),
    adapter: rt.info,
    adapterName: rt.adapterName,
    setup,
    spread: 'std',
    summaries: configs.map((c) => summarize(c, runs)),
    runs,
    durationSeconds: (performance.now() - t0) / 1000,
    ...(opts.done?.length ? { resumedRuns: runs.filter((r) => opts.done?.includes(r)).length } : {}),
  };
}
