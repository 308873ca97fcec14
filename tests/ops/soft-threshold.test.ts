/**
 * The soft threshold prox_τ(x) = sign(x)·max(|x| − τ, 0) and the proximal L1 step
 * w ← prox_{ε·α}(w − ε·g) (shaders/soft_threshold.wgsl, engine/ops/soft-threshold.ts).
 *
 * Against the closed form on values chosen so that every operation is exact in f32 (multiples of
 * 1/64 and thresholds like 3/8: sums, differences and products by ε = 1/4 of such numbers are
 * exactly representable), so the results must match bit for bit, including values exactly at ±τ
 * (which must give +0, not −0), inside (−τ, τ) and outside. Then on random values against an f64
 * reference with a stated bound, and on eq. 7.23: iterating the step on a diagonal quadratic
 * converges to sign(w*)·max(|w*| − α/Hᵢᵢ, 0), with exact zeros where |w*| ≤ α/Hᵢᵢ.
 */
import { describe, expect, it } from 'vitest';
import { mul, sub } from '../../engine/ops/elementwise';
import { softThreshold, softThresholdStep } from '../../engine/ops/soft-threshold';
import { randomArray, useRuntime } from '../helpers/gpu';

/** The closed form, in f64. */
const prox = (x: number, tau: number): number => (Math.abs(x) > tau ? Math.sign(x) * (Math.abs(x) - tau) : 0);

/** Multiples of 1/64 in [−1, 1]: 129 values, exactly representable, including ±3/8 and 0. */
const GRID = Float32Array.from({ length: 129 }, (_, i) => (i - 64) / 64);

/** Every element equal, with zeros required to be +0 (Object.is tells +0 from −0). */
function expectSame(got: Float32Array, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (want[i] === 0) expect(Object.is(got[i], 0), `element ${i}: ${got[i]} should be +0`).toBe(true);
    else expect(got[i], `element ${i}`).toBe(want[i]);
  }
}

describe('soft threshold', () => {
  const rt = useRuntime();

  it('prox with a scalar τ matches the closed form exactly, with +0 at and inside ±τ', async () => {
    const tau = 0.375;
    const x = rt().tensor(GRID);
    const got = await softThreshold(x, tau).toArray();
    expectSame(
      got,
      Array.from(GRID, (v) => prox(v, tau)),
    );
    // The grid holds ±τ themselves and values on both sides of them.
    expect(GRID.includes(tau) && GRID.includes(-tau)).toBe(true);
    expect(got[GRID.indexOf(tau)]).toBe(0);
    expect(got[GRID.indexOf(-tau)]).toBe(0);
    expect(got[GRID.indexOf(tau + 1 / 64)]).toBe(1 / 64);
    expect(got[GRID.indexOf(-tau - 1 / 64)]).toBe(-1 / 64);
  });

  it('prox with one threshold per element (each value at, inside and outside its own τᵢ)', async () => {
    // τᵢ cycles through 0, 1/8, 1/4, 1/2 (multiples of 1/64, so |x| − τᵢ is exact).
    const taus = Float32Array.from(GRID, (_, i) => [0, 0.125, 0.25, 0.5][i % 4]);
    const got = await softThreshold(rt().tensor(GRID), rt().tensor(taus)).toArray();
    expectSame(
      got,
      Array.from(GRID, (v, i) => prox(v, taus[i])),
    );
  });

  // The step runs on vec4s when the length is a multiple of 4 (128: the grid without its last value,
  // ±τ still in it) and one element per invocation otherwise (129): both must be exact.
  for (const [path, values] of [
    ['scalar', GRID],
    ['vec4', GRID.subarray(0, 128)],
  ] as const) {
    it(`the fused step w ← prox_{εα}(w − εg) is exact on exactly representable inputs, landing on ±τ included (${path})`, async () => {
      // ε = 1/4, α = 1/2: τ = 1/8. w − εg is a multiple of 1/64 for w on the grid and g multiple of 1/16.
      const lr = 0.25;
      const l1 = 0.5;
      const n = values.length;
      // Every 4th step lands exactly on +τ, every 4th + 1 on −τ; the rest anywhere on the grid.
      const tau = lr * l1;
      const g = Float32Array.from({ length: n }, (_, i) =>
        i % 4 === 0 ? (values[i] - tau) / lr : i % 4 === 1 ? (values[i] + tau) / lr : ((i * 7) % 33) / 16 - 1,
      );
      const w = rt().tensor(values);
      softThresholdStep(w, rt().tensor(g), lr, l1);
      const want = Array.from(values, (v, i) => prox(v - lr * g[i], tau));
      expectSame(await w.toArray(), want);
      const atTau = Array.from(values, (v, i) => Math.abs(v - lr * g[i]) === tau).filter(Boolean).length;
      expect(atTau).toBeGreaterThanOrEqual(n / 2 - 1);
    });

    it(`the fused step with per-element α (τᵢ = ε·αᵢ in f32) is exact on representable inputs (${path})`, async () => {
      const lr = 0.25;
      const alphas = Float32Array.from(values, (_, i) => [0, 0.5, 1, 1.5][i % 4]);
      const g = Float32Array.from(values, (_, i) => ((i * 5) % 17) / 16 - 0.5);
      const w = rt().tensor(values);
      softThresholdStep(w, rt().tensor(g), lr, rt().tensor(alphas));
      expectSame(
        await w.toArray(),
        Array.from(values, (v, i) => prox(v - lr * g[i], lr * alphas[i])),
      );
    });
  }

  for (const n of [100_003, 100_000])
    it(`random values: the step matches an f64 reference within 2 roundings of |w| + ε|g| (n = ${n}: ${n % 4 === 0 ? 'vec4' : 'scalar'})`, async () => {
      // Two roundings (ε·g, then w − εg; a fused multiply-add would round once) and the exact-in-the-
      // region |v| − τ (prox is 1-Lipschitz, so the error of v passes through unamplified): bound
      // 2·2⁻²⁴·(|w| + ε|g|) + one rounding of the result.
      const lr = 0.1;
      const l1 = 0.3;
      const w0 = randomArray(n, 1);
      const g = randomArray(n, 2, -3, 3);
      const w = rt().tensor(w0);
      softThresholdStep(w, rt().tensor(g), lr, l1);
      const got = await w.toArray();
      const tau = Math.fround(lr * l1);
      const lrf = Math.fround(lr);
      let worst = 0;
      let zeros = 0;
      for (let i = 0; i < n; i++) {
        const v = w0[i] - lrf * g[i];
        const want = prox(v, tau);
        const bound = 3 * 2 ** -24 * (Math.abs(w0[i]) + lrf * Math.abs(g[i]));
        worst = Math.max(worst, Math.abs(got[i] - want) / bound);
        // Clearly inside (−τ, τ), even after rounding v: the result must be exactly +0.
        if (Math.abs(v) < tau - bound) {
          zeros++;
          expect(Object.is(got[i], 0), `element ${i}`).toBe(true);
        }
      }
      expect(worst).toBeLessThanOrEqual(1);
      // About 2τ / (range of w − εg ≈ 2.6) of the elements, i.e. some 2%, are thresholded.
      expect(zeros).toBeGreaterThan(n / 100);
    });

  it('eq. 7.23: iterated steps on ½Σ Hᵢᵢ(wᵢ − w*ᵢ)² reach sign(w*)·max(|w*| − α/Hᵢᵢ, 0), with exact zeros', async () => {
    // The gradient of the quadratic is H(w − w*). The fixed point of the proximal iteration is the
    // minimizer of the L1-regularized objective, which eq. 7.23 gives per coordinate. With ε = 1/2
    // and Hᵢᵢ in [1, 2] the iteration contracts by max|1 − εHᵢᵢ| = 1/2 per step: 60 steps reach f32
    // precision. Starting from w = 0, coordinates with |w*ᵢ| < α/Hᵢᵢ are thresholded to 0 at once.
    const n = 4096; // vec4 path
    const alpha = 0.4;
    const lr = 0.5;
    const wStar = randomArray(n, 5, -1, 1);
    const h = randomArray(n, 6, 1, 2);
    const tStar = rt().tensor(wStar);
    const tH = rt().tensor(h);
    const w = rt().tensor(new Float32Array(n));
    for (let k = 0; k < 60; k++) {
      const diff = sub(w, tStar);
      const g = mul(tH, diff);
      softThresholdStep(w, g, lr, alpha);
      diff.dispose();
      g.dispose();
    }
    const got = await w.toArray();
    let checkedZeros = 0;
    for (let i = 0; i < n; i++) {
      const thr = alpha / h[i];
      const want = prox(wStar[i], thr);
      // Away from the kink (a margin of 1e-4), the exact zeros must be exact and the rest close:
      // the limit is reached to within the f32 noise of the iteration, ~ a few 2⁻²⁴ of |w*| + α.
      if (Math.abs(Math.abs(wStar[i]) - thr) < 1e-4) continue;
      if (want === 0) {
        checkedZeros++;
        expect(got[i], `element ${i}`).toBe(0);
      } else {
        expect(Math.abs(got[i] - want), `element ${i}`).toBeLessThanOrEqual(16 * 2 ** -24 * (Math.abs(wStar[i]) + alpha));
      }
    }
    expect(checkedZeros).toBeGreaterThan(n / 10);
  });

  it('rejects mismatched shapes, negative thresholds and aliased buffers', () => {
    const a = rt().tensor([1, 2, 3]);
    const b = rt().tensor([1, 2]);
    expect(() => softThreshold(a, -1)).toThrow(/softThreshold: tau must be a finite number ≥ 0, got -1/);
    expect(() => softThreshold(a, b)).toThrow(/softThreshold: the thresholds \[2\] does not match \[3\]/);
    expect(() => softThresholdStep(a, b, 0.1, 0.1)).toThrow(/softThresholdStep: the gradient \[2\] does not match \[3\]/);
    expect(() => softThresholdStep(a, a, 0.1, 0.1)).toThrow(/same GPU buffer/);
    expect(() => softThresholdStep(a, rt().tensor([1, 1, 1]), Number.NaN, 0.1)).toThrow(/lr must be/);
  });
});
