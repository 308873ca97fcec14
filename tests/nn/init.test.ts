/**
 * Weight initialization statistics (CPU only). He normal: mean 0, variance 2/fan_in; Glorot
 * uniform: all values within ±√(6/(fan_in+fan_out)), variance limit²/3. With n = 65,536 samples the
 * sample variance of a normal has a relative standard error √(2/n) ≈ 0.55%, of this uniform
 * √(0.8/n) ≈ 0.35%; the mean's standard error is σ/√n. Bounds of 5 standard errors.
 * Same seed → same values; different seeds → different values.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../engine/data/rng';
import { initWeights } from '../../engine/nn/init';

function moments(a: Float32Array): { mean: number; variance: number } {
  let s = 0;
  for (const v of a) s += v;
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, variance: q / (a.length - 1) };
}

describe('weight initialization', () => {
  it('He normal has mean 0 and variance 2 / fan_in', () => {
    const fanIn = 256;
    const w = initWeights('he', fanIn, 256, new SeededRng(3));
    const { mean, variance } = moments(w);
    const want = 2 / fanIn;
    expect(Math.abs(mean)).toBeLessThanOrEqual(5 * Math.sqrt(want / w.length));
    expect(Math.abs(variance / want - 1)).toBeLessThanOrEqual(5 * Math.sqrt(2 / w.length));
  });

  it('Glorot uniform stays within its limit with variance limit² / 3', () => {
    const limit = Math.sqrt(6 / (128 + 512));
    const w = initWeights('glorot', 128, 512, new SeededRng(4));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
    const { variance } = moments(w);
    expect(Math.abs(variance / (limit ** 2 / 3) - 1)).toBeLessThanOrEqual(5 * Math.sqrt(0.8 / w.length));
  });

  it('is reproducible from the seed', () => {
    expect(initWeights('he', 10, 10, new SeededRng(5))).toEqual(initWeights('he', 10, 10, new SeededRng(5)));
    expect(initWeights('he', 10, 10, new SeededRng(5))).not.toEqual(initWeights('he', 10, 10, new SeededRng(6)));
  });
});
