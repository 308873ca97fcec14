/**
 * A multilayer perceptron: Linear layers with a fused ReLU on the hidden ones, a linear output
 * (logits), and optional dropout on the inputs and on the hidden units (chapter 7.12: typically
 * keep 0.8 of the inputs and 0.5 of the hidden units).
 *
 * Other layers plug in through `insert`: a function called at each site of the network that returns
 * the layers to put there. Sites: 'input' (before the first Linear), 'preActivation' (between a
 * hidden Linear and its ReLU: the ReLU then runs as its own layer instead of fused into the matmul;
 * batch norm goes here) and 'hidden' (after a hidden layer's activation; hidden noise goes here).
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
import { Dropout, type DropoutRule } from './dropout';
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
}

/** Returns the layers to insert at a site (none: an empty array). Names must be unique in the model. */
export type LayerInserter = (site: LayerSite) => Layer[];

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and the dropout masks (default 1). */
  seed?: number;
  /** Probability of dropping an input unit (default 0: no dropout layer). */
  inputDropout?: number;
  /** Probability of dropping a hidden unit, after each hidden layer's ReLU (default 0); one per hidden layer, or one for all. */
  hiddenDropout?: number | readonly number[];
  /** How dropout shares the 1/p factor between training and inference (default 'inverted'). */
  dropoutRule?: DropoutRule;
  /** Layers to insert at each site, e.g. from regularizers (called in order). */
  insert?: readonly LayerInserter[];
}

/** The layers of an MLP: `drop0?, fc1, drop1?, fc2, …, fcL` (dropout layer i uses stream i), plus inserted layers. */
export function mlpLayers(opts: MlpOptions): Layer[] {
  const { sizes, seed = 1, inputDropout = 0, hiddenDropout = 0, dropoutRule = 'inverted', insert = [] } = opts;
  if (sizes.length < 2) throw new ArgumentError(`mlp: needs at least an input and an output size, got [${sizes.join(', ')}]`);
  const hiddenCount = sizes.length - 2;
  const hiddenRates = typeof hiddenDropout === 'number' ? Array.from({ length: hiddenCount }, () => hiddenDropout) : [...hiddenDropout];
  if (hiddenRates.length !== hiddenCount) throw new ArgumentError(`mlp: ${hiddenRates.length} hidden dropout rates for ${hiddenCount} hidden layers`);
  const at = (site: LayerSite): Layer[] => insert.flatMap((f) => f(site));
  const layers: Layer[] = [];
  layers.push(...at({ kind: 'input', index: 0, width: sizes[0], seed }));
  if (inputDropout > 0) layers.push(new Dropout('drop0', inputDropout, seed, 0, { rule: dropoutRule }));
  for (let i = 1; i < sizes.length; i++) {
    const hidden = i < sizes.length - 1;
    const pre = hidden ? at({ kind: 'preActivation', index: i, width: sizes[i], seed }) : [];
    const fused = hidden && pre.length === 0;
    layers.push(new Linear(`fc${i}`, sizes[i - 1], sizes[i], { activation: fused ? 'relu' : 'none', init: hidden ? 'he' : undefined }));
    if (!hidden) continue;
    if (!fused) layers.push(...pre, new Relu(`relu${i}`));
    if (hiddenRates[i - 1] > 0) layers.push(new Dropout(`drop${i}`, hiddenRates[i - 1], seed, i, { rule: dropoutRule }));
    layers.push(...at({ kind: 'hidden', index: i, width: sizes[i], seed }));
  }
  return layers;
}

/** An MLP with its parameters in one arena. */
export function createMlp(rt: Runtime, opts: MlpOptions): Sequential {
  return Sequential.create(rt, mlpLayers(opts), { seed: opts.seed });
}
