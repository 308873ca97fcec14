/**
 * sumOfSquares (engine/ops/reduce.ts), the global norm² of a clipped optimizer: two levels past
 * 2,048 elements (a fixed grid of a few tens of workgroups of strided partial sums, then one
 * workgroup's tree), checked against an f64 CPU sum of the same f32 inputs.
 *
 * Bound: every term x² ≥ 0, so the f32 result is within γ_{d+1}·Σx² of the exact sum, d the most
 * additions on any term's path (`sumOfSquaresDepth`: the sequential sums of the first level, then
 * ITEMS + log2(WG) per pass of the tree) and one more rounding for the square itself.
 */
import { describe, expect, it } from 'vitest';
import { stridedSumGroups, sumOfSquares, sumOfSquaresDepth } from '../../engine/ops/reduce';
import { randomArray, useRuntime } from '../helpers/gpu';

const U = 2 ** -24;

/**
 * Lengths around the one-workgroup limit (2,048), an MLP's parameter count, and several million;
 * multiples of 4 past 2,048 take the vec4 first level (an arena's length always is one).
 */
const LENGTHS = [1, 7, 2048, 2049, 4096, 4097, 100_003, 669_706, 669_696, 1 << 22, (1 << 22) + 5];

describe('sumOfSquares: the two-level global norm²', () => {
  const rt = useRuntime();

  for (const n of LENGTHS) {
    it(`n = ${n}: within γ_(d+1)·Σx² of the f64 sum`, async () => {
      const a = randomArray(n, 17 + n, -3, 3);
      let exact = 0;
      for (const v of a) exact += v * v;
      const d = sumOfSquaresDepth(n) + 1;
      const bound = ((d * U) / (1 - d * U)) * exact;
      const t = rt().tensor(a);
      const s = sumOfSquares(t);
      const got = await s.item();
      t.dispose();
      s.dispose();
      expect(s.shape).toEqual([]);
      expect(Math.abs(got - exact), `got ${got}, want ${exact} ± ${bound}`).toBeLessThanOrEqual(bound);
    });
  }

  it('uses tens of workgroups, then one, for a model-sized gradient (two dispatches)', () => {
    expect(stridedSumGroups(2048)).toBe(0);
    expect(stridedSumGroups(669_706)).toBeGreaterThanOrEqual(10);
    expect(stridedSumGroups(669_706)).toBeLessThanOrEqual(64);
    expect(stridedSumGroups(1 << 26)).toBe(stridedSumGroups(1 << 24));
    const r = rt();
    const t = r.empty([669_706]);
    r.flush();
    const before = r.workStats().dispatches;
    const s = sumOfSquares(t);
    expect(r.workStats().dispatches - before).toBe(2);
    t.dispose();
    s.dispose();
  });

  it('an empty tensor sums to 0, and a huge value to +inf', async () => {
    const r = rt();
    const empty = r.tensor(new Float32Array(0));
    const big = r.tensor(Float32Array.from({ length: 5000 }, (_, i) => (i === 4321 ? 3e38 : 1)));
    const sums = [sumOfSquares(empty), sumOfSquares(big)];
    const [zero, inf] = await Promise.all(sums.map((s) => s.item()));
    for (const t of [empty, big, ...sums]) t.dispose();
    expect(zero).toBe(0);
    expect(inf).toBe(Number.POSITIVE_INFINITY);
  });
});
