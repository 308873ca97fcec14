/**
 * The seeded CPU generator (engine/data/rng.ts): reproducible, independent streams, and the
 * distributions it claims. Statistical bounds are 5 standard errors: with n = 100,000 uniforms the
 * mean's standard error is √(1/12n) ≈ 9e-4; each of 10 bins of `int(10)` has count n/10 with
 * standard deviation √(n·0.1·0.9) ≈ 95; a normal's mean has standard error 1/√n ≈ 3.2e-3 and its
 * variance √(2/n) ≈ 4.5e-3.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../engine/data/rng';

describe('SeededRng', () => {
  it('repeats for a seed and differs across seeds and streams', () => {
    const take = (r: SeededRng): number[] => Array.from({ length: 8 }, () => r.nextU32());
    expect(take(new SeededRng(1))).toEqual(take(new SeededRng(1)));
    expect(take(new SeededRng(1))).not.toEqual(take(new SeededRng(2)));
    expect(take(new SeededRng(1, 0))).not.toEqual(take(new SeededRng(1, 1)));
  });

  it('draws uniforms, integers and normals with the right moments', () => {
    const r = new SeededRng(11);
    const n = 100_000;
    let s = 0;
    const bins = new Array<number>(10).fill(0);
    let ns = 0;
    let nq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      bins[r.int(10)]++;
      const z = r.normal();
      ns += z;
      nq += z * z;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(1 / 12 / n));
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThanOrEqual(5 * Math.sqrt(n * 0.09));
    expect(Math.abs(ns / n)).toBeLessThanOrEqual(5 / Math.sqrt(n));
    expect(Math.abs(nq / n - 1)).toBeLessThanOrEqual(5 * Math.sqrt(2 / n));
  });

  it('makes permutations', () => {
    const p = new SeededRng(12).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
