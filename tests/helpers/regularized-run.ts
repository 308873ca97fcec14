/**
 * One fixed, fully random regularized training run, shared by the reproducibility and concurrency
 * tests (tests/reliability/) and by the child process that runs it on another adapter
 * (./regularized-run-child.ts): a 784-32-10 MLP on 256 real MNIST digits, batch 32, momentum SGD
 * with L2, and every random regularizer on at once: input and hidden dropout, augmentation (shifts,
 * rotations, zooms, input noise), Gaussian input, hidden-unit and weight noise, and bootstrap
 * sampling (a bagging member's resample). Everything random is keyed by `seed` (and `member`).
 */
import { GpuDataset, loadMnist, MNIST_CLASSES, momentum, type Runtime, type Sequential } from '../../engine/index';
import { augmentation, bootstrap, dropout, fit, hiddenNoise, inputNoise, l2, mlp, weightNoise, type Regularizer } from '../../regularizers/index';

/** What a run is asked for. */
export interface RegularizedRunOptions {
  seed: number;
  /** The bagging member: which bootstrap resample it trains on (default 0). */
  member?: number;
  /** Training steps (default 100). */
  steps?: number;
  /** Extra plugins (e.g. a turnstile that interleaves two runs); they must not change the computation. */
  extra?: Regularizer[];
  /** Evaluate every this many steps (default: never during training). */
  evalEvery?: number;
}

/** The training and validation digits of every run (256 and 32, split seed 1). */
export interface RunData {
  train: GpuDataset;
  val: GpuDataset;
  dispose(): void;
}

/** Uploads the run's data to `rt`. */
export async function uploadRunData(rt: Runtime): Promise<RunData> {
  const split = await loadMnist({ train: 256, val: 32, test: 0, seed: 1 });
  const train = GpuDataset.upload(rt, split.train.images, split.train.labels, MNIST_CLASSES);
  const val = GpuDataset.upload(rt, split.val.images, split.val.labels, MNIST_CLASSES);
  return {
    train,
    val,
    dispose: () => {
      train.dispose();
      val.dispose();
    },
  };
}

/** Every random regularizer, fresh (they hold per-run state). */
export function randomRegularizers(seed: number, member: number): Regularizer[] {
  return [
    l2({ alpha: 1e-4 }),
    dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } }),
    augmentation({ noiseStd: 0.05 }),
    inputNoise({ std: 0.05 }),
    hiddenNoise({ std: 0.05 }),
    weightNoise({ eta: 1e-4 }),
    bootstrap({ seed, member }),
  ];
}

/** The model of a run, with the layers its regularizers insert. */
export function runModel(rt: Runtime, seed: number, regs: readonly Regularizer[]): Sequential {
  return mlp(rt, { sizes: [784, 32, 10], seed, regularizers: regs });
}

/** Trains a fresh model for `steps` steps and returns every parameter, by name, read back. */
export async function regularizedRun(rt: Runtime, data: RunData, opts: RegularizedRunOptions): Promise<Record<string, Float32Array>> {
  const { seed, member = 0, steps = 100, extra = [], evalEvery } = opts;
  const regs = randomRegularizers(seed, member);
  const model = runModel(rt, seed, regs);
  try {
    const report = await fit(
      model,
      { train: data.train, val: evalEvery ? data.val : undefined },
      {
        optimizer: momentum({ lr: 0.05, momentum: 0.9 }),
        regularizers: [...regs, ...extra],
        epochs: Math.ceil(steps / 8),
        maxSteps: steps,
        batchSize: 32,
        seed,
        evalEvery,
      },
    );
    report.optimizer.dispose();
    if (report.steps !== steps) throw new Error(`regularizedRun: trained ${report.steps} steps, expected ${steps}`);
    return (await model.exportState()).params;
  } finally {
    model.dispose();
  }
}

/** Parameters as one buffer: names sorted, then each name's f32 values (what a child writes out). */
export function packParams(params: Record<string, Float32Array>): { names: string[]; sizes: number[]; bytes: Uint8Array } {
  const names = Object.keys(params).sort();
  const sizes = names.map((n) => params[n].length);
  const all = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const n of names) {
    all.set(params[n], at);
    at += params[n].length;
  }
  return { names, sizes, bytes: new Uint8Array(all.buffer) };
}
