/**
 * The first kernels (shaders/elementwise.wgsl, shaders/reduce_sum.wgsl) against CPU references at
 * lengths that cover a single element, a partial workgroup, exact workgroups, many workgroups, more
 * than 65,535 elements and 2^20+3 (a ragged tail); one more case has more than 65,535 workgroups
 * (16.7M elements), which the host spreads over a 2-D grid.
 * Runs on lavapipe and on SwiftShader (two Vitest projects).
 */
import { describe, expect, it } from 'vitest';
import { add, fill, mul, relu, scale, sum } from '../../engine/index';
import { maxAbsDiff, randomArray, useRuntime } from '../helpers/gpu';
import { sumReference } from '../helpers/random';

const LENGTHS = [1, 3, 64, 1000, 65537, (1 << 20) + 3];

describe('elementwise kernels', () => {
  const rt = useRuntime();

  for (const n of LENGTHS) {
    it(`add, mul, scale, relu, fill at n=${n} match the CPU bit for bit`, async () => {
      const a = randomArray(n, 1 + n);
      const b = randomArray(n, 2 + n);
      const ta = rt().tensor(a);
      const tb = rt().tensor(b);
      // Each is one IEEE f32 operation, exactly what Math.fround of the f64 result gives: tolerance 0.
      const cases: [string, Float32Array, (i: number) => number][] = [
        ['add', await add(ta, tb).toArray(), (i) => Math.fround(a[i] + b[i])],
        ['mul', await mul(ta, tb).toArray(), (i) => Math.fround(a[i] * b[i])],
        ['scale', await scale(ta, -0.75).toArray(), (i) => Math.fround(-0.75 * a[i])],
        ['relu', await relu(ta).toArray(), (i) => Math.max(a[i], 0)],
        ['fill', await fill(rt().empty([n]), 2.5).toArray(), () => 2.5],
      ];
      for (const [name, got, want] of cases) {
        expect(got.length, name).toBe(n);
        expect(
          maxAbsDiff(
            got,
            Float32Array.from({ length: n }, (_, i) => want(i)),
          ),
          name,
        ).toBe(0);
      }
    });
  }

  it('handles a length that needs a 2-D dispatch grid (more than 65,535 workgroups)', async () => {
    // 65,535 workgroups of 256 cover 16,776,960 elements; one more forces y > 1.
    const n = 65535 * 256 + 5;
    const a = randomArray(n, 7);
    const ta = rt().tensor(a);
    const got = await scale(ta, 2).toArray();
    expect(
      maxAbsDiff(
        got,
        a.map((x) => 2 * x),
      ),
    ).toBe(0);
    ta.dispose();
  });
});

describe('sum reduction', () => {
  const rt = useRuntime();

  for (const n of LENGTHS) {
    it(`sum at n=${n} matches an f64 CPU sum`, async () => {
      const a = randomArray(n, 3 + n);
      const ref = sumReference(a);
      const got = await sum(rt().tensor(a)).item();
      // f32 tree summation within the bound sumReference states (pairwise bound + ITEMS=8 sequential adds).
      expect(Math.abs(got - ref.sum)).toBeLessThanOrEqual(ref.bound);
    });
  }
});
