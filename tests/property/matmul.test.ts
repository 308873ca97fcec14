/**
 * Properties of matmul and linear (engine/ops/matmul.ts, engine/autograd/ops/matmul.ts), forward and
 * gradient, over random M, N, K (1, primes, small sizes: aligned and unaligned kernels), both
 * transpose flags, bias and fused ReLU, against f64 CPU products.
 * Bounds: an output of a K-term dot product, in any order and with or without fused multiply-adds,
 * is within γ_K·Σ|a_ik·b_kj| (γ_{K+1} and + |bias_j| with a bias; ReLU is 1-Lipschitz). dA = G·op(B)ᵀ
 * sums N terms (γ_N), dB = op(A)ᵀ·G sums M terms (γ_M), db sums M rows (γ_{M−1}). Where a
 * pre-activation is within its own bound of 0, the ReLU mask may go either way: the reference then
 * takes the GPU's side of the kink (it is decided by rounding, not by the rule).
 * One property multiplies more than 65,535 row blocks, so the grid spills into z (forward and ∂/∂A).
 * One forces a random generated entry point (shaders/matmul-gen.ts: any layout, any of its TMs)
 * with a random epilogue and transposes, so the unrolled kernels meet shapes no fixed test chose.
 * Runs: 30 for matmul, 25 for linear, 8 for the generated entry points (each compiles a pipeline),
 * 1 for the large grid (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { matmul, planMatmul, type MatmulBlocking, type MatmulKernel } from '../../engine/ops/matmul';
import { MATMUL_TMS, hasMatmulEntry, matmulTemplateOf } from '../../shaders/matmul-gen';
import { useRuntime } from '../helpers/gpu';
import { data, dataSeed, dim, expectClose, gamma, runs, vjp } from './fc';

/** A generated entry point: its layout and one of its TMs, with a small workgroup. */
const generatedBlocking: fc.Arbitrary<MatmulBlocking> = fc.constantFrom<MatmulKernel>('vec4', 'scalar', 'strided', 'block', 'tiled').chain((kernel) =>
  fc.constantFrom(...MATMUL_TMS[matmulTemplateOf(kernel)].filter((tm) => hasMatmulEntry(kernel, tm))).map((TM): MatmulBlocking => {
    if (kernel === 'tiled') return { kernel, WG: 4, WG_Y: 2, TM, BK: 4 };
    if (kernel === 'block') return { kernel, WG: 4, WG_Y: 4, TM };
    return { kernel, WG: 8, TM };
  }),
);

/** op(A)·op(B) in f64 and Σ|a·b| per output; A stored [M, K] or [K, M], B [K, N] or [N, K]. */
function product(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): { c: Float64Array; abs: Float64Array } {
  const c = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const v = (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
        s += v;
        t += Math.abs(v);
      }
      c[i * n + j] = s;
      abs[i * n + j] = t;
    }
  }
  return { c, abs };
}

/** Checks the forward and both gradients of op(A)·op(B) read back by vjp. */
function checkMatmul(
  r: { out: Float32Array; w: Float32Array; grads: (Float32Array | null)[] },
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): void {
  const { c, abs } = product(a, b, m, n, k, transA, transB);
  expectClose('C', r.out, c, (i) => gamma(k) * abs[i]);
  // dA = W·op(B)ᵀ as an [M, K] matrix, then stored like A; dB = op(A)ᵀ·W as [K, N], stored like B.
  const bT = transB ? b : transposed(b, k, n); // op(B)ᵀ stored [N, K]
  const da = product(r.w, bT, m, k, n, false, false);
  const aT = transA ? a : transposed(a, m, k); // op(A)ᵀ stored [K, M]
  const db = product(aT, r.w, k, n, m, false, false);
  const daStored = transA ? { c: transposed(da.c, m, k), abs: transposed(da.abs, m, k) } : da;
  const dbStored = transB ? { c: transposed(db.c, k, n), abs: transposed(db.abs, k, n) } : db;
  expectClose('dA', r.grads[0]!, daStored.c, (i) => gamma(n) * daStored.abs[i]);
  expectClose('dB', r.grads[1]!, dbStored.c, (i) => gamma(m) * dbStored.abs[i]);
}

/** The transpose of a row-major [rows, cols] matrix. */
function transposed(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe('property: matmul and linear and their gradients', () => {
  const rt = useRuntime();

  it('op(A)·op(B) for any M, N, K and transposes', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.boolean(), fc.boolean(), dataSeed, async (m, n, k, transA, transB, seed) => {
        const a = data([m, k], seed);
        const b = data([k, n], seed + 1);
        const r = await vjp(
          rt(),
          ([x, y]) => F.matmul(x, y, { transA, transB }),
          [
            { data: a, shape: transA ? [k, m] : [m, k] },
            { data: b, shape: transB ? [n, k] : [k, n] },
          ],
          seed + 2,
        );
        expect(r.shape).toEqual([m, n]);
        checkMatmul(r, a, b, m, n, k, transA, transB);
      }),
      runs(30),
    );
  });

  it('linear x·W + b, with and without bias and ReLU', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.boolean(), fc.boolean(), dataSeed, async (m, n, k, withBias, relu, seed) => {
        const x = data([m, k], seed);
        const w = data([k, n], seed + 1);
        const b = data([n], seed + 2);
        const inputs = [{ data: x, shape: [m, k] }, { data: w, shape: [k, n] }, ...(withBias ? [{ data: b, shape: [n] }] : [])];
        const r = await vjp(rt(), ([xv, wv, bv]) => F.linear(xv, wv, bv, { relu }), inputs, seed + 3);
        const { c, abs } = product(x, w, m, n, k, false, false);
        const z = c.map((v, i) => v + (withBias ? b[i % n] : 0));
        const bound = (i: number): number => gamma(k + (withBias ? 1 : 0)) * (abs[i] + (withBias ? Math.abs(b[i % n]) : 0));
        expectClose('y', r.out, relu ? z.map((v) => Math.max(v, 0)) : z, bound);
        // The gradient entering the product: w where the unit is active (the GPU's side within the bound).
        const gz = Float64Array.from(r.w, (wi, i) => (!relu ? wi : z[i] > bound(i) ? wi : z[i] < -bound(i) ? 0 : r.out[i] > 0 ? wi : 0));
        const dx = product(gz, w, m, k, n, false, true);
        const dw = product(x, gz, k, n, m, true, false);
        expectClose('dx', r.grads[0]!, dx.c, (i) => gamma(n) * dx.abs[i]);
        expectClose('dW', r.grads[1]!, dw.c, (i) => gamma(m) * dw.abs[i]);
        if (withBias) {
          const db = new Float64Array(n);
          const dbAbs = new Float64Array(n);
          gz.forEach((g, i) => {
            db[i % n] += g;
            dbAbs[i % n] += Math.abs(g);
          });
          expectClose('db', r.grads[2]!, db, (i) => gamma(m - 1) * dbAbs[i]);
        }
      }),
      runs(25),
    );
  });

  it('any generated entry point, epilogue and transposes: op(A)·op(B) (+ bias, ReLU)', async () => {
    await fc.assert(
      fc.asyncProperty(
        generatedBlocking,
        dim,
        dim,
        dim,
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        dataSeed,
        async (blk, m0, n0, k0, transA, transB, withBias, relu, seed) => {
          // The vec4 layout needs rows of whole vec4s: N and K (and M when A is transposed) rounded up to 4.
          const up = (x: number, on: boolean) => (on ? 4 * Math.ceil(x / 4) : x);
          const vec4 = blk.kernel === 'vec4';
          const [m, n, k] = [up(m0, vec4 && transA), up(n0, vec4), up(k0, vec4)];
          const r = rt();
          const a = data([m, k], seed);
          const b = data([k, n], seed + 1);
          const bias = data([n], seed + 2);
          const ta = r.tensor(a, transA ? [k, m] : [m, k]);
          const tb = r.tensor(b, transB ? [n, k] : [k, n]);
          const tbias = r.tensor(bias);
          const tuning = { aligned: blk, unaligned: blk };
          expect(planMatmul(r, { m, n, k, transA, transB }, tuning).entryPoint).toBe(`matmul_${blk.kernel}_tm${blk.TM}`);
          const y = matmul(ta, tb, { transA, transB, bias: withBias ? tbias : undefined, relu }, tuning);
          const got = await y.toArray();
          for (const t of [ta, tb, tbias, y]) t.dispose();
          const { c, abs } = product(a, b, m, n, k, transA, transB);
          const z = c.map((v, i) => v + (withBias ? bias[i % n] : 0));
          const bound = (i: number): number => gamma(k + (withBias ? 1 : 0)) * (abs[i] + (withBias ? Math.abs(bias[i % n]) : 0));
          expectClose('C', got, relu ? z.map((v) => Math.max(v, 0)) : z, bound);
        },
      ),
      runs(8),
    );
    // Each run compiles a pipeline of unrolled code: seconds apiece on a loaded software adapter.
  }, 360_000);

  it('more than 65,535 row blocks: the grid spills into z, forward and ∂/∂A (also that tall)', async () => {
    const tall = 65535 * 16 + 1; // more row blocks than one grid dimension holds for any TM ≤ 16
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: tall, max: tall + 64 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        dataSeed,
        async (m, n, k, seed) => {
          expect(planMatmul(rt(), { m, n, k, transA: false }).workgroups[2], 'the case really spills into z').toBeGreaterThan(1);
          const a = data([m, k], seed);
          const b = data([k, n], seed + 1);
          // B takes no gradient here: its M-term dot products are the slow part, and M is not what this case is about.
          const r = await vjp(
            rt(),
            ([x, y]) => F.matmul(x, y),
            [
              { data: a, shape: [m, k] },
              { data: b, shape: [k, n], grad: false },
            ],
            seed + 2,
          );
          const { c, abs } = product(a, b, m, n, k, false, false);
          expectClose('C', r.out, c, (i) => gamma(k) * abs[i]);
          const da = product(r.w, transposed(b, k, n), m, k, n, false, false);
          expectClose('dA', r.grads[0]!, da.c, (i) => gamma(n) * da.abs[i]);
          expect(r.grads[1]).toBeNull();
        },
      ),
      { ...runs(1), numRuns: 1 }, // one run whatever FC_RUNS says: it is the slowest case
    );
  });
});
