/**
 * The MNIST recipe as one function, shared by the CLI (bench/train.ts), the tests and the browser:
 * split the digits, upload them once, build the MLP and the optimizer, train, and evaluate on the
 * held-out digits.
 */
import { GpuDataset } from '../data/dataset';
import { MNIST_CLASSES, MNIST_FEATURES, loadMnist, type MnistSplit } from '../data/mnist';
import { createMlp } from '../nn/mlp';
import type { DropoutProbability } from '../nn/dropout';
import { Adam, AdamW, Momentum, SGD, type Optimizer } from '../optim/optimizers';
import type { ParamArena } from '../optim/arena';
import { ArgumentError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fit, type EpochResult, type Progress } from './loop';
import { evaluate, type Metrics } from './metrics';

/** The optimizers a recipe can name. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw';

/** Everything that defines a run. */
export interface MnistConfig {
  /** Hidden layer widths, e.g. [256, 256]. */
  hidden: number[];
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** μ of the momentum optimizer. */
  momentum: number;
  /** L2 coefficient on the weights (biases excluded); decoupled decay for AdamW. */
  l2: number;
  /** Dropout on the inputs during training ({ keep } or { rate }). */
  inputDropout: DropoutProbability;
  /** Dropout on the hidden units during training ({ keep } or { rate }). */
  hiddenDropout: DropoutProbability;
  /** Seeds the split, the initial weights and the epoch order. */
  seed: number;
  /** Sizes of the split of the 10,000 digits. */
  train: number;
  val: number;
  test: number;
}

/** The documented recipe: 784-256-256-10, 8,000 training digits, 2,000 held out (val + test). */
export const MNIST_RECIPE: MnistConfig = {
  hidden: [256, 256],
  epochs: 15,
  batchSize: 64,
  optimizer: 'momentum',
  lr: 0.02,
  momentum: 0.9,
  l2: 0,
  inputDropout: { rate: 0 },
  hiddenDropout: { rate: 0 },
  seed: 1,
  train: 8000,
  val: 1000,
  test: 1000,
};

/** What a run produced. */
export interface MnistReport {
  config: MnistConfig;
  adapter: string;
  epochs: EpochResult[];
  /** The test part of the split. */
  test: Metrics;
  /** Validation and test together: every digit not trained on. */
  heldOut: Metrics;
  seconds: number;
}

/** Callbacks of {@link trainMnist}. */
export interface MnistHooks {
  onProgress?: (p: Progress) => void;
  onEpoch?: (r: EpochResult) => void;
}

/** The optimizer `config` names, over `arena`. */
export function makeOptimizer(arena: ParamArena, config: Pick<MnistConfig, 'optimizer' | 'lr' | 'momentum' | 'l2'>): Optimizer {
  const { lr, l2: alpha } = config;
  switch (config.optimizer) {
    case 'sgd':
      return new SGD(arena, { lr, alpha });
    case 'momentum':
      return new Momentum(arena, { lr, alpha, momentum: config.momentum });
    case 'adam':
      return new Adam(arena, { lr, alpha });
    case 'adamw':
      return new AdamW(arena, { lr, alpha });
    default:
      throw new ArgumentError(`unknown optimizer "${String(config.optimizer)}" (sgd, momentum, adam, adamw)`);
  }
}

function merged(a: Metrics, b: Metrics): Metrics {
  const count = a.count + b.count;
  return { count, loss: (a.loss * a.count + b.loss * b.count) / count, accuracy: (a.accuracy * a.count + b.accuracy * b.count) / count };
}

/** Trains the MLP `config` describes on MNIST (loaded and split here unless `split` is given). */
export async function trainMnist(rt: Runtime, config: MnistConfig, hooks: MnistHooks = {}, split?: MnistSplit): Promise<MnistReport> {
  const t0 = performance.now();
  const data = split ?? (await loadMnist({ train: config.train, val: config.val, test: config.test, seed: config.seed }));
  const upload = (e: MnistSplit['train']): GpuDataset | undefined => (e.count > 0 ? GpuDataset.upload(rt, e.images, e.labels, MNIST_CLASSES) : undefined);
  const train = upload(data.train);
  if (!train) throw new ArgumentError('trainMnist: the training split is empty');
  const val = upload(data.val);
  const test = upload(data.test);
  const model = createMlp(rt, {
    sizes: [MNIST_FEATURES, ...config.hidden, MNIST_CLASSES],
    seed: config.seed,
    inputDropout: config.inputDropout,
    hiddenDropout: config.hiddenDropout,
  });
  const optimizer = makeOptimizer(model.arena, config);
  try {
    const epochs = await fit(model, optimizer, train, val, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed: config.seed,
      onProgress: hooks.onProgress,
      onEpoch: hooks.onEpoch,
    });
    const none: Metrics = { loss: NaN, accuracy: NaN, count: 0 };
    const testMetrics = test ? await evaluate(model, test) : none;
    const valMetrics = val ? await evaluate(model, val) : none;
    const heldOut = valMetrics.count === 0 ? testMetrics : testMetrics.count === 0 ? valMetrics : merged(valMetrics, testMetrics);
    return { config, adapter: rt.adapterName, epochs, test: testMetrics, heldOut, seconds: (performance.now() - t0) / 1000 };
  } finally {
    optimizer.dispose();
    model.dispose();
    train.dispose();
    val?.dispose();
    test?.dispose();
  }
}
