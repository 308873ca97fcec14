/**
 * Deterministic benchmark data: the same numbers in Node and in the browser for a given seed (the
 * engine's seeded CPU generator). Kernel times do not depend on the values; only their range matters.
 */
import { SeededRng } from '../engine/index';

/** A stream of uniform numbers in [0, 1) for `seed`. */
export function uniformStream(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.uniform();
}

/** `n` uniform values in [lo, hi) for `seed`. */
export function uniformValues(n: number, seed: number, lo = 0, hi = 1): Float32Array<ArrayBuffer> {
  const next = uniformStream(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}
