/**
 * A multilayer perceptron: Linear layers with a fused ReLU on the hidden ones, a linear output
 * (logits), and optional dropout on the inputs and on the hidden units (chapter 7.12: typically
 * keep 0.8 of the inputs and 0.5 of the hidden units).
 *
 * Other layers plug in through `insert`: a function called at each site of the network that returns
 * the layers to put there. Sites: 'input' (before the first Linear), 'preActivation' (between a
 * hidden Linear and its ReLU: the ReLU then runs as its own layer instead of fused into the matmul,
 * or, right after a BatchNorm, fused into batch norm's kernels by `forwardLayers`; batch norm goes
 * here) and 'hidden' (after a hidden layer's activation; hidden noise goes here).
 * This is how regularizers add layers without the model code knowing them.
 *
 * In training the hidden dropout costs no dispatch of its own: the model (Sequential.forward) runs
 * `fc_i, drop_i, fc_{i+1}` as one fused op, the mask applied in the epilogue of the matmul that
 * produces the hidden units and, in backward, in the epilogue of the matmul that produces their
 * gradient (engine/nn/linear.ts `forwardLayers`). Layers inserted between them end the fusion there.
 */
import type { Runtime } from '../runtime/runtime';
import { ArgumentError } from '../runtime/errors';
import { Relu } from './activation';
import type { Layer } from './layer';
import { Dropout, keepProbabilityOf, type DropoutProbability, type DropoutRule } from './dropout';
import { Linear } from './linear';
import { Sequential } from './sequential';

/** Where in an MLP an inserted layer goes. */
export interface LayerSite {
  kind: 'input' | 'preActivation' | 'hidden';
  /** 0 for the input; i for hidden layer i (1-based). */
  index: number;
  /** Units at this site. */
  width: number;
  /** The model's seed (for layers that draw random numbers). */
  seed: number;
  /** Hidden layers in the model (so that per-layer settings can be checked against it). */
  hiddenLayers: number;
  /**
   * Set at the sites of a convolutional network where the units are feature maps
   * [batch, height, width, channels] (NHWC), so that a regularizer can insert a per-channel layer
   * (BatchNorm2d); absent where the units are rows [batch, width].
   */
  map?: { height: number; width: number; channels: number };
}

/** Returns the layers to insert at a site (none: an empty array). Names must be unique in the model. */
export type LayerInserter = (site: LayerSite) => Layer[];

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and the dropout masks (default 1). */
  seed?: number;
  /** Dropout on the inputs, `{ keep: p }` or `{ rate: r }` (default none). */
  inputDropout?: DropoutProbability;
  /** Dropout after each hidden layer's ReLU (default none); one for all, or exactly one per hidden layer. */
  hiddenDropout?: DropoutProbability | readonly DropoutProbability[];
  /** Whether the Linear layers have biases (default true). */
  bias?: boolean;
  /** How dropout shares the 1/p factor between training and inference (default 'inverted'). */
  dropoutRule?: DropoutRule;
  /** Layers to insert at each site, e.g. from regularizers (called in order). */
  insert?: readonly LayerInserter[];
}

/** The layers of an MLP: `drop0?, fc1, drop1?, fc2, …, fcL` (dropout layer i uses stream i), plus inserted layers. */
export function mlpLayers(opts: MlpOptions): Layer[] {
  const { sizes, seed = 1, dropoutRule = 'inverted', insert = [], bias = true } = opts;
  if (!Array.isArray(sizes) || sizes.length < 2)
    throw new ArgumentError(`mlp: needs at least an input and an output size, got ${Array.isArray(sizes) ? `[${sizes.join(', ')}]` : String(sizes)}`);
  if (typeof bias !== 'boolean') throw new ArgumentError(`mlp: bias must be true or false, got ${String(bias)}`);
  const hiddenCount = sizes.length - 2;
  const inputKeep = opts.inputDropout === undefined ? 1 : keepProbabilityOf('mlp', 'inputDropout', opts.inputDropout);
  const hiddenSpec = opts.hiddenDropout;
  const hiddenKeeps = Array.isArray(hiddenSpec)
    ? hiddenSpec.map((p, i) => keepProbabilityOf('mlp', `hiddenDropout[${i}]`, p))
    : Array.from({ length: hiddenCount }, () => (hiddenSpec === undefined ? 1 : keepProbabilityOf('mlp', 'hiddenDropout', hiddenSpec)));
  if (hiddenKeeps.length !== hiddenCount)
    throw new ArgumentError(
      `mlp: ${hiddenKeeps.length} hidden dropout probabilities for ${hiddenCount} hidden layer(s); give one for all, or one per hidden layer`,
    );
  const at = (site: Omit<LayerSite, 'seed' | 'hiddenLayers'>): Layer[] => insert.flatMap((f) => f({ ...site, seed, hiddenLayers: hiddenCount }));
  const layers: Layer[] = [];
  layers.push(...at({ kind: 'input', index: 0, width: sizes[0] }));
  if (inputKeep < 1) layers.push(new Dropout('drop0', { keep: inputKeep }, seed, 0, { rule: dropoutRule }));
  for (let i = 1; i < sizes.length; i++) {
    const hidden = i < sizes.length - 1;
    const pre = hidden ? at({ kind: 'preActivation', index: i, width: sizes[i] }) : [];
    const fused = hidden && pre.length === 0;
    layers.push(new Linear(`fc${i}`, sizes[i - 1], sizes[i], { activation: fused ? 'relu' : 'none', init: hidden ? 'he' : undefined, bias }));
    if (!hidden) continue;
    if (!fused) layers.push(...pre, new Relu(`relu${i}`));
    if (hiddenKeeps[i - 1] < 1) layers.push(new Dropout(`drop${i}`, { keep: hiddenKeeps[i - 1] }, seed, i, { rule: dropoutRule }));
    layers.push(...at({ kind: 'hidden', index: i, width: sizes[i] }));
  }
  return layers;
}

/** An MLP with its parameters in one arena. */
export function createMlp(rt: Runtime, opts: MlpOptions): Sequential {
  return Sequential.create(rt, mlpLayers(opts), { seed: opts.seed });
}
