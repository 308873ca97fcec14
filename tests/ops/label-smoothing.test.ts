/**
 * Label smoothing fused into the softmax cross-entropy kernels (shaders/softmax_xent.wgsl reads
 * every target as t' = t_scale·t + t_shift; engine/ops/softmax-xent.ts picks the pair).
 *
 * Oracle: the closed form on the CPU in f64, with the smoothed targets written out explicitly
 * (1 − ε on the label and ε/(k − 1) elsewhere for 'book'; 1 − ε + ε/k and ε/k for 'uniform'):
 *   loss_r = Σ_c t'_c (lse_r − z_c),   ∂loss_r/∂z_c = p_c Σ_j t'_j − t'_c.
 * Tolerance: a first-order bound on the f32 kernel's rounding, derived in {@link lseError},
 * {@link lossBound} and {@link gradBound} from WGSL's accuracy rules (exp 3 + 2|x| ULP, log 3 ULP or
 * 2⁻²¹ absolute near 1, +, −, × correctly rounded) plus the f32 rounding of t_scale and t_shift:
 * tight enough that a target off by ε/k, or a missing Σt' factor, fails by orders of magnitude.
 * With ε = 0 the kernel must give the unsmoothed results bit for bit (the map is then t·1 + 0).
 * The autodiff op is also checked against central differences (../autograd/gradcheck.ts).
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import {
  smoothedTargetValues,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  type LabelSmoothing,
  type SmoothingConvention,
} from '../../engine/ops/softmax-xent';
import { ArgumentError } from '../../engine/runtime/errors';
import { gradCheck, input } from '../autograd/gradcheck';
import { randomArray, useRuntime } from '../helpers/gpu';

const U = 2 ** -24; // unit roundoff: half an ULP, relative
const ULP = 2 ** -23;

/** Random labels in [0, k) and their one-hot rows. */
function oneHotRows(rows: number, k: number, seed: number): Float32Array {
  const t = new Float32Array(rows * k);
  randomArray(rows, seed, 0, k).forEach((u, r) => (t[r * k + Math.min(k - 1, Math.floor(u))] = 1));
  return t;
}

/**
 * The smoothed targets in f64, written out independently of the code under test: one-hot rows get
 * on/off values (book: 1 − ε and ε/(k − 1); uniform: 1 − ε + ε/k and ε/k), soft rows the mix
 * (book: (1 − ε − ε/(k − 1))·t + ε/(k − 1); uniform: (1 − ε)·t + ε/k).
 */
function smoothRef(t: Float32Array, k: number, s?: LabelSmoothing): Float64Array {
  if (!s) return Float64Array.from(t);
  const e = s.epsilon;
  const book = (s.convention ?? 'book') === 'book';
  const [on, off] = book ? [1 - e, e / (k - 1)] : [1 - e + e / k, e / k];
  const oneHot = t.every((v) => v === 0 || v === 1);
  return Float64Array.from(t, (v) => (oneHot ? (v === 1 ? on : off) : book ? (1 - e - e / (k - 1)) * v + e / (k - 1) : (1 - e) * v + e / k));
}

interface Row {
  lse: number;
  /** First-order bound on the f32 kernel's absolute error in lse. */
  dLse: number;
}

/**
 * lse = m + log s with s = Σ exp(z − m): the addition (u·|lse|), log (3 ULP relative, or 2⁻²¹
 * absolute near 1), and s's relative error (each exp good to 3 + 2R ULP, R the row's range, plus
 * k roundings of the sum), which log turns into an absolute error.
 */
function lseError(z: Float32Array, r: number, k: number): Row {
  const row = Array.from(z.subarray(r * k, (r + 1) * k));
  const m = Math.max(...row);
  const range = m - Math.min(...row);
  const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
  const lse = m + Math.log(s);
  return { lse, dLse: U * Math.abs(lse) + 3 * ULP * Math.log(s) + 2 ** -21 + (3 + 2 * range) * ULP + k * U };
}

/**
 * Per-row losses in f64 and their bounds: each term t'_c (lse − z_c) carries t''s error (2 ULP: the
 * rounded t_scale, t_shift and the map itself), lse's, the subtraction's, and the k roundings of
 * the products and the running sum.
 */
function lossBound(z: Float32Array, tp: Float64Array, rows: number, k: number): { loss: Float64Array; tol: Float64Array } {
  const loss = new Float64Array(rows);
  const tol = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const { lse, dLse } = lseError(z, r, k);
    for (let c = 0; c < k; c++) {
      const t = tp[r * k + c];
      const d = lse - z[r * k + c];
      loss[r] += t * d;
      tol[r] += Math.abs(t) * (dLse + (2 * ULP + (k + 2) * U) * Math.abs(d));
    }
  }
  return { loss, tol };
}

/**
 * ∂/∂z of Σ_r gr_r·loss_r in f64 and its bound: p = exp(z − lse) is good to (3 + 2|x|) ULP plus
 * the errors of its argument; Σt' to (k + 2)·u + 2 ULP; the product, the subtraction and the
 * scaling by gs = scale·g (two roundings) add a few u more.
 */
function gradBound(z: Float32Array, tp: Float64Array, rows: number, k: number, gr: ArrayLike<number>): { grad: Float64Array; tol: Float64Array } {
  const grad = new Float64Array(rows * k);
  const tol = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const { lse, dLse } = lseError(z, r, k);
    let tsum = 0;
    for (let c = 0; c < k; c++) tsum += tp[r * k + c];
    for (let c = 0; c < k; c++) {
      const i = r * k + c;
      const x = z[i] - lse;
      const p = Math.exp(x);
      const epsP = (3 + 2 * Math.abs(x)) * ULP + U * Math.abs(x) + dLse;
      const epsSum = (k + 2) * U + 2 * ULP;
      const inner = p * tsum - tp[i];
      grad[i] = gr[r] * inner;
      tol[i] = Math.abs(gr[r]) * (p * tsum * (epsP + epsSum + U) + 2 * ULP * Math.abs(tp[i]) + 3 * ULP * Math.abs(inner)) + 1e-38;
    }
  }
  return { grad, tol };
}

/** Indices where |got − want| > tol (first five). */
function outside(got: ArrayLike<number>, want: ArrayLike<number>, tol: ArrayLike<number>): string[] {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol[i]) && bad.length < 5) bad.push(`[${i}] got ${got[i]}, want ${want[i]} ± ${tol[i].toExponential(2)}`);
  }
  return bad;
}

describe('smoothedTargetValues', () => {
  it('gives the book and uniform conventions, each row summing to 1, and the identity at ε = 0', () => {
    const b = smoothedTargetValues(0.1, 10, 'book');
    expect(b.on).toBeCloseTo(0.9, 15);
    expect(b.off).toBeCloseTo(0.1 / 9, 15);
    const u = smoothedTargetValues(0.1, 10, 'uniform');
    expect(u.on).toBeCloseTo(0.91, 15);
    expect(u.off).toBeCloseTo(0.01, 15);
    for (const v of [b, u, smoothedTargetValues(0.3, 3), smoothedTargetValues(0.3, 3, 'uniform')]) {
      expect(v.scale + v.shift).toBeCloseTo(v.on, 15);
      expect(v.shift).toBe(v.off);
    }
    expect(smoothedTargetValues(0.3, 3)).toEqual(smoothedTargetValues(0.3, 3, 'book'));
    expect(b.on + 9 * b.off).toBeCloseTo(1, 15);
    expect(u.on + 9 * u.off).toBeCloseTo(1, 15);
    for (const c of ['book', 'uniform'] as const) expect(smoothedTargetValues(0, 4, c)).toEqual({ on: 1, off: 0, scale: 1, shift: 0 });
  });

  it('rejects ε outside [0, 1), k < 2 for book, and a book ε that would favour the other classes, naming the value', () => {
    for (const eps of [-0.1, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => smoothedTargetValues(eps, 5)).toThrow(ArgumentError);
      expect(() => smoothedTargetValues(eps, 5, 'uniform')).toThrow(`epsilon must be in [0, 1), got ${eps}`);
    }
    expect(() => smoothedTargetValues(0.1, 1, 'book')).toThrow(/needs k ≥ 2, got k = 1/);
    expect(smoothedTargetValues(0.1, 1, 'uniform').on).toBe(1);
    expect(() => smoothedTargetValues(0.6, 2, 'book')).toThrow(/epsilon 0\.6 exceeds \(k − 1\)\/k = 0\.5/);
    expect(smoothedTargetValues(0.5, 2, 'book').scale).toBe(0);
  });
});

describe('softmax cross-entropy with fused label smoothing', () => {
  const rt = useRuntime();
  const rows = 37;
  const cases: [SmoothingConvention, number, number][] = [];
  for (const convention of ['book', 'uniform'] as const) for (const k of [2, 3, 10]) for (const epsilon of [0, 0.05, 0.2]) cases.push([convention, k, epsilon]);

  for (const [convention, k, epsilon] of cases) {
    it(`${convention}, k = ${k}, ε = ${epsilon}: losses (none, sum, mean) and gradients (mean, none) match the closed form`, async () => {
      const smoothing = { epsilon, convention };
      const seed = 100 * k + 1000 * epsilon + (convention === 'book' ? 0 : 7);
      const z = randomArray(rows * k, seed, -4, 4);
      const t = oneHotRows(rows, k, seed + 1);
      const tp = smoothRef(t, k, smoothing);
      const tz = rt().tensor(z, [rows, k]);
      const tt = rt().tensor(t, [rows, k]);

      const { loss, tol } = lossBound(z, tp, rows, k);
      const perRow = await softmaxCrossEntropy(tz, tt, 'none', smoothing).toArray();
      expect(outside(perRow, loss, tol)).toEqual([]);
      // The reduction: one row per lane, then a tree of depth log2(256) = 8, then the scale (and
      // the rounding of 1/rows): 10 more roundings of the total.
      const total = loss.reduce((a, v) => a + v, 0);
      const totalTol = tol.reduce((a, v) => a + v, 0) + 10 * U * total;
      const sum = await softmaxCrossEntropy(tz, tt, 'sum', smoothing).item();
      expect(Math.abs(sum - total)).toBeLessThanOrEqual(totalTol);
      const mean = await softmaxCrossEntropy(tz, tt, 'mean', smoothing).item();
      expect(Math.abs(mean - total / rows)).toBeLessThanOrEqual(totalTol / rows);

      const gMean = 0.75;
      const gm = gradBound(z, tp, rows, k, new Float64Array(rows).fill(gMean / rows));
      const backMean = await softmaxCrossEntropyBackward(tz, tt, rt().tensor([gMean], []), 'mean', smoothing).toArray();
      expect(outside(backMean, gm.grad, gm.tol)).toEqual([]);
      const gRows = randomArray(rows, seed + 2, -2, 2);
      const gn = gradBound(z, tp, rows, k, gRows);
      const backRows = await softmaxCrossEntropyBackward(tz, tt, rt().tensor(gRows), 'none', smoothing).toArray();
      expect(outside(backRows, gn.grad, gn.tol)).toEqual([]);

      if (epsilon === 0) {
        expect(Array.from(perRow)).toEqual(Array.from(await softmaxCrossEntropy(tz, tt, 'none').toArray()));
        expect(sum).toBe(await softmaxCrossEntropy(tz, tt, 'sum').item());
        expect(Array.from(backRows)).toEqual(Array.from(await softmaxCrossEntropyBackward(tz, tt, rt().tensor(gRows), 'none').toArray()));
      }
      tz.dispose();
      tt.dispose();
    });
  }

  for (const convention of ['book', 'uniform'] as const) {
    it(`${convention}: soft target rows are mixed the same way (scale·t + shift, rows still summing to 1)`, async () => {
      const [r, k] = [20, 5];
      const smoothing = { epsilon: 0.15, convention };
      const z = randomArray(r * k, 300, -3, 3);
      const t = randomArray(r * k, 301, 0, 1);
      for (let i = 0; i < r; i++) {
        const s = t.subarray(i * k, (i + 1) * k).reduce((a, v) => a + v, 0);
        for (let c = 0; c < k; c++) t[i * k + c] /= s;
      }
      const tp = smoothRef(t, k, smoothing);
      for (let i = 0; i < r; i++) expect(tp.subarray(i * k, (i + 1) * k).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      const tz = rt().tensor(z, [r, k]);
      const tt = rt().tensor(t, [r, k]);
      const { loss, tol } = lossBound(z, tp, r, k);
      expect(outside(await softmaxCrossEntropy(tz, tt, 'none', smoothing).toArray(), loss, tol)).toEqual([]);
      const gRows = randomArray(r, 302, -1, 1);
      const gn = gradBound(z, tp, r, k, gRows);
      expect(outside(await softmaxCrossEntropyBackward(tz, tt, rt().tensor(gRows), 'none', smoothing).toArray(), gn.grad, gn.tol)).toEqual([]);
    });
  }

  it('the autodiff op carries the smoothing to its backward rule (tape gradient = closed form)', async () => {
    const [r, k] = [16, 6];
    for (const convention of ['book', 'uniform'] as const) {
      const smoothing = { epsilon: 0.1, convention };
      const z = randomArray(r * k, 400, -3, 3);
      const t = oneHotRows(r, k, 401);
      const zt = rt().tensor(z, [r, k]);
      const v = F.variable(zt);
      const loss = F.softmaxCrossEntropy(v, rt().tensor(t, [r, k]), 'mean', smoothing);
      const { loss: rowLoss, tol } = lossBound(z, smoothRef(t, k, smoothing), r, k);
      const total = rowLoss.reduce((a, x) => a + x, 0);
      expect(Math.abs((await loss.data.item()) - total / r)).toBeLessThanOrEqual((tol.reduce((a, x) => a + x, 0) + 10 * U * total) / r);
      F.backward(loss);
      const g = gradBound(z, smoothRef(t, k, smoothing), r, k, new Float64Array(r).fill(1 / r));
      expect(outside(await v.grad!.toArray(), g.grad, g.tol)).toEqual([]);
      v.dispose();
      zt.dispose();
    }
  });

  for (const convention of ['book', 'uniform'] as const) {
    it(`gradient check of the smoothed op (${convention}, ε = 0.2, k = 5, mean and none)`, async () => {
      const targets = rt().tensor(oneHotRows(4, 5, 500), [4, 5]);
      const smoothing = { epsilon: 0.2, convention };
      await gradCheck(rt(), ([z]) => F.softmaxCrossEntropy(z, targets, 'mean', smoothing), [input([4, 5], 501, -3, 3)]);
      await gradCheck(rt(), ([z]) => F.softmaxCrossEntropy(z, targets, 'none', smoothing), [input([4, 5], 502, -3, 3)]);
      targets.dispose();
    });
  }

  it('rejects a bad ε or k at the op, naming the value', () => {
    const z = rt().tensor(new Float32Array(6), [2, 3]);
    const t = rt().tensor([1, 0, 0, 0, 1, 0], [2, 3]);
    expect(() => softmaxCrossEntropy(z, t, 'mean', { epsilon: 1 })).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(z, t, 'mean', { epsilon: -0.5, convention: 'uniform' })).toThrow('got -0.5');
    expect(() => F.softmaxCrossEntropy(z, t, 'sum', { epsilon: Number.NaN })).toThrow('got NaN');
    const z1 = rt().tensor([0, 0], [2, 1]);
    const t1 = rt().tensor([1, 1], [2, 1]);
    expect(() => softmaxCrossEntropy(z1, t1, 'mean', { epsilon: 0.1 })).toThrow(/needs k ≥ 2, got k = 1/);
  });
});
