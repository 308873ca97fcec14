/** grid1d (engine/runtime/grid.ts): pure arithmetic, checked against its definition. */
import { describe, expect, it } from 'vitest';
import { grid1d } from '../../engine/index';

describe('grid1d', () => {
  it('covers every item with at most 65,535 workgroups per dimension and less than one row of waste', () => {
    for (const [n, wg] of [
      [1, 256],
      [256, 256],
      [257, 256],
      [65535 * 256, 256],
      [65535 * 256 + 1, 256],
      [1e9, 256],
      [65536, 1],
      [134215681, 2048],
    ]) {
      const [x, y, z] = grid1d(n, wg);
      const groups = Math.ceil(n / wg);
      expect(z).toBe(1);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(groups);
      expect(x * y - groups).toBeLessThan(x);
    }
  });
  it('rejects negative or fractional counts', () => {
    expect(() => grid1d(-1, 64)).toThrow(/non-negative integer/);
    expect(() => grid1d(1.5, 64)).toThrow(/non-negative integer/);
  });
});
