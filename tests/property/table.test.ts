/**
 * Every op of the autodiff table (engine/autograd/table.ts) against finite differences: a property
 * per op name, and a check that no name is missing. For random small inputs x, a random direction
 * v (‖v‖∞ ≤ 1) and random output weights w, with L(x) = Σ f(x) ⊙ w:
 *
 *   analytic  Σ_j ∂L/∂x_j · v_j       (the op's backward rule, through the tape)
 *   numeric   (L(x + hv) − L(x − hv)) / 2h   (L summed in f64 from the GPU's f32 outputs)
 *
 * Bound, h = 2^-6: an output f_i is evaluated within E_i = 2^-17·(1 + |f_i|) (every op's forward
 * bound of ./elementwise, ./reduce-layout, ./matmul and ./kernels for values of order 1 and
 * dimensions ≤ 7), so the two evaluations add at most Σ|w_i|·E_i/h; the central difference's
 * truncation is h²/6·Σ|w_i|·M3, with M3 a bound on |D³f_i[v, v, v]| stated per op (0 for the ops
 * that are polynomials of degree ≤ 2 in their inputs); the analytic side is within 2^-17·Σ|∂L/∂x_j·v_j|.
 * Inputs are kept ≥ 0.05 away from kinks (relu, abs, sign: h·|v| < 0.05), and the domains of log,
 * sqrt, rsqrt and div's denominator start at 0.5, where their third derivatives are bounded as stated.
 * A wrong rule is off by O(Σ|w|) and fails by orders of magnitude. Runs: 10 per op, 4 for linearChain
 * (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { OPS, type OpName } from '../../engine/autograd/table';
import type { Runtime } from '../../engine/runtime/runtime';
import { useRuntime } from '../helpers/gpu';
import { randomArray } from '../helpers/random';
import { dataSeed, runs, size, vjp, type VjpInput } from './fc';

const H = 2 ** -6;
const E = 2 ** -17;

/** One drawn case: inputs, the function, and M3 (see the header). */
interface Case {
  inputs: VjpInput[];
  f: (xs: F.Var[]) => F.Var;
  m3: number;
  /** The evaluation allowance per output, relative to 1 + |f_i| (default E). */
  e?: number;
}

const small = fc.integer({ min: 1, max: 7 });
const smallShape = fc.array(small, { maxLength: 3 });

/** Values in ±[gap, 1) (away from kinks at 0) or in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1, gap = 0): Float32Array {
  const d = randomArray(n, seed, lo, hi);
  return gap > 0 ? d.map((x) => (x >= 0 ? x + gap : x - gap) / (1 + gap)) : d;
}

const unary = (f: (x: F.Var) => F.Var, m3: number, lo = -1, hi = 1, gap = 0): fc.Arbitrary<Case> =>
  fc.tuple(smallShape, dataSeed).map(([s, seed]) => ({ inputs: [{ data: values(size(s), seed, lo, hi, gap), shape: s }], f: ([x]) => f(x), m3 }));

const binary = (f: (a: F.Var, b: F.Var) => F.Var, m3: number, bLo = -1, bHi = 1): fc.Arbitrary<Case> =>
  fc.tuple(smallShape, fc.integer({ min: 0, max: 3 }), dataSeed).map(([s, drop, seed]) => {
    const sb = s.slice(Math.min(drop, s.length)).map((d, i) => (i === 0 && drop > 0 ? 1 : d));
    return {
      inputs: [
        { data: values(size(s), seed), shape: s },
        { data: values(size(sb), seed + 1, bLo, bHi), shape: sb },
      ],
      f: ([a, b]) => f(a, b),
      m3,
    };
  });

const reduceAxes = fc
  .tuple(fc.array(small, { minLength: 1, maxLength: 3 }), fc.boolean(), dataSeed)
  .map(([s, keep, seed]) => ({ s, keep, seed, axes: s.length > 1 ? [0] : undefined }));

/** Every op name, with its cases and M3. */
const CASES: { readonly [K in OpName]: fc.Arbitrary<Case> } = {
  // (a ± b), a·b: degree ≤ 2, M3 = 0. a/b along (va, vb): 6·vb²·(a·vb − va·b)/b⁴ with |a| ≤ 1 + h, b ≥ 0.5 − h:
  // ≤ 6·3.05/0.484⁴ < 350. (Bounds here are taken over x ± hv, where the remainder's third derivative lives.)
  add: binary(F.add, 0),
  sub: binary(F.sub, 0),
  mul: binary(F.mul, 0),
  div: binary(F.div, 350, 0.5, 2),
  scale: unary((x) => F.scale(x, -1.75), 0),
  relu: unary(F.relu, 0, -1, 1, 0.05),
  // tanh''' ≤ 2, sigmoid''' ≤ 1/8, exp''' on [−2, 2] ≤ e² < 8.
  tanh: unary(F.tanh, 2, -2, 2),
  sigmoid: unary(F.sigmoid, 0.125, -3, 3),
  exp: unary(F.exp, 8, -2, 2),
  // On [0.5 − h, 4): log''' = 2/x³ < 18, sqrt''' = (3/8)x^-5/2 < 2.5, rsqrt''' = (15/8)x^-7/2 < 24.
  log: unary(F.log, 18, 0.5, 4),
  abs: unary(F.abs, 0, -1, 1, 0.05),
  sign: unary(F.sign, 0, -1, 1, 0.05),
  sqrt: unary(F.sqrt, 2.5, 0.5, 4),
  rsqrt: unary((x) => F.rsqrt(x, 0), 24, 0.5, 4),
  square: unary(F.square, 0),
  // ‖x‖ of a column with entries in ±[0.5 − h, 1): |D³| ≤ 3‖v‖³/‖x‖² ≤ 3·r^1.5/(0.234·r) ≤ 12.9·√7 < 36.
  columnNorms: fc
    .tuple(small, small, dataSeed)
    .map(([r, c, seed]) => ({ inputs: [{ data: values(r * c, seed, -1, 1, 1), shape: [r, c] }], f: ([w]) => F.columnNorms(w), m3: 36 })),
  sum: reduceAxes.map(({ s, keep, seed, axes }) => ({ inputs: [{ data: values(size(s), seed), shape: s }], f: ([x]) => F.sum(x, axes, keep), m3: 0 })),
  mean: reduceAxes.map(({ s, keep, seed, axes }) => ({ inputs: [{ data: values(size(s), seed), shape: s }], f: ([x]) => F.mean(x, axes, keep), m3: 0 })),
  reshape: fc
    .tuple(small, small, dataSeed)
    .map(([a, b, seed]) => ({ inputs: [{ data: values(a * b, seed), shape: [a, b] }], f: ([x]) => F.reshape(x, [-1]), m3: 0 })),
  transpose: fc
    .tuple(fc.array(small, { minLength: 2, maxLength: 3 }), dataSeed)
    .map(([s, seed]) => ({ inputs: [{ data: values(size(s), seed), shape: s }], f: ([x]) => F.transpose(x), m3: 0 })),
  broadcastTo: fc
    .tuple(small, small, dataSeed)
    .map(([a, b, seed]) => ({ inputs: [{ data: values(b, seed), shape: [1, b] }], f: ([x]) => F.broadcastTo(x, [a, b]), m3: 0 })),
  gather: fc.tuple(small, small, fc.integer({ min: 0, max: 9 }), dataSeed).map(([rows, width, count, seed]) => ({
    inputs: [
      { data: values(rows * width, seed), shape: [rows, width] },
      { data: Array.from(randomArray(count, seed + 1, 0, rows), Math.floor), shape: [count], dtype: 'u32' },
    ],
    f: ([t, i]) => F.gather(t, i),
    m3: 0,
  })),
  // Labels have no gradient: L does not depend on anything differentiable (checked below).
  oneHot: fc.tuple(small, small, dataSeed).map(([count, k, seed]) => ({
    inputs: [{ data: Array.from(randomArray(count, seed, 0, k), Math.floor), shape: [count], dtype: 'u32' }],
    f: ([l]) => F.oneHot(l, k),
    m3: 0,
  })),
  // Row loss lse(z) − t'·z with Σt' = 1: D³ lse[v, v, v] is the third central moment of v under softmax(z): ≤ 8 for
  // ‖v‖∞ ≤ 1; a 'sum' adds up to `rows` of them in one output.
  softmaxCrossEntropy: fc
    .tuple(small, fc.integer({ min: 2, max: 7 }), fc.constantFrom('mean', 'sum', 'none'), fc.boolean(), dataSeed)
    .map(([rows, k, reduction, smooth, seed]) => {
      const u = randomArray(rows * k, seed + 1, 0, 1);
      const t = new Float32Array(rows * k);
      for (let r = 0; r < rows; r++) t[r * k + Math.floor(u[r * k] * k)] = 1;
      return {
        inputs: [
          { data: values(rows * k, seed, -2, 2), shape: [rows, k] },
          { data: t, shape: [rows, k], grad: false },
        ],
        f: ([z, tt]) => F.softmaxCrossEntropy(z, tt, reduction, smooth ? { epsilon: 0.1 } : undefined),
        m3: reduction === 'sum' ? 8 * rows : 8,
      };
    }),
  matmul: fc.tuple(small, small, small, fc.boolean(), fc.boolean(), dataSeed).map(([m, n, k, ta, tb, seed]) => ({
    inputs: [
      { data: values(m * k, seed), shape: ta ? [k, m] : [m, k] },
      { data: values(k * n, seed + 1), shape: tb ? [n, k] : [k, n] },
    ],
    f: ([a, b]) => F.matmul(a, b, { transA: ta, transB: tb }),
    m3: 0,
  })),
  // Without ReLU a degree-2 polynomial; the fused ReLU is checked analytically in ./matmul.test.ts.
  linear: fc.tuple(small, small, small, dataSeed).map(([m, n, k, seed]) => ({
    inputs: [
      { data: values(m * k, seed), shape: [m, k] },
      { data: values(k * n, seed + 1), shape: [k, n] },
      { data: values(n, seed + 2), shape: [n] },
    ],
    f: ([x, w, b]) => F.linear(x, w, b),
    m3: 0,
  })),
  // Two layers, x·W1 + b1 through dropout (p = 0.6), then ·W2 + b2 (no ReLU: no kink). Degree 3 in (x, W1, W2):
  // D³ = 6·Σ_paths v_x·v_W1·v_W2 ≤ 6·k·h/p per output. Its outputs sum k·h products of values up to
  // h/p + 1: they get their own evaluation allowance (γ_8·Σ|terms| carried through two products < 2^-12).
  linearChain: fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat(), dataSeed)
    .map(([m, k, h, n, key, seed]) => ({
      inputs: [
        { data: values(m * k, seed), shape: [m, k] },
        { data: values(k * h, seed + 1), shape: [k, h] },
        { data: values(h, seed + 2), shape: [h] },
        { data: values(h * n, seed + 3), shape: [h, n] },
        { data: values(n, seed + 4), shape: [n] },
      ],
      f: (xs) =>
        F.apply('linearChain', xs, {
          layers: [
            { bias: true, relu: false, dropout: { keepProb: 0.6, seed: key, offset: 2 } },
            { bias: true, relu: false },
          ],
        }),
      m3: (6 * k * h) / 0.6,
      e: 2 ** -12,
    })),
  // Linear in x for a fixed key (the same mask at x ± hv).
  dropout: fc.tuple(smallShape, fc.nat(), dataSeed).map(([s, key, seed]) => ({
    inputs: [{ data: values(size(s), seed), shape: s }],
    f: ([x]) => F.dropout(x, { keepProb: 0.6, seed: key, offset: 3 }),
    m3: 0,
  })),
  // x + σz for a fixed key: linear in x.
  gaussianNoise: fc.tuple(smallShape, fc.nat(), dataSeed).map(([s, key, seed]) => ({
    inputs: [{ data: values(size(s), seed), shape: s }],
    f: ([x]) => F.gaussianNoise(x, { std: 0.5, seed: key, offset: 1 }),
    m3: 0,
  })),
  // Bilinear in (x, w) plus b, no ReLU: M3 = 0. An output sums K + 1 ≤ 3·3·3 + 1 terms of size ≤ 1,
  // within γ_28·28 < 2^-14 (the bound of ../property/conv.test.ts): its own evaluation allowance.
  conv2d: fc
    .tuple(
      fc.integer({ min: 1, max: 2 }),
      small,
      small,
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 1, max: 2 }),
      dataSeed,
    )
    .filter(([, h, w, , , k, p]) => h + 2 * p >= k && w + 2 * p >= k)
    .map(([b, h, w, c, o, k, p, s, seed]) => ({
      inputs: [
        { data: values(b * h * w * c, seed), shape: [b, h, w, c] },
        { data: values(k * k * c * o, seed + 1), shape: [k, k, c, o] },
        { data: values(o, seed + 2), shape: [o] },
      ],
      f: ([x, wt, bias]) => F.conv2d(x, wt, bias, { padding: p, stride: s }),
      m3: 0,
      e: 2 ** -14,
    })),
  // Piecewise linear; the values are a shuffled ladder with steps of 0.05 > 2h·|v|, so no argmax flips between x ± hv.
  maxPool2d: fc
    .tuple(fc.integer({ min: 1, max: 2 }), small, small, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), dataSeed)
    .map(([b, h, w, c, k, seed]) => {
      const n = b * h * w * c;
      const order = Array.from(randomArray(n, seed), (u, i) => [u, i] as const).sort((p, q) => p[0] - q[0]);
      const d = new Float32Array(n);
      order.forEach(([, i], rank) => (d[i] = 0.05 * (rank - n / 2)));
      return { inputs: [{ data: d, shape: [b, h, w, c] }], f: ([x]) => F.maxPool2d(x, { kernel: Math.min(k, h, w), stride: 1 }), m3: 0 };
    }),
  // Linear in x for a fixed key (the same mask of (example, channel) at x ± hv).
  dropout2d: fc.tuple(fc.array(small, { minLength: 4, maxLength: 4 }), fc.nat(), dataSeed).map(([s, key, seed]) => ({
    inputs: [{ data: values(size(s), seed), shape: s }],
    f: ([x]) => F.dropout2d(x, { keepProb: 0.6, seed: key, offset: 5 }),
    m3: 0,
  })),
  // Linear.
  avgPool2d: fc
    .tuple(fc.integer({ min: 1, max: 2 }), small, small, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), dataSeed)
    .map(([b, h, w, c, k, seed]) => ({
      inputs: [{ data: values(b * h * w * c, seed), shape: [b, h, w, c] }],
      f: ([x]) => F.avgPool2d(x, { kernel: Math.min(k, h, w), stride: 1 }),
      m3: 0,
    })),
  // Batch statistics over N ≥ 2 rows (the running ones are buffers: no gradient). Each column is a
  // shuffled ladder 2·(k − (N − 1)/2): biased σ ≥ 1, |x| ≤ √3·σ, and σ ≥ 1 − h along x ± hv (|v| ≤ 1
  // moves σ by at most h). Along a line x̂_i = √N·u_i/ρ, u the centred x, w the centred direction
  // (|w| ≤ √N), ρ = √(|u|² + Nε) ≥ √N·σ; the derivatives of q^(−1/2), q = ρ² (|q'| ≤ 2ρ|w|, q'' = 2|w|²),
  // give |D²x̂_i| ≤ 6√N|w|²/ρ² ≤ 6√N/σ² and |D³x̂_i| ≤ 36√N/σ³, so for y = γ·x̂ + β,
  // M3 ≤ (max|γ| + h)·36√N/σ³ + 3·6√N/σ². Evaluation: the forward bound of ../ops/batchnorm.test.ts
  // for N ≤ 7 and |x| ≤ √3·σ is below 2^-14·(1 + |y|).
  batchNorm: fc.tuple(fc.integer({ min: 2, max: 7 }), small, dataSeed).map(([n, c, seed]) => {
    const x = new Float32Array(n * c);
    for (let f = 0; f < c; f++) {
      const order = Array.from(randomArray(n, seed + f), (u, r) => [u, r] as const).sort((p, q) => p[0] - q[0]);
      order.forEach(([, r], k) => (x[r * c + f] = 2 * (k - (n - 1) / 2)));
    }
    const sigma = 1 - H;
    return {
      inputs: [
        { data: x, shape: [n, c] },
        { data: values(c, seed + 100, 0.5, 1.5), shape: [c] },
        { data: values(c, seed + 101), shape: [c] },
        { data: new Float32Array(c), shape: [c], grad: false },
        { data: new Float32Array(c).fill(1), shape: [c], grad: false },
      ],
      f: ([xv, g, b, rm, rv]) => F.batchNorm(xv, g, b, rm, rv, { mode: 'batch', eps: 1e-5, momentum: 0.1 }),
      m3: ((1.5 + H) * 36 * Math.sqrt(n)) / sigma ** 3 + (18 * Math.sqrt(n)) / sigma ** 2,
      e: 2 ** -14,
    };
  }),
};

/** f's outputs at the given inputs (no tape), read back. */
async function outputs(rt: Runtime, f: Case['f'], inputs: readonly VjpInput[]): Promise<ArrayLike<number>> {
  const ts = inputs.map((x) => rt.tensor(x.data, x.shape, x.dtype ?? 'f32'));
  const y = F.noGrad(() => f(ts.map((t) => F.constant(t))));
  try {
    return await y.data.toArray();
  } finally {
    y.dispose();
    ts.forEach((t) => t.dispose());
  }
}

describe('property: every op of the autodiff table against central differences', () => {
  const rt = useRuntime();

  it('every op name of the table has a case here', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(OPS).sort());
  });

  for (const name of Object.keys(CASES) as OpName[]) {
    it(`${name}: the directional derivative of Σ f(x) ⊙ w`, async () => {
      await fc.assert(
        fc.asyncProperty(CASES[name], dataSeed, async (c, vSeed) => {
          const r = await vjp(rt(), c.f, c.inputs, vSeed);
          const diff = c.inputs.map((x) => x.grad ?? (x.dtype ?? 'f32') === 'f32');
          if (!diff.some(Boolean)) {
            expect(
              r.grads.every((g) => g === null),
              `${name}: no input takes a gradient`,
            ).toBe(true);
            return;
          }
          const vs = c.inputs.map((x, i) => (diff[i] ? randomArray(size(x.shape), vSeed + 7 + i) : null));
          const at = (sign: number): VjpInput[] =>
            c.inputs.map((x, i) => (vs[i] ? { ...x, data: Float32Array.from(x.data, (d, j) => d + sign * H * vs[i]![j]) } : x));
          // The perturbation actually applied is the f32-rounded x ± hv: use it in the analytic side too.
          const plus = at(1);
          const minus = at(-1);
          const [yp, ym] = [await outputs(rt(), c.f, plus), await outputs(rt(), c.f, minus)];
          let numeric = 0;
          let wAbs = 0;
          let evalErr = 0;
          for (let i = 0; i < yp.length; i++) {
            numeric += r.w[i] * (yp[i] - ym[i]);
            wAbs += Math.abs(r.w[i]);
            evalErr += Math.abs(r.w[i]) * (c.e ?? E) * (2 + Math.abs(yp[i]) + Math.abs(ym[i]));
          }
          numeric /= 2 * H;
          let analytic = 0;
          let analyticAbs = 0;
          c.inputs.forEach((_, i) => {
            if (!vs[i]) return;
            for (let j = 0; j < vs[i]!.length; j++) {
              const step = (plus[i].data[j] - minus[i].data[j]) / (2 * H);
              analytic += r.grads[i]![j] * step;
              analyticAbs += Math.abs(r.grads[i]![j] * step);
            }
          });
          const tol = evalErr / (2 * H) + ((H * H) / 6) * c.m3 * wAbs + (c.e ?? E) * analyticAbs;
          const d = Math.abs(numeric - analytic);
          if (!(d <= tol)) expect.fail(`${name}: analytic ${analytic} vs numeric ${numeric} (|diff| ${d.toExponential(3)} > bound ${tol.toExponential(3)})`);
        }),
        // linearChain compiles a fused pipeline per layer shape: fewer runs keep it in budget.
        runs(name === 'linearChain' ? 4 : 10),
      );
    });
  }
});
