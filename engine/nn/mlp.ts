/**
 * A multilayer perceptron: Linear layers with a fused ReLU on the hidden ones, a linear output
 * (logits), and optional dropout on the inputs and on the hidden units.
 */
import type { Runtime } from '../runtime/runtime';
import { ArgumentError } from '../runtime/errors';
import type { Layer } from './layer';
import { Linear } from './linear';
import { Sequential } from './sequential';

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights (default 1). */
  seed?: number;
}

/** The layers of an MLP: `fc1 … fcL`. */
export function mlpLayers(opts: MlpOptions): Layer[] {
  const { sizes } = opts;
  if (sizes.length < 2) throw new ArgumentError(`mlp: needs at least an input and an output size, got [${sizes.join(', ')}]`);
  const layers: Layer[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const hidden = i < sizes.length - 1;
    layers.push(new Linear(`fc${i}`, sizes[i - 1], sizes[i], { activation: hidden ? 'relu' : 'none' }));
  }
  return layers;
}

/** An MLP with its parameters in one arena. */
export function createMlp(rt: Runtime, opts: MlpOptions): Sequential {
  return Sequential.create(rt, mlpLayers(opts), { seed: opts.seed });
}
