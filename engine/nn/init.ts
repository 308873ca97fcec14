/**
 * Weight initialization from a seeded generator. He (Kaiming) normal, N(0, 2/fan_in), keeps the
 * variance of ReLU activations constant across layers; Glorot (Xavier) uniform,
 * U(±√(6/(fan_in + fan_out))), keeps it for symmetric activations (tanh, the output layer).
 */
import type { SeededRng } from '../data/rng';

/** The initialization schemes. */
export type InitScheme = 'he' | 'glorot';

/** Initial weights of a [fanIn, fanOut] matrix, row-major. */
export function initWeights(scheme: InitScheme, fanIn: number, fanOut: number, rng: SeededRng): Float32Array {
  const out = new Float32Array(fanIn * fanOut);
  if (scheme === 'he') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < out.length; i++) out[i] = limit * (2 * rng.uniform() - 1);
  }
  return out;
}
