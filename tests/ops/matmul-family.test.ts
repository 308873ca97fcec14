/**
 * Every candidate of the matmul autotuner (engine/tune/matmul.ts: MATMUL_CANDIDATES, plus a few
 * extra blockings of shaders/matmul_tiled.wgsl that stress its edges: tiles larger than the matrix,
 * K not a multiple of the tile's BK, odd TM) against a CPU reference that accumulates in f64:
 * 1×1×1, primes, vec4-friendly shapes, every transpose combination, the fused bias + ReLU
 * epilogue, and one ~256 shape that spans several tiles in every dimension.
 *
 * Tolerance, as in tests/ops/matmul.test.ts: |ĉ − c| ≤ γ_n · (Σ_k |a_k·b_k| + |bias|),
 * γ_n = n·u / (1 − n·u), u = 2⁻²⁴, n = K + 2 (at most K roundings of a term in any summation
 * order, with or without FMA, plus one for the bias). ReLU is exact.
 */
import { describe, expect, it } from 'vitest';
import { matmul, planMatmul, type MatmulBlocking } from '../../engine/ops/matmul';
import { MATMUL_CANDIDATES } from '../../engine/tune/matmul';
import type { Runtime } from '../../engine/index';
import { randomArray, useRuntime } from '../helpers/gpu';
import { ALL_TRANSPOSES, PLAIN_AND_BOTH_TRANSPOSED } from '../helpers/transposes';

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** op(A)·op(B) (+ bias, ReLU) in f64 and each output's bound. */
function reference(c: Case, a: Float32Array, b: Float32Array, bias: Float32Array | undefined, relu: boolean): { want: Float64Array; tol: Float64Array } {
  const { m, n, k } = c;
  const want = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = c.transA ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) {
        const prod = x * (c.transB ? b[j * k + p] : b[p * n + j]);
        want[i * n + j] += prod;
        abs[i * n + j] += Math.abs(prod);
      }
    }
  }
  const steps = k + 2;
  const gamma = (steps * 2 ** -24) / (1 - steps * 2 ** -24);
  const tol = new Float64Array(m * n);
  for (let o = 0; o < m * n; o++) {
    if (bias) {
      want[o] += bias[o % n];
      abs[o] += Math.abs(bias[o % n]);
    }
    if (relu) want[o] = Math.max(want[o], 0);
    tol[o] = gamma * abs[o];
  }
  return { want, tol };
}

function caseName(c: Case): string {
  return `${c.m}×${c.n}×${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}`;
}

function blockingName(b: MatmulBlocking): string {
  return Object.entries(b)
    .map(([key, v]) => (key === 'kernel' ? v : `${key}=${v}`))
    .join(' ');
}

/** Runs one case with a forced blocking and returns the first violations of the bound. */
async function violations(rt: Runtime, blk: MatmulBlocking, c: Case, seed: number, epilogue: { bias?: boolean; relu?: boolean } = {}): Promise<string[]> {
  const a = randomArray(c.m * c.k, seed);
  const b = randomArray(c.k * c.n, seed + 1);
  const biasArr = epilogue.bias ? randomArray(c.n, seed + 2, -2, 2) : undefined;
  const ta = rt.tensor(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
  const tb = rt.tensor(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
  const bias = biasArr ? rt.tensor(biasArr) : undefined;
  const plan = planMatmul(rt, { m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB }, { aligned: blk, unaligned: blk });
  // The blocking really runs: the plan is its entry point, not a fallback.
  expect(plan.entry).toBe(`matmul_${blk.kernel}`);
  expect(plan.entryPoint).toBe(`matmul_${blk.kernel}_tm${blk.TM}`);
  const out = matmul(ta, tb, { transA: c.transA, transB: c.transB, bias, relu: epilogue.relu }, { aligned: blk, unaligned: blk });
  const got = await out.toArray();
  const { want, tol } = reference(c, a, b, biasArr, !!epilogue.relu);
  const bad: string[] = [];
  for (let o = 0; o < want.length && bad.length < 4; o++) {
    const err = Math.abs(got[o] - want[o]);
    if (!(err <= tol[o]))
      bad.push(
        `${caseName(c)} C[${Math.floor(o / c.n)}, ${o % c.n}] = ${got[o]}, want ${want[o]} (|err| ${err.toExponential(2)} > ${tol[o].toExponential(2)})`,
      );
  }
  for (const t of [ta, tb, out, bias]) t?.dispose();
  return bad;
}

/**
 * Extra blockings of shaders/matmul_tiled.wgsl that reach its edges (tiles larger than C, odd TM,
 * shape constants); the first two run every transpose combination.
 */
const EXTRA: MatmulBlocking[] = [
  { kernel: 'tiled', WG: 4, WG_Y: 2, TM: 3, BK: 4, spec: true },
  { kernel: 'block', WG: 4, WG_Y: 4, TM: 3 },
  { kernel: 'tiled', WG: 8, WG_Y: 4, TM: 3, BK: 8 },
  { kernel: 'block', WG: 2, WG_Y: 16, TM: 1 },
];
const EVERY_TRANSPOSE = new Set(EXTRA.slice(0, 2));

/**
 * The cases of one blocking, two or four pipelines (one per transpose combination): transposes
 * of a prime shape and of a vec4-friendly one, 1×1×1, the epilogue, and one ~256 shape spanning
 * several tiles and workgroups in every dimension with ragged edges.
 */
function cases(blk: MatmulBlocking): { c: Case; bias?: boolean; relu?: boolean }[] {
  const vec4 = blk.kernel === 'vec4';
  // Every entry point addresses A and B independently (A by TRANS_A only, B by TRANS_B only, also
  // when copying tiles), so A·B and Aᵀ·Bᵀ reach all four addressings with two pipelines (compiling
  // is what costs on the software adapters); two blockings run every combination, and
  // tests/ops/matmul.test.ts does for shaders/matmul.wgsl.
  const every = EVERY_TRANSPOSE.has(blk);
  const combos = every ? ALL_TRANSPOSES : PLAIN_AND_BOTH_TRANSPOSED;
  const out: { c: Case; bias?: boolean; relu?: boolean }[] = [];
  for (const [transA, transB] of combos) {
    // The vec4 entry point needs rows of whole vec4s; every other one takes any shape.
    if (!vec4) out.push({ c: { m: 17, n: 31, k: 13, transA, transB } });
    out.push({ c: { m: 12, n: 20, k: 8, transA, transB } });
  }
  if (!vec4) out.push({ c: { m: 1, n: 1, k: 1, transA: false, transB: false } }, { c: { m: 5, n: 12, k: 7, transA: true, transB: true } });
  // The epilogue (values in [-1, 1): many outputs are clipped by ReLU).
  const epi: Case = vec4 ? { m: 24, n: 36, k: 16, transA: true, transB: true } : { m: 33, n: 68, k: 37, transA: true, transB: true };
  out.push({ c: epi, bias: true, relu: true }, { c: epi, bias: true }, { c: epi, relu: true });
  out.push({ c: vec4 ? { m: 260, n: 252, k: 256, transA: false, transB: false } : { m: 257, n: 251, k: 259, transA: false, transB: false }, bias: true });
  return out;
}

describe('matmul kernel family: every autotuner candidate against the f64 reference', () => {
  const rt = useRuntime();
  let seed = 1;
  for (const blk of [...MATMUL_CANDIDATES, ...EXTRA]) {
    it(`${blockingName(blk)}: odd shapes, every transpose, bias + ReLU, and ~256³`, async () => {
      const r = rt();
      // Every product is recorded first and read back together: one submit per blocking.
      const pending = cases(blk).map(({ c, bias, relu }) => violations(r, blk, c, seed++, { bias, relu }));
      expect((await Promise.all(pending)).flat()).toEqual([]);
    });
  }

  it('refuses blockings that the kernels cannot run, naming the value', () => {
    const r = rt();
    const shape = { m: 8, n: 8, k: 8, transA: false, transB: false };
    const force = (b: MatmulBlocking) => () => planMatmul(r, shape, { aligned: b, unaligned: b });
    expect(force({ kernel: 'tiled', WG: 32, WG_Y: 16, TM: 4, BK: 16 })).toThrow(/WG × WG_Y must be at most 256/);
    expect(force({ kernel: 'tiled', WG: 16, WG_Y: 16, TM: 4, BK: 12 })).toThrow(/BK must be a power of two/);
    expect(force({ kernel: 'block', WG: 8, WG_Y: 8, TM: 17 })).toThrow(/TM must be one of 1, 2, 3, 4, 8 for the block kernel/);
    expect(force({ kernel: 'strided', WG: 32, TM: 16, spec: true })).toThrow(/spec needs the tiled or block kernel/);
  });
});
