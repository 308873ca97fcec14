/**
 * Properties of the elementwise autodiff ops (engine/ops/elementwise.ts, broadcast.ts, unary.ts and
 * their rules in the op table) over random shapes and values, forward and gradient, against f64 CPU
 * references (../autograd/reference.ts). The bounds are derived in ./fc.ts; per op:
 *
 * - add, sub, mul: one f32 operation per element, so exactly Math.fround of the f64 value; div
 *   within 2.5 ULP. Gradients: an operand broadcast over K output elements gets a sum of K terms:
 *   γ_{K−1}·Σ|terms| for add/sub, γ_K for mul (one rounded product per term), γ_{K+4} for ∂/∂a of
 *   div (a 2.5-ULP quotient per term) and γ_{K+10} for ∂/∂b (two quotients and a product per term).
 * - unary math: the WGSL accuracy of the built-in each kernel calls, carried through the kernel's
 *   formula to first order (each bound is written next to its function below).
 *
 * Shapes: rank 0 to 4, dimensions 1, primes and small sizes; broadcasting pairs cover a missing
 * leading axis (down to a scalar), a 1 on either side, and both sides stretched along different axes.
 * One property runs a length that needs a 2-D dispatch grid (more than 65,535 × 256 elements).
 * Runs per property: 25 (binary ops), 15 per unary function, 1 for the 2-D grid (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { grid1d } from '../../engine/runtime/grid';
import { useRuntime } from '../helpers/gpu';
import { add } from '../../engine/ops/elementwise';
import { binary, sumAxes } from '../autograd/reference';
import { broadcastPair, data, dataSeed, expectClose, expectExact, gamma, runs, shape, size, U, ULP, vjp } from './fc';

/** `full` (of shape `out`) summed down to `to` (which broadcasts to `out`), in f64. */
function reduceTo(full: ArrayLike<number>, out: readonly number[], to: readonly number[]): Float64Array {
  const padded = [...new Array<number>(out.length - to.length).fill(1), ...to];
  const axes = out.map((_, i) => i).filter((i) => padded[i] === 1 && out[i] !== 1);
  return axes.length === 0 ? Float64Array.from(full) : sumAxes(full, [...out], axes);
}

type BinaryName = 'add' | 'sub' | 'mul' | 'div';
const BINARY: Record<BinaryName, (a: F.Var, b: F.Var) => F.Var> = { add: F.add, sub: F.sub, mul: F.mul, div: F.div };

describe('property: broadcasting binary ops and their gradients', () => {
  const rt = useRuntime();
  for (const name of Object.keys(BINARY) as BinaryName[]) {
    it(`${name}: forward and both gradients, any broadcastable shapes`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPair(), dataSeed, async ({ out, a: sa, b: sb }, seed) => {
          const a = data(sa, seed);
          // Denominators of div kept in ±[0.5, 2): the quotient and its derivatives stay of order 1.
          const b = name === 'div' ? data(sb, seed + 1, 0.5, 2).map((v, i) => (i % 2 ? -v : v)) : data(sb, seed + 1);
          const r = await vjp(
            rt(),
            ([x, y]) => BINARY[name](x, y),
            [
              { data: a, shape: sa },
              { data: b, shape: sb },
            ],
            seed + 2,
          );
          expect(r.shape).toEqual(out);
          const { w } = r;
          const ka = size(out) / Math.max(size(sa), 1);
          const kb = size(out) / Math.max(size(sb), 1);
          const abs = (t: Float64Array): Float64Array => t.map(Math.abs);
          const term = (f: (x: number, y: number) => number): Float64Array => binary(a, sa, b, sb, f).data;
          // The weights w as a function of the output index, for gradient terms that mix w with a and b.
          const wTimes = (f: (x: number, y: number) => number): Float64Array => term(f).map((v, i) => v * w[i]);
          if (name === 'div') {
            const q = term((x, y) => x / y);
            expectClose('div forward', r.out, q, (i) => 5 * U * Math.abs(q[i]));
            const ga = wTimes((_, y) => 1 / y);
            const gb = wTimes((x, y) => -x / (y * y));
            const [wa, wb] = [reduceTo(ga, out, sa), reduceTo(gb, out, sb)];
            const [ta, tb] = [reduceTo(abs(ga), out, sa), reduceTo(abs(gb), out, sb)];
            expectClose('div ∂/∂a', r.grads[0]!, wa, (i) => gamma(ka + 4) * ta[i]);
            expectClose('div ∂/∂b', r.grads[1]!, wb, (i) => gamma(kb + 10) * tb[i]);
            return;
          }
          const f = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y }[name];
          expectExact(`${name} forward`, r.out, term(f));
          const ga = name === 'mul' ? wTimes((_, y) => y) : Float64Array.from(w);
          const gb = name === 'mul' ? wTimes((x) => x) : Float64Array.from(w, (v) => (name === 'sub' ? -v : v));
          const extra = name === 'mul' ? 1 : 0;
          expectClose(`${name} ∂/∂a`, r.grads[0]!, reduceTo(ga, out, sa), (i) => gamma(ka - 1 + extra) * reduceTo(abs(ga), out, sa)[i]);
          expectClose(`${name} ∂/∂b`, r.grads[1]!, reduceTo(gb, out, sb), (i) => gamma(kb - 1 + extra) * reduceTo(abs(gb), out, sb)[i]);
        }),
        runs(25),
      );
    });
  }

  it('scale: forward and gradient are one f32 product each', async () => {
    await fc.assert(
      fc.asyncProperty(shape(), dataSeed, fc.double({ min: -4, max: 4, noNaN: true }), async (s, seed, alpha) => {
        const x = data(s, seed);
        const r = await vjp(rt(), ([v]) => F.scale(v, alpha), [{ data: x, shape: s }], seed + 1);
        const a32 = Math.fround(alpha);
        expectExact(
          'scale forward',
          r.out,
          Array.from(x, (v) => a32 * v),
        );
        expectExact(
          'scale gradient',
          r.grads[0]!,
          Array.from(r.w, (v) => a32 * v),
        );
      }),
      runs(15),
    );
  });

  it('a length that needs a 2-D dispatch grid: [n] + [] broadcast, forward (one run: 67 MB per operand)', async () => {
    const min = 65535 * 256 + 1;
    expect(grid1d(min, 256)[1], 'the case really spills into y').toBeGreaterThan(1);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min, max: min + 4096 }), dataSeed, async (n, seed) => {
        // Cheap data for 16.7M elements: a seeded pattern of multiples of 2^-10 in [-0.5, 0.5).
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = (((i * 2654435761 + seed) >>> 0) % 1024) / 1024 - 0.5;
        const ta = rt().tensor(a, [n]);
        const tb = rt().tensor([0.375], []);
        const out = add(ta, tb);
        try {
          const got = await out.toArray();
          const want = new Float64Array(n);
          for (let i = 0; i < n; i++) want[i] = a[i] + 0.375;
          expectExact('add forward', got, want);
        } finally {
          [ta, tb, out].forEach((t) => t.dispose());
        }
      }),
      { ...runs(1), numRuns: 1 }, // one run whatever FC_RUNS says: it is the slowest case
    );
  });
});

/** A unary op: its function, input range, f64 value and derivative, and the bounds of its kernels. */
interface UnaryCase {
  f: (x: F.Var) => F.Var;
  lo: number;
  hi: number;
  ref: (x: number) => number;
  d: (x: number) => number;
  /** Bound on |forward − ref| at x (y = ref(x)). */
  fwd: (x: number, y: number) => number;
  /** Bound on |gradient − w·d(x)| at x, given the forward bound e at x. */
  grad: (x: number, y: number, w: number, e: number) => number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const EXACT = (): number => 0;

const UNARY: Record<string, UnaryCase> = {
  // max(x, 0) and select(0, g, y > 0): exact.
  relu: { f: F.relu, lo: -2, hi: 2, ref: (x) => Math.max(x, 0), d: (x) => (x > 0 ? 1 : 0), fwd: EXACT, grad: EXACT },
  // abs, sign and g·sign(x): exact; sign's gradient is 0.
  abs: { f: F.abs, lo: -2, hi: 2, ref: Math.abs, d: Math.sign, fwd: EXACT, grad: EXACT },
  sign: { f: F.sign, lo: -2, hi: 2, ref: Math.sign, d: () => 0, fwd: EXACT, grad: EXACT },
  // x·x and (2g)·x: one rounding each.
  square: { f: F.square, lo: -2, hi: 2, ref: (x) => x * x, d: (x) => 2 * x, fwd: (_, y) => U * y, grad: (x, _, w) => U * Math.abs(2 * w * x) },
  // exp: 3 + 2|x| ULP; gradient g·y: y's error and one product.
  exp: {
    f: F.exp,
    lo: -3,
    hi: 3,
    ref: Math.exp,
    d: Math.exp,
    fwd: (x, y) => (3 + 2 * Math.abs(x)) * ULP * y,
    grad: (_, y, w, e) => Math.abs(w) * (e + U * y),
  },
  // log: 2^-21 absolute in [0.5, 2], 3 ULP elsewhere; gradient g ÷ x: 2.5 ULP.
  log: {
    f: F.log,
    lo: 0.1,
    hi: 4,
    ref: Math.log,
    d: (x) => 1 / x,
    fwd: (x, y) => (x >= 0.5 && x <= 2 ? 2 ** -21 : 3 * ULP * Math.abs(y)),
    grad: (x, _, w) => 5 * U * Math.abs(w / x),
  },
  // tanh = sign(x)(1 − e)/(1 + e), e = exp(−2|x|) within (3 + 4|x|) ULP: 2e·δe/(1 + e)² from e, plus
  // 7u·|y| from the subtraction, addition and 2.5-ULP division. Gradient g(1 − y·y): 2|y|·e from y,
  // plus the roundings of y·y, 1 − y² and the product.
  tanh: {
    f: F.tanh,
    lo: -3,
    hi: 3,
    ref: Math.tanh,
    d: (x) => 1 - Math.tanh(x) ** 2,
    fwd: (x, y) => {
      const e = Math.exp(-2 * Math.abs(x));
      return (2 * (3 + 4 * Math.abs(x)) * ULP * e) / (1 + e) ** 2 + 7 * U * Math.abs(y);
    },
    grad: (_, y, w, e) => Math.abs(w) * (2 * Math.abs(y) * e + e * e + U * (y * y + 2 * (1 - y * y))),
  },
  // sigmoid: e = exp(−|x|) within (3 + 2|x|) ULP, then e/(1 + e) or 1/(1 + e): e·δe/(1 + e)² from e,
  // plus 6u·y. Gradient (g·y)(1 − y): |1 − 2y|·e from y, plus three roundings.
  sigmoid: {
    f: F.sigmoid,
    lo: -4,
    hi: 4,
    ref: sigmoid,
    d: (x) => sigmoid(x) * (1 - sigmoid(x)),
    fwd: (x, y) => {
      const e = Math.exp(-Math.abs(x));
      return ((3 + 2 * Math.abs(x)) * ULP * e) / (1 + e) ** 2 + 6 * U * y;
    },
    grad: (_, y, w, e) => Math.abs(w) * (Math.abs(1 - 2 * y) * e + e * e + 3 * U * y * (1 - y)),
  },
  // sqrt as 1/inverseSqrt: 2 + 2.5 ULP (9u); gradient g/(2y): y's 9u and a 2.5-ULP division.
  sqrt: {
    f: F.sqrt,
    lo: 0.1,
    hi: 4,
    ref: Math.sqrt,
    d: (x) => 0.5 / Math.sqrt(x),
    fwd: (_, y) => 9 * U * y,
    grad: (_, y, w) => 15 * U * Math.abs(w / (2 * y)),
  },
  // 1/√(x + ε): the sum's rounding (u/2 in the root) and inverseSqrt's 2 ULP: 5u; gradient −½g·y·y·y:
  // y³ carries 15u, plus three products.
  rsqrt: {
    f: (x) => F.rsqrt(x, 1e-3),
    lo: 0.1,
    hi: 4,
    ref: (x) => 1 / Math.sqrt(x + Math.fround(1e-3)),
    d: (x) => -0.5 * (x + Math.fround(1e-3)) ** -1.5,
    fwd: (_, y) => 5 * U * y,
    grad: (_, y, w) => 19 * U * Math.abs(0.5 * w * y ** 3),
  },
};

describe('property: unary math and its gradients', () => {
  const rt = useRuntime();
  for (const [name, c] of Object.entries(UNARY)) {
    it(`${name}: forward and gradient on [${c.lo}, ${c.hi})`, async () => {
      await fc.assert(
        fc.asyncProperty(shape(), dataSeed, async (s, seed) => {
          const x = data(s, seed, c.lo, c.hi);
          const r = await vjp(rt(), ([v]) => c.f(v), [{ data: x, shape: s }], seed + 1);
          expect(r.shape).toEqual(s);
          const y = Array.from(x, c.ref);
          expectClose(`${name} forward`, r.out, y, (i) => c.fwd(x[i], y[i]));
          const g = Array.from(x, (v, i) => r.w[i] * c.d(v));
          expectClose(`${name} gradient`, r.grads[0]!, g, (i) => c.grad(x[i], y[i], r.w[i], c.fwd(x[i], y[i])));
        }),
        runs(15),
      );
    });
  }
});
