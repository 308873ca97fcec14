/**
 * A multilayer perceptron: Linear layers with a fused ReLU on the hidden ones, a linear output
 * (logits), and optional dropout on the inputs and on the hidden units (chapter 7.12: typically
 * drop 0.2 of the inputs and 0.5 of the hidden units).
 */
import type { Runtime } from '../runtime/runtime';
import { ArgumentError } from '../runtime/errors';
import type { Layer } from './layer';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { Sequential } from './sequential';

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and the dropout masks (default 1). */
  seed?: number;
  /** Probability of dropping an input unit (default 0: no dropout layer). */
  inputDropout?: number;
  /** Probability of dropping a hidden unit, after each hidden layer's ReLU (default 0). */
  hiddenDropout?: number;
}

/** The layers of an MLP: `drop0?, fc1, drop1?, fc2, …, fcL` (dropout layer i uses stream i). */
export function mlpLayers(opts: MlpOptions): Layer[] {
  const { sizes, seed = 1, inputDropout = 0, hiddenDropout = 0 } = opts;
  if (sizes.length < 2) throw new ArgumentError(`mlp: needs at least an input and an output size, got [${sizes.join(', ')}]`);
  const layers: Layer[] = [];
  if (inputDropout > 0) layers.push(new Dropout('drop0', inputDropout, seed, 0));
  for (let i = 1; i < sizes.length; i++) {
    const hidden = i < sizes.length - 1;
    layers.push(new Linear(`fc${i}`, sizes[i - 1], sizes[i], { activation: hidden ? 'relu' : 'none' }));
    if (hidden && hiddenDropout > 0) layers.push(new Dropout(`drop${i}`, hiddenDropout, seed, i));
  }
  return layers;
}

/** An MLP with its parameters in one arena. */
export function createMlp(rt: Runtime, opts: MlpOptions): Sequential {
  return Sequential.create(rt, mlpLayers(opts), { seed: opts.seed });
}
