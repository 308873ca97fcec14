/**
 * Building a model with regularizers: the layers some techniques need (dropout, batch norm, hidden
 * noise) are inserted where each asks (the insertion sites of engine/nn/mlp.ts), in an MLP (`mlp`)
 * or in a small convolutional network for 28 × 28 images (`cnn`).
 */
import {
  ArgumentError,
  Conv2d,
  createMlp,
  Flatten,
  Linear,
  MaxPool2d,
  Relu,
  Sequential,
  type Layer,
  type LayerInserter,
  type LayerSite,
  type Runtime,
} from '../engine/index';
import type { Regularizer } from './types';

/** The regularizers each model was built with (by `mlp`), so that `fit` need not be told again. */
const builtWith = new WeakMap<Sequential, readonly Regularizer[]>();

/** The regularizers `model` was built with by {@link mlp} (undefined for a model built otherwise). */
export function modelRegularizers(model: Sequential): readonly Regularizer[] | undefined {
  return builtWith.get(model);
}

/** Options of {@link mlp}. */
export interface MlpConfig {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and every random feature of the model's layers (default 1). */
  seed?: number;
  /**
   * Every regularizer of the run, given once: those with layers (dropout, batchNorm, hiddenNoise)
   * add them here, and `fit(model, …)` takes the whole list from the model (its transforms and hooks).
   */
  regularizers?: readonly Regularizer[];
  /** Whether the Linear layers have biases (default true). */
  bias?: boolean;
}

/** An MLP with the layers its regularizers need; `fit` reads the same regularizers from it. */
export function mlp(rt: Runtime, config: MlpConfig): Sequential {
  const regs = config.regularizers ?? [];
  if (!Array.isArray(regs)) throw new ArgumentError(`mlp: regularizers must be an array, got ${typeof regs}`);
  const insert: LayerInserter[] = regs.flatMap((r) => (r.layers ? [r.layers] : []));
  const model = createMlp(rt, { sizes: config.sizes, seed: config.seed, insert, bias: config.bias });
  builtWith.set(model, [...regs]);
  return model;
}

/** Options of {@link cnn}. */
export interface CnnModelConfig {
  /** Channels of the two 5 × 5 convolutions (default [16, 32]). */
  channels?: readonly [number, number];
  /** Width of the dense hidden layer before the classes (default 128). */
  dense?: number;
  /** Classes (default 10). */
  classes?: number;
  /** Seeds the initial weights and every random feature of the model's layers (default 1). */
  seed?: number;
  /** Every regularizer of the run, given once, as for {@link mlp}. */
  regularizers?: readonly Regularizer[];
}

function positiveInteger(name: string, x: unknown): number {
  if (!(Number.isInteger(x) && (x as number) >= 1)) throw new ArgumentError(`cnn: ${name} must be an integer ≥ 1, got ${String(x)}`);
  return x as number;
}

/** The regularizers of `regs` that insert layers, and the call that collects theirs at a site. */
function inserter(regs: readonly Regularizer[], seed: number, hiddenLayers: number) {
  if (!Array.isArray(regs)) throw new ArgumentError(`regularizers must be an array, got ${typeof regs}`);
  const insert: LayerInserter[] = regs.flatMap((r) => (r.layers ? [r.layers] : []));
  return (site: Omit<LayerSite, 'seed' | 'hiddenLayers'>): Layer[] => insert.flatMap((f) => f({ ...site, seed, hiddenLayers }));
}

/**
 * A LeNet-shaped network for 28 × 28 single-channel images given as rows of 784 pixels, with the
 * layers its regularizers need, as {@link mlp} builds an MLP's:
 *
 *   input → Conv2d 5×5×c1, ReLU → MaxPool 2 → Conv2d 5×5×c2, ReLU → MaxPool 2 → Flatten
 *   → Linear dense, ReLU → Linear classes
 *
 * (28 → 24 → 12 → 8 → 4: unpadded convolutions, as the CNN recipe's, engine/train/mnist-cnn.ts).
 * It has three hidden layers in the sites' sense: the two convolution blocks and the dense layer.
 * The 'preActivation' site of a convolution lies between it and its ReLU (batch norm becomes a
 * BatchNorm2d there: the site has a feature `map`), and its 'hidden' site after the pooling (the
 * block's output: dropout and hidden noise act on the pooled maps' units); the dense layer's sites
 * are an MLP's. `fit(model, …)` reads the regularizers from the model.
 */
export function cnn(rt: Runtime, config: CnnModelConfig = {}): Sequential {
  const [c1, c2] = (config.channels ?? [16, 32]).map((c, i) => positiveInteger(`channels[${i}]`, c));
  const dense = positiveInteger('dense', config.dense ?? 128);
  const classes = positiveInteger('classes', config.classes ?? 10);
  const seed = config.seed ?? 1;
  const regs = config.regularizers ?? [];
  const at = inserter(regs, seed, 3);
  const layers: Layer[] = [...at({ kind: 'input', index: 0, width: 28 * 28, map: { height: 28, width: 28, channels: 1 } })];
  const block = (index: number, inChannels: number, channels: number, size: number): void => {
    const out = size - 4;
    const pre = at({ kind: 'preActivation', index, width: out * out * channels, map: { height: out, width: out, channels } });
    const fused = pre.length === 0;
    layers.push(
      new Conv2d(`conv${index}`, inChannels, channels, {
        kernel: 5,
        activation: fused ? 'relu' : 'none',
        ...(index === 1 ? { inputSize: [28, 28] as const } : {}),
      }),
    );
    if (!fused) layers.push(...pre, new Relu(`relu${index}`));
    const pooled = out / 2;
    layers.push(new MaxPool2d(`pool${index}`, { kernel: 2 }));
    layers.push(...at({ kind: 'hidden', index, width: pooled * pooled * channels, map: { height: pooled, width: pooled, channels } }));
  };
  block(1, 1, c1, 28);
  block(2, c1, c2, 12);
  layers.push(new Flatten('flatten'));
  const pre = at({ kind: 'preActivation', index: 3, width: dense });
  layers.push(new Linear('fc3', 4 * 4 * c2, dense, { activation: pre.length === 0 ? 'relu' : 'none', init: 'he' }));
  if (pre.length > 0) layers.push(...pre, new Relu('relu3'));
  layers.push(...at({ kind: 'hidden', index: 3, width: dense }));
  layers.push(new Linear('out', dense, classes));
  const model = Sequential.create(rt, layers, { seed });
  builtWith.set(model, [...regs]);
  return model;
}
