/**
 * The MNIST CNN recipe, beside the MLP's (./mnist.ts): a LeNet-shaped network on the engine's own
 * convolution kernels, trained with the same loop, data split and optimizers.
 *
 *   [batch, 784] rows → Conv2d 5×5×16 + ReLU → MaxPool 2 → Conv2d 5×5×32 + ReLU → MaxPool 2
 *   → Flatten (4·4·32 = 512) → Linear 128 + ReLU → Linear 10
 *
 * Unpadded ("valid") convolutions: 28 → 24 → 12 → 8 → 4. Padding the borders of MNIST's mostly
 * black frame would add work without information. The chapter-7 regularizers are options: L2 (the
 * optimizer's α), spatial dropout after the second pooling, dropout before the output layer, batch
 * norm per channel after each convolution, and augmentation of every training batch.
 */
import type { GpuDataset } from '../data/dataset';
import { MNIST_CLASSES, loadMnist, type MnistSplit } from '../data/mnist';
import { Conv2d, Flatten, MaxPool2d } from '../nn/conv';
import { Dropout, keepProbabilityOf, type DropoutProbability } from '../nn/dropout';
import type { Layer } from '../nn/layer';
import { Linear } from '../nn/linear';
import { Sequential } from '../nn/sequential';
import { BatchNorm2d, Dropout2d } from '../nn/spatial';
import { Relu } from '../nn/activation';
import { augmentImages, type AugmentOptions } from '../ops/augment';
import { ArgumentError } from '../runtime/errors';
import { RANDOM_STREAMS } from '../random/streams';
import type { Runtime } from '../runtime/runtime';
import { fit } from './loop';
import { evaluate, type Metrics } from './metrics';
import { makeOptimizer, type MnistHooks, type MnistReport, type OptimizerName } from './mnist';
import type { TrainingPlugin } from './plugin';
import { GpuDataset as Dataset } from '../data/dataset';

/** Augmentation of the CNN recipe: augmentImages' draws, without the key (the run's seed keys it). */
export type CnnAugmentation = Omit<AugmentOptions, 'height' | 'width' | 'seed' | 'stream' | 'offset'>;

/** Everything that defines a CNN run. */
export interface CnnConfig {
  /** Channels of the two convolutions. */
  channels: [number, number];
  /** Width of the dense hidden layer (0: none, the flattened maps go straight to the classes). */
  dense: number;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** After this many epochs the learning rate drops tenfold for the rest of the run (0: never). */
  lrDropAfter: number;
  momentum: number;
  /** L2 coefficient on the weights (filters and dense weights; biases excluded). */
  l2: number;
  /** Spatial dropout (Dropout2d) after the second pooling. */
  convDropout: DropoutProbability;
  /** Dropout on the dense hidden units. */
  denseDropout: DropoutProbability;
  /** BatchNorm2d after each convolution (its ReLU then runs after the normalization). */
  batchNorm: boolean;
  /** Random shifts, rotations and zooms of every training batch (null: none). */
  augment: CnnAugmentation | null;
  seed: number;
  train: number;
  val: number;
  test: number;
}

/** The documented CNN recipe: the MLP recipe's split (8,000 training digits, 2,000 held out). */
export const MNIST_CNN_RECIPE: CnnConfig = {
  channels: [16, 32],
  dense: 128,
  epochs: 20,
  batchSize: 64,
  optimizer: 'momentum',
  lr: 0.02,
  lrDropAfter: 15,
  momentum: 0.9,
  l2: 0,
  convDropout: { rate: 0 },
  denseDropout: { rate: 0.3 },
  batchNorm: false,
  augment: { maxShift: 2, maxRotation: 0.15, scale: [0.9, 1.1] },
  seed: 1,
  train: 8000,
  val: 1000,
  test: 1000,
};

const DROPOUT_STREAM = 0x434e4e00; // 'CNN\0': the model's dropout streams, apart from other features
const AUGMENT_STREAM = RANDOM_STREAMS.augmentation;

/** The layers of the CNN `config` describes (28 × 28 single-channel input rows). */
export function cnnLayers(config: Pick<CnnConfig, 'channels' | 'dense' | 'convDropout' | 'denseDropout' | 'batchNorm' | 'seed'>): Layer[] {
  const [c1, c2] = config.channels;
  const act = config.batchNorm ? 'none' : 'relu';
  const layers: Layer[] = [new Conv2d('conv1', 1, c1, { kernel: 5, activation: act, inputSize: [28, 28] })];
  if (config.batchNorm) layers.push(new BatchNorm2d('bn1', c1), new Relu('relu1'));
  layers.push(new MaxPool2d('pool1', { kernel: 2 }), new Conv2d('conv2', c1, c2, { kernel: 5, activation: act }));
  if (config.batchNorm) layers.push(new BatchNorm2d('bn2', c2), new Relu('relu2'));
  layers.push(new MaxPool2d('pool2', { kernel: 2 }));
  if (keepProbabilityOf('cnn', 'convDropout', config.convDropout) < 1)
    layers.push(new Dropout2d('drop2d', config.convDropout, config.seed, DROPOUT_STREAM + 1));
  layers.push(new Flatten('flatten'));
  const flat = 4 * 4 * c2;
  if (config.dense > 0) {
    layers.push(new Linear('fc1', flat, config.dense, { activation: 'relu' }));
    if (keepProbabilityOf('cnn', 'denseDropout', config.denseDropout) < 1)
      layers.push(new Dropout('drop', config.denseDropout, config.seed, DROPOUT_STREAM + 2));
  }
  layers.push(new Linear('out', config.dense > 0 ? config.dense : flat, MNIST_CLASSES));
  return layers;
}

/** The CNN as a Sequential, initialized from `config.seed`. */
export function createCnn(rt: Runtime, config: Pick<CnnConfig, 'channels' | 'dense' | 'convDropout' | 'denseDropout' | 'batchNorm' | 'seed'>): Sequential {
  return Sequential.create(rt, cnnLayers(config), { seed: config.seed });
}

/** A plugin that augments every training batch of 28 × 28 rows, keyed by (seed, step). */
export function augmentPlugin(options: CnnAugmentation, seed: number): TrainingPlugin {
  return {
    name: 'augmentation',
    transformBatch: (batch, ctx) => ({
      ...batch,
      x: augmentImages(batch.x, { ...options, height: 28, width: 28, seed, stream: AUGMENT_STREAM, offset: ctx.step }),
    }),
  };
}

function merged(a: Metrics, b: Metrics): Metrics {
  const count = a.count + b.count;
  return { count, loss: (a.loss * a.count + b.loss * b.count) / count, accuracy: (a.accuracy * a.count + b.accuracy * b.count) / count };
}

/** What a CNN run produced (the MLP report's fields, with this config). */
export interface CnnReport extends Omit<MnistReport, 'config'> {
  config: CnnConfig;
}

/** Trains the CNN `config` describes on MNIST (loaded and split here unless `split` is given). */
export async function trainMnistCnn(rt: Runtime, config: CnnConfig, hooks: MnistHooks = {}, split?: MnistSplit): Promise<CnnReport> {
  const t0 = performance.now();
  const data = split ?? (await loadMnist({ train: config.train, val: config.val, test: config.test, seed: config.seed }));
  const upload = (e: MnistSplit['train']): GpuDataset | undefined => (e.count > 0 ? Dataset.upload(rt, e.images, e.labels, MNIST_CLASSES) : undefined);
  const train = upload(data.train);
  if (!train) throw new ArgumentError('trainMnistCnn: the training split is empty');
  const val = upload(data.val);
  const test = upload(data.test);
  const model = createCnn(rt, config);
  const optimizer = makeOptimizer(model.arena, config);
  try {
    const epochs = await fit(model, optimizer, train, val, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed: config.seed,
      plugins: config.augment ? [augmentPlugin(config.augment, config.seed)] : [],
      onProgress: hooks.onProgress,
      onEpoch: (r) => {
        // A step schedule: the last epochs at a tenth of the rate settle the weights (momentum SGD's usual finish).
        if (config.lrDropAfter > 0 && r.epoch === config.lrDropAfter) optimizer.lr = config.lr / 10;
        return hooks.onEpoch?.(r);
      },
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
