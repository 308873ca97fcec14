/**
 * matmul (shaders/matmul.wgsl) and matmulNaive against a CPU reference that accumulates in f64,
 * over shapes that hit every edge: 1×1×1, primes, tall/skinny, shapes that are and are not
 * multiples of 4, every transpose combination, the fused bias + ReLU epilogue, and one 1024² case,
 * first with the adapter's own blocking, then with each entry point (vec4, scalar, strided) and
 * several blockings forced, since an adapter's table uses only some of them.
 *
 * Tolerance: a dot product of length K computed in f32 (any summation order, with or without
 * FMA) satisfies |ĉ − c| ≤ γ_n · Σ_k |a_k·b_k|, γ_n = n·u / (1 − n·u), u = 2⁻²⁴, where n is the
 * number of roundings a term goes through: at most K (the vec4 kernel sums four products, then
 * adds them to the accumulator), plus one for the bias. We use n = K + 2 and add |bias| to the
 * sum. The f64 reference's own error (≈ K·2⁻⁵³) is negligible. ReLU is exact.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBenchKernels } from '../../bench/kernels';
import { matmul, matmulNaive, type MatmulKernel, type MatmulOptions, type MatmulTuning } from '../../engine/ops/matmul';
import { ArgumentError, ShapeError, type Runtime } from '../../engine/index';
import { randomArray, useRuntime } from '../helpers/gpu';

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
}

/** op(A)·op(B) (+ bias, ReLU) in f64, and the error bound of each output. */
function reference(c: Case, a: Float32Array, b: Float32Array, bias?: Float32Array, relu = false): { want: Float64Array; tol: Float64Array } {
  const { m, n, k } = c;
  const want = new Float64Array(m * n);
  const absSum = new Float64Array(m * n);
  // op(A) and op(B) as row-major f64 copies, so the triple loop below indexes directly.
  const opA = Float64Array.from({ length: m * k }, (_, o) => (c.transA ? a[(o % k) * m + Math.floor(o / k)] : a[o]));
  const opB = Float64Array.from({ length: k * n }, (_, o) => (c.transB ? b[(o % n) * k + Math.floor(o / n)] : b[o]));
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = opA[i * k + p];
      const row = p * n;
      const o = i * n;
      for (let j = 0; j < n; j++) {
        const prod = x * opB[row + j];
        want[o + j] += prod;
        absSum[o + j] += Math.abs(prod);
      }
    }
  }
  const steps = k + 2;
  const gamma = (steps * 2 ** -24) / (1 - steps * 2 ** -24);
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const o = i * n + j;
      if (bias) {
        want[o] += bias[j];
        absSum[o] += Math.abs(bias[j]);
      }
      if (relu) want[o] = Math.max(want[o], 0);
      tol[o] = gamma * absSum[o];
    }
  }
  return { want, tol };
}

/** Indices where |got − want| > tol, as readable strings (the first few). */
function violations(got: Float32Array, want: Float64Array, tol: Float64Array, n: number): string[] {
  const bad: string[] = [];
  for (let o = 0; o < want.length && bad.length < 5; o++) {
    const err = Math.abs(got[o] - want[o]);
    if (!(err <= tol[o]))
      bad.push(`C[${Math.floor(o / n)}, ${o % n}] = ${got[o]}, want ${want[o]} (|err| ${err.toExponential(2)} > ${tol[o].toExponential(2)})`);
  }
  return bad;
}

function name(c: Case): string {
  return `${c.m}×${c.n}×${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}`;
}

/** Runs one case on the GPU and compares it with {@link reference}. */
async function check(rt: () => Runtime, c: Case, opts: MatmulOptions = {}, seed = 1, tuning?: MatmulTuning): Promise<void> {
  const a = randomArray(c.m * c.k, seed);
  const b = randomArray(c.k * c.n, seed + 1);
  const ta = rt().tensor(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
  const tb = rt().tensor(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
  const out = matmul(ta, tb, { ...opts, transA: c.transA, transB: c.transB }, tuning);
  expect(out.shape).toEqual([c.m, c.n]);
  const got = await out.toArray();
  const biasArr = opts.bias ? ((await opts.bias.toArray()) as Float32Array) : undefined;
  const { want, tol } = reference(c, a, b, biasArr, opts.relu);
  expect(violations(got, want, tol, c.n), name(c)).toEqual([]);
  for (const t of [ta, tb, out]) t.dispose();
}

const SHAPES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 17, n: 31, k: 13 },
  { m: 4096, n: 8, k: 64 },
  { m: 8, n: 4, k: 4 },
  { m: 33, n: 68, k: 36 },
  { m: 5, n: 12, k: 7 },
  { m: 64, n: 1, k: 100 },
  { m: 1, n: 300, k: 20 },
  { m: 129, n: 132, k: 256 },
];

/** Odd and vec4-friendly shapes, each with every transpose combination. */
const TRANSPOSE_SHAPES: [number, number, number][] = [
  [17, 31, 13],
  [12, 20, 8],
  [20, 8, 44],
  [3, 5, 2],
];

describe('matmul', () => {
  const rt = useRuntime();

  for (const c of SHAPES) {
    it(`${name(c)} matches the f64 reference within γ_(K+2)·Σ|a||b|`, () => check(rt, c));
  }

  for (const [m, n, k] of TRANSPOSE_SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const c = { m, n, k, transA, transB };
        it(`${name(c)} (no transpose is materialized) matches the reference`, () => check(rt, c, {}, 7));
      }
    }
  }

  it('1024×1024×1024 matches the reference', () => check(rt, { m: 1024, n: 1024, k: 1024 }, {}, 3));

  for (const c of [
    { m: 17, n: 31, k: 13 },
    { m: 24, n: 36, k: 16, transA: true, transB: true },
    { m: 40, n: 8, k: 12, transB: true },
  ]) {
    it(`${name(c)} with the fused bias + ReLU epilogue matches the reference`, async () => {
      // Values in [-1, 1): about half the outputs are negative, so ReLU clips many of them.
      const bias = rt().tensor(randomArray(c.n, 99, -2, 2));
      await check(rt, c, { bias, relu: true }, 11);
      await check(rt, c, { bias }, 12);
      await check(rt, c, { relu: true }, 13);
      bias.dispose();
    });
  }

  it('K = 0 gives the bias (or zeros)', async () => {
    const a = rt().empty([3, 0]);
    const b = rt().empty([0, 5]);
    const bias = rt().tensor([1, -2, 3, -4, 5]);
    // An empty sum is exactly 0: the result is exactly the (ReLU'd) bias.
    expect([...(await matmul(a, b).toArray())]).toEqual(new Array(15).fill(0));
    expect([...(await matmul(a, b, { bias, relu: true }).toArray())]).toEqual([1, 0, 3, 0, 5, 1, 0, 3, 0, 5, 1, 0, 3, 0, 5]);
  });

  it('M = 0 or N = 0 gives an empty result without dispatching', async () => {
    const before = rt().workStats().dispatches;
    const c = matmul(rt().empty([0, 4]), rt().empty([4, 3]));
    expect(c.shape).toEqual([0, 3]);
    expect(matmul(rt().empty([2, 4]), rt().empty([4, 0])).shape).toEqual([2, 0]);
    expect(rt().workStats().dispatches).toBe(before);
  });

  it('rejects bad inputs with errors that name the shapes', () => {
    const a = rt().empty([3, 4]);
    const b = rt().empty([5, 6]);
    expect(() => matmul(a, b)).toThrow(ShapeError);
    expect(() => matmul(a, b)).toThrow(/\[3, 4\].*\[5, 6\]/);
    expect(() => matmul(a, b, { transA: true })).toThrow(/\[3, 4\] transposed.*3 columns.*\[5, 6\]/);
    expect(() => matmul(rt().empty([4]), b)).toThrow(/must be 2-D, got \[4\]/);
    expect(() => matmul(rt().empty([3, 5], 'i32'), b)).toThrow(ArgumentError);
    expect(() => matmul(rt().empty([3, 5]), b, { bias: rt().empty([5]) })).toThrow(/bias \[5\] does not fit the 6 columns/);
    expect(() => matmulNaive(a, b)).toThrow(ShapeError);
    const d = rt().empty([5, 6]);
    d.dispose();
    expect(() => matmul(rt().empty([3, 5]), d)).toThrow(/disposed/);
  });
});

describe('matmul: every entry point and blocking on this adapter', () => {
  // The adapter's table (MATMUL_TUNING) uses only some entry points; here each one runs with an
  // explicit blocking, including blocks larger than the matrix and a tiny workgroup, against the
  // same f64 reference and bound as above.
  const rt = useRuntime();
  const BLOCKINGS: [MatmulKernel, number, number][] = [
    ['vec4', 8, 4],
    ['vec4', 32, 16],
    ['scalar', 8, 3],
    ['scalar', 64, 16],
    ['strided', 8, 5],
    ['strided', 32, 16],
  ];
  const CASES: Case[] = [
    { m: 12, n: 20, k: 8 },
    { m: 17, n: 31, k: 13 },
    { m: 40, n: 300, k: 36 },
    { m: 5, n: 12, k: 7 },
  ];

  for (const [kernel, WG, TM] of BLOCKINGS) {
    const tuning: MatmulTuning = { aligned: { kernel, WG, TM }, unaligned: kernel === 'vec4' ? { kernel: 'scalar', WG, TM } : { kernel, WG, TM } };
    it(`${kernel} WG=${WG} TM=${TM}: every transpose combination, with and without bias + ReLU`, async () => {
      const rtt = rt();
      for (const base of CASES) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const c = { ...base, transA, transB };
            const a = randomArray(c.m * c.k, 21);
            const b = randomArray(c.k * c.n, 22);
            const ta = rtt.tensor(a, transA ? [c.k, c.m] : [c.m, c.k]);
            const tb = rtt.tensor(b, transB ? [c.n, c.k] : [c.k, c.n]);
            const biasData = randomArray(c.n, 23);
            const bias = rtt.tensor(biasData);
            for (const epilogue of [false, true]) {
              const got = await matmul(ta, tb, { transA, transB, bias: epilogue ? bias : undefined, relu: epilogue }, tuning).toArray();
              const { want, tol } = reference(c, a, b, epilogue ? biasData : undefined, epilogue);
              expect(violations(got, want, tol, c.n), `${name(c)}${epilogue ? ' + bias, ReLU' : ''}`).toEqual([]);
            }
            for (const t of [ta, tb, bias]) t.dispose();
          }
        }
      }
    });
  }

  it('more than 65,535 row blocks spill into a z grid dimension', async () => {
    // TM = 1: 70,000 rows are 70,000 row blocks, more than one grid dimension allows.
    const c = { m: 70000, n: 3, k: 2 };
    await check(rt, c, {}, 31, { aligned: { kernel: 'scalar', WG: 8, TM: 1 }, unaligned: { kernel: 'scalar', WG: 8, TM: 1 } });
  });

  it('rejects blockings the kernels cannot run', () => {
    const a = rt().empty([8, 8]);
    const bad = (blk: MatmulTuning['aligned']): MatmulTuning => ({ aligned: blk, unaligned: blk });
    expect(() => matmul(a, a, {}, bad({ kernel: 'vec4', WG: 64, TM: 6 }))).toThrow(/TM must be/);
    expect(() => matmul(a, a, {}, bad({ kernel: 'scalar', WG: 64, TM: 17 }))).toThrow(/TM must be/);
    expect(() => matmul(a, a, {}, bad({ kernel: 'scalar', WG: 48, TM: 4 }))).toThrow(/WG must be/);
    expect(() => matmul(rt().empty([3, 5]), rt().empty([5, 7]), {}, bad({ kernel: 'vec4', WG: 64, TM: 4 }))).toThrow(/vec4 kernel needs an aligned shape/);
  });
});

describe('matmulNaive (benchmark baseline)', () => {
  const rt = useRuntime();
  // A bench-only kernel: the library's registry does not carry it.
  beforeAll(() => useBenchKernels(rt()));

  for (const c of [
    { m: 17, n: 31, k: 13 },
    { m: 17, n: 31, k: 13, transA: true },
    { m: 20, n: 9, k: 33, transB: true },
    { m: 1, n: 1, k: 1, transA: true, transB: true },
  ]) {
    it(`${name(c)} matches the reference`, async () => {
      const a = randomArray(c.m * c.k, 5);
      const b = randomArray(c.k * c.n, 6);
      const ta = rt().tensor(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
      const tb = rt().tensor(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
      const got = await matmulNaive(ta, tb, c).toArray();
      const { want, tol } = reference(c, a, b);
      expect(violations(got, want, tol, c.n)).toEqual([]);
    });
  }
});
