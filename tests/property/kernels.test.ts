/**
 * Properties of the remaining kernels and their autodiff ops over random shapes and values, against
 * f64 CPU references: gather and its scatter-add gradient, oneHot, fused softmax cross-entropy (every
 * reduction, soft or one-hot targets, both label-smoothing conventions) and its gradient, softmax
 * rows, column norms and their gradient, the soft threshold and the proximal L1 step (scalar and
 * vec4 kernels, one threshold or one per element), dropout (against the Philox CPU twin of the mask)
 * and Gaussian noise (against the Box–Muller CPU twin). Bounds are derived next to each property
 * from the rules in ./fc.ts. Runs: 20 per property (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { columnNorms } from '../../engine/ops/colnorm';
import { dropoutMaskCpu } from '../../engine/ops/dropout';
import { smoothedTargetValues, softmaxRows, type SmoothingConvention } from '../../engine/ops/softmax-xent';
import { softThreshold, softThresholdStep } from '../../engine/ops/soft-threshold';
import { standardNormalCpu } from '../../engine/random/normal';
import { useRuntime } from '../helpers/gpu';
import { randomArray } from '../helpers/random';
import { data, dataSeed, dim, expectClose, expectExact, gamma, runs, U, ULP, vjp } from './fc';

const RUNS = 20;

/** The spacing of f32 values at |v| (an ulp). */
function ulp(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Targets [rows, k]: one-hot rows, or random non-negative rows that sum to 1 (soft). */
function targetsOf(rows: number, k: number, seed: number, soft: boolean): Float32Array {
  const t = new Float32Array(rows * k);
  const u = randomArray(rows * k, seed, 0, 1);
  for (let r = 0; r < rows; r++) {
    if (soft) {
      let s = 0;
      for (let c = 0; c < k; c++) s += u[r * k + c];
      for (let c = 0; c < k; c++) t[r * k + c] = u[r * k + c] / s;
    } else t[r * k + Math.floor(u[r * k] * k)] = 1;
  }
  return t;
}

describe('property: gather and oneHot', () => {
  const rt = useRuntime();
  it('gather rows by u32 or i32 indices (repeats included); the table gradient adds the rows back', async () => {
    await fc.assert(
      fc.asyncProperty(
        dim,
        fc.array(dim, { maxLength: 2 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        dataSeed,
        async (rows, rest, count, signed, seed) => {
          const shape = [rows, ...rest];
          const width = rest.reduce((p, d) => p * d, 1);
          const table = data(shape, seed);
          const idx = Array.from(randomArray(count, seed + 1, 0, rows), Math.floor);
          const r = await vjp(
            rt(),
            ([t, i]) => F.gather(t, i),
            [
              { data: table, shape },
              { data: idx, shape: [count], dtype: signed ? 'i32' : 'u32' },
            ],
            seed + 2,
          );
          expect(r.shape).toEqual([count, ...rest]);
          const want = new Float64Array(count * width);
          idx.forEach((row, j) => want.set(table.subarray(row * width, (row + 1) * width), j * width));
          expectExact('gather', r.out, want);
          const g = new Float64Array(table.length);
          const gAbs = new Float64Array(table.length);
          const hits = new Array<number>(rows).fill(0);
          idx.forEach((row, j) => {
            hits[row]++;
            for (let c = 0; c < width; c++) {
              g[row * width + c] += r.w[j * width + c];
              gAbs[row * width + c] += Math.abs(r.w[j * width + c]);
            }
          });
          expectClose('gather gradient', r.grads[0]!, g, (i) => gamma(Math.max(hits[Math.floor(i / width)] - 1, 0)) * gAbs[i]);
          expect(r.grads[1]).toBeNull();
        },
      ),
      runs(RUNS),
    );
  });

  it('oneHot of labels in [0, k) with any on/off values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        dim,
        fc.constantFrom(1, 0.9, -2),
        fc.constantFrom(0, 0.0125),
        dataSeed,
        async (count, k, on, off, seed) => {
          const labels = Uint32Array.from(randomArray(count, seed, 0, k), Math.floor);
          const r = await vjp(rt(), ([l]) => F.oneHot(l, k, { on, off }), [{ data: labels, shape: [count], dtype: 'u32' }], seed + 1);
          expect(r.shape).toEqual([count, k]);
          expectExact(
            'oneHot',
            r.out,
            Array.from({ length: count * k }, (_, i) => (labels[Math.floor(i / k)] === i % k ? on : off)),
          );
        },
      ),
      runs(RUNS),
    );
  });
});

/**
 * Softmax cross-entropy bounds, for logits in [−3, 3) (so |z − m| ≤ D = 6) and k classes:
 * each exp(z − m) carries the subtraction's rounding and exp's (3 + 2|·|) ULP; their sum (positive
 * terms) γ_{k−1}; log adds 2^-21 (3 ULP beyond 2) and lse = m + log s one rounding: Δlse. A row loss
 * Σ t'(lse − z) adds Δlse·Σt' and γ_{k+4}·Σ|t'(lse − z)| (t' = scale·t + shift: three roundings;
 * the difference and product one each; the sum γ_{k−1}); a mean or sum over rows γ_{rows+1} more.
 * The gradient g·scale·(p·Σt' − t'): p = exp(z − lse) is off by Δlse + (3 + 2|z − lse|) ULP + u|z − lse|
 * relative, Σt' by γ_{k+2}, and the products and difference by a few roundings.
 */
describe('property: softmax cross-entropy and softmax rows', () => {
  const rt = useRuntime();
  it('loss (mean, sum, none) and its gradient, soft or one-hot targets, with and without smoothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        dim,
        fc.integer({ min: 2, max: 13 }),
        fc.constantFrom('mean', 'sum', 'none'),
        fc.boolean(),
        fc.option(fc.record({ epsilon: fc.constantFrom(0.05, 0.1, 0.3), convention: fc.constantFrom<SmoothingConvention>('book', 'uniform') }), {
          nil: undefined,
        }),
        dataSeed,
        async (rows, k, reduction, soft, smoothing, seed) => {
          const z = data([rows, k], seed, -3, 3);
          const t = targetsOf(rows, k, seed + 1, soft);
          const r = await vjp(
            rt(),
            ([l, tt]) => F.softmaxCrossEntropy(l, tt, reduction, smoothing),
            [
              { data: z, shape: [rows, k] },
              { data: t, shape: [rows, k], grad: false },
            ],
            seed + 2,
          );
          const { scale: ts, shift } = smoothing ? smoothedTargetValues(smoothing.epsilon, k, smoothing.convention) : { scale: 1, shift: 0 };
          const losses = new Float64Array(rows);
          const lossBound = new Float64Array(rows);
          const grad = new Float64Array(rows * k);
          const gradBound = new Float64Array(rows * k);
          const rowScale = reduction === 'mean' ? 1 / rows : 1;
          for (let row = 0; row < rows; row++) {
            const zs = z.subarray(row * k, (row + 1) * k);
            const tp = Array.from(t.subarray(row * k, (row + 1) * k), (v) => ts * v + shift);
            const m = Math.max(...zs);
            const s = zs.reduce((a, v) => a + Math.exp(v - m), 0);
            const lse = m + Math.log(s);
            const expErr = Math.max(...Array.from(zs, (v) => (3 + 2 * Math.abs(v - m)) * ULP + U * Math.abs(v - m)));
            const dLse = gamma(k - 1) + expErr + (s <= 2 ? 2 ** -21 : 3 * ULP * Math.log(s)) + U * Math.abs(lse);
            const tSum = tp.reduce((a, v) => a + v, 0);
            losses[row] = tp.reduce((a, v, c) => a + v * (lse - zs[c]), 0);
            lossBound[row] = dLse * tSum + gamma(k + 4) * tp.reduce((a, v, c) => a + Math.abs(v * (lse - zs[c])), 0);
            const g = reduction === 'none' ? r.w[row] : r.w[0];
            for (let c = 0; c < k; c++) {
              const p = Math.exp(zs[c] - lse);
              const d = g * rowScale * (p * tSum - tp[c]);
              grad[row * k + c] = d;
              const ep = dLse + (3 + 2 * Math.abs(zs[c] - lse)) * ULP + U * Math.abs(zs[c] - lse);
              gradBound[row * k + c] =
                Math.abs(g * rowScale) * (p * tSum * (ep + gamma(k + 3)) + 3 * U * tp[c] + U * Math.abs(p * tSum - tp[c])) + 3 * U * Math.abs(d);
            }
          }
          if (reduction === 'none') {
            expect(r.shape).toEqual([rows]);
            expectClose('row losses', r.out, losses, (i) => lossBound[i]);
          } else {
            expect(r.shape).toEqual([]);
            const total = losses.reduce((a, v) => a + v, 0) * rowScale;
            const bound = (lossBound.reduce((a, v) => a + v, 0) + gamma(rows + 1) * losses.reduce((a, v) => a + Math.abs(v), 0)) * rowScale;
            expectClose(`${reduction} loss`, r.out, [total], () => bound);
          }
          expectClose('∂/∂logits', r.grads[0]!, grad, (i) => gradBound[i]);
        },
      ),
      runs(RUNS),
    );
  });

  it('softmax rows: exp(z − lse) per row', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, dataSeed, async (rows, k, seed) => {
        const z = data([rows, k], seed, -3, 3);
        const tz = rt().tensor(z, [rows, k]);
        const p = softmaxRows(tz);
        try {
          const got = await p.toArray();
          const want = new Float64Array(rows * k);
          const bound = new Float64Array(rows * k);
          for (let row = 0; row < rows; row++) {
            const zs = z.subarray(row * k, (row + 1) * k);
            const m = Math.max(...zs);
            const s = zs.reduce((a, v) => a + Math.exp(v - m), 0);
            const lse = m + Math.log(s);
            const expErr = Math.max(...Array.from(zs, (v) => (3 + 2 * Math.abs(v - m)) * ULP + U * Math.abs(v - m)));
            const dLse = gamma(k - 1) + expErr + (s <= 2 ? 2 ** -21 : 3 * ULP * Math.log(s)) + U * Math.abs(lse);
            for (let c = 0; c < k; c++) {
              want[row * k + c] = Math.exp(zs[c] - lse);
              bound[row * k + c] = want[row * k + c] * (dLse + (3 + 2 * Math.abs(zs[c] - lse)) * ULP + U * Math.abs(zs[c] - lse));
            }
          }
          expectClose('softmax', got, want, (i) => bound[i]);
        } finally {
          tz.dispose();
          p.dispose();
        }
      }),
      runs(RUNS),
    );
  });
});

describe('property: column norms, soft threshold, proximal step', () => {
  const rt = useRuntime();
  it('columnNorms and its gradient g_j·w_ij/n_j (zero columns included: norm 0, gradient 0)', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, fc.boolean(), dataSeed, async (rows, cols, zeroColumn, seed) => {
        const w = data([rows, cols], seed);
        if (zeroColumn) for (let i = 0; i < rows; i++) w[i * cols] = 0;
        const r = await vjp(rt(), ([v]) => F.columnNorms(v), [{ data: w, shape: [rows, cols] }], seed + 1);
        const n = Array.from({ length: cols }, (_, j) => Math.hypot(...Array.from({ length: rows }, (_, i) => w[i * cols + j])));
        // Σ w² (positive terms, squares rounded): γ_rows relative; the root halves it and adds 4.5 ULP.
        const rel = gamma(rows) / 2 + 9 * U;
        expectClose('norms', r.out, n, (j) => rel * n[j]);
        const g = Array.from(w, (v, i) => (n[i % cols] > 0 ? (r.w[i % cols] * v) / n[i % cols] : 0));
        // g·w (one rounding), ÷ n (2.5 ULP, and n's own error).
        expectClose('gradient', r.grads[0]!, g, (i) => (rel + 6 * U) * Math.abs(g[i]));
      }),
      runs(RUNS),
    );
    const plain = rt().tensor([3, 0, 4, 0], [2, 2]);
    const n = columnNorms(plain);
    expectExact('norms of [[3, 0], [4, 0]]', await n.toArray(), [5, 0]);
    plain.dispose();
    n.dispose();
  });

  it('softThreshold, one τ or one per element: sign(x)·max(|x| − τ, 0), exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), dataSeed, async (n, tau, each, seed) => {
        const x = randomArray(n, seed);
        const taus = randomArray(n, seed + 1, 0, 1);
        const tx = rt().tensor(x);
        const tt = rt().tensor(taus);
        const out = softThreshold(tx, each ? tt : tau);
        try {
          const t32 = Math.fround(tau);
          // |x| − τ is one correctly rounded subtraction; with τ per element it is τ·1 first (exact).
          const want = Array.from(x, (v, i) => {
            const t = each ? taus[i] : t32;
            return Math.abs(v) > t ? Math.sign(v) * (Math.abs(v) - t) : 0;
          });
          expectExact('softThreshold', await out.toArray(), want);
        } finally {
          [tx, tt, out].forEach((t) => t.dispose());
        }
      }),
      runs(RUNS),
    );
  });

  it('softThresholdStep w ← prox_{ε·α}(w − ε·g), scalar and vec4 kernels, one α or one per element', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.boolean(),
        dataSeed,
        async (n, lr, alpha, each, seed) => {
          const w = randomArray(n, seed);
          const g = randomArray(n, seed + 1);
          const alphas = randomArray(n, seed + 2, 0, 0.5);
          const tw = rt().tensor(w);
          const tg = rt().tensor(g);
          const ta = rt().tensor(alphas);
          try {
            softThresholdStep(tw, tg, lr, each ? ta : alpha);
            const got = await tw.toArray();
            const lr32 = Math.fround(lr);
            const want = new Float64Array(n);
            const bound = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              // τ: ε·α rounded once (on the host, or in the shader per element); v = w − ε·g: a product and
              // a difference (or one fused rounding); the prox is 1-Lipschitz and adds one rounding.
              const tau = each ? lr32 * alphas[i] : Math.fround(lr * alpha);
              const v = w[i] - lr32 * g[i];
              want[i] = Math.abs(v) > tau ? Math.sign(v) * (Math.abs(v) - tau) : 0;
              bound[i] = U * (Math.abs(lr32 * g[i]) + Math.abs(v) + Math.abs(want[i]) + (each ? tau : 0));
            }
            expectClose('proximal step', got, want, (i) => bound[i]);
          } finally {
            [tw, tg, ta].forEach((t) => t.dispose());
          }
        },
      ),
      runs(RUNS),
    );
  });
});

describe('property: dropout and Gaussian noise and their gradients', () => {
  const rt = useRuntime();
  it('dropout: y = x ⊙ m / p and dx = w ⊙ m / p with m the Philox twin’s mask for the key (or m without 1/p)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.constantFrom(0.1, 0.5, 0.8, 1),
        fc.nat(),
        fc.nat({ max: 7 }),
        fc.nat(),
        fc.constantFrom<'inverted' | 'none'>('inverted', 'none'),
        dataSeed,
        async (n, keepProb, keySeed, stream, offset, scale, seed) => {
          const x = randomArray(n, seed);
          const key = { keepProb, seed: keySeed, stream, offset, scale };
          const r = await vjp(rt(), ([v]) => F.dropout(v, key), [{ data: x, shape: [n] }], seed + 1);
          const m = dropoutMaskCpu(n, key);
          const f = scale === 'inverted' ? 1 / keepProb : 1;
          // x·fl(1/p): the rounding of 1/p and of the product.
          expectClose(
            'dropout forward',
            r.out,
            Array.from(x, (v, i) => v * m[i] * f),
            (i) => gamma(2) * Math.abs(x[i] * m[i] * f),
          );
          expectClose(
            'dropout gradient',
            r.grads[0]!,
            Array.from(r.w, (v, i) => v * m[i] * f),
            (i) => gamma(2) * Math.abs(r.w[i] * m[i] * f),
          );
        },
      ),
      runs(RUNS),
    );
  });

  it('gaussianNoise: y = x + σ·z with z the Box–Muller twin’s draw; the gradient passes through exactly', async () => {
    // A GPU draw is within TOL(z) = 6·2^-22 + 4·2^-22·|z| of the twin's (derived in tests/ops/noise.test.ts);
    // x + σz adds one rounding.
    const tolZ = (z: number): number => 6 * 2 ** -22 + 4 * 2 ** -22 * Math.abs(z);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.constantFrom(0, 0.1, 1),
        fc.nat(),
        fc.nat({ max: 7 }),
        fc.nat(),
        dataSeed,
        async (n, std, keySeed, stream, offset, seed) => {
          const x = randomArray(n, seed);
          const key = { seed: keySeed, stream, offset };
          const r = await vjp(rt(), ([v]) => F.gaussianNoise(v, { std, ...key }), [{ data: x, shape: [n] }], seed + 1);
          const z = standardNormalCpu(n, key);
          const want = Array.from(x, (v, i) => v + Math.fround(std) * z[i]);
          expectClose('noise forward', r.out, want, (i) => std * tolZ(z[i]) + ulp(want[i]));
          expectExact('noise gradient', r.grads[0]!, r.w);
        },
      ),
      runs(RUNS),
    );
  });
});
