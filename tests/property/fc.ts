/**
 * Shared pieces of the property-based tests (fast-check; test helper, not a test file): run
 * settings, shape arbitraries, data, and the f32 error bounds the properties compare against.
 *
 * Reproducibility: every property runs with a fixed seed (FC_SEED overrides it) and a stated number
 * of runs (FC_RUNS overrides every property's count but the two 2-D grid cases', e.g. FC_RUNS=500 for a long local hunt). A
 * failure message from fast-check names the seed and the shrink path, so
 * `FC_SEED=<seed> npx vitest run …` replays it.
 *
 * Data: values are drawn from a small integer seed through {@link randomArray}, so a run's GPU work
 * is the shape's size and shrinking works on the shape (towards fewer, shorter axes) and on the
 * seed, not on thousands of floats; each shrinking step costs one small dispatch sequence.
 *
 * Error bounds (Higham's γ_k = k·u/(1 − k·u), u = 2^-24 the unit roundoff of f32):
 *  - one correctly rounded operation (+ − ×) is exactly Math.fround of its f64 value;
 *  - a sum of k terms in any order, with or without fused multiply-adds, is within γ_{k−1}·Σ|terms|
 *    of the exact sum, and each term already off by a relative δ adds δ·Σ|terms|;
 *  - WGSL's f32 accuracy: x/y 2.5 ULP, exp(x) 3 + 2|x| ULP, log(x) 3 ULP outside [0.5, 2] and
 *    2^-21 absolute inside, inverseSqrt 2 ULP, sqrt as 1/inverseSqrt (2 + 2.5 ULP); one ULP of a
 *    value y is at most 2^-23·|y|.
 * The bounds are first-order, which is what they mean for the sizes here (k·u ≤ 2^-10).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { backward, mul, sum, variable, type Var } from '../../engine/autograd/index';
import type { Runtime } from '../../engine/runtime/runtime';
import type { Tensor } from '../../engine/runtime/tensor';
import { randomArray } from '../helpers/random';

/** The unit roundoff of f32. */
export const U = 2 ** -24;
/** One ULP of a value y, relative: at most 2^-23·|y|. */
export const ULP = 2 ** -23;

/** γ_k = k·u/(1 − k·u). */
export function gamma(k: number): number {
  return (k * U) / (1 - k * U);
}

/** Run settings of one property: the fixed seed (or FC_SEED) and `runs` runs (or FC_RUNS). */
export function runs(runsDefault: number): { seed: number; numRuns: number } {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261201;
  const numRuns = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : runsDefault;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
  if (!(Number.isInteger(numRuns) && numRuns >= 1)) throw new Error(`FC_RUNS must be a positive integer, got ${process.env.FC_RUNS}`);
  return { seed, numRuns };
}

/** A dimension: 1, small primes, and other small sizes (shrinks towards 1). */
export const dim = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 3, 5, 7, 11, 13, 17, 31));

/** The product of a shape's dimensions. */
export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** A shape of rank `minRank`..`maxRank` with at most `maxSize` elements. */
export function shape(minRank = 0, maxRank = 4, maxSize = 2048): fc.Arbitrary<number[]> {
  return fc.array(dim, { minLength: minRank, maxLength: maxRank }).filter((s) => size(s) <= maxSize);
}

/** A data seed: values come from randomArray(n, seed, lo, hi). */
export const dataSeed = fc.integer({ min: 0, max: 1_000_000 });

/** Deterministic data of a shape from a seed, in [lo, hi). */
export function data(shapeOf: readonly number[], seed: number, lo = -1, hi = 1): Float32Array {
  return randomArray(size(shapeOf), seed, lo, hi);
}

/**
 * Two operand shapes that broadcast to `out` by every NumPy rule: an operand may lack any number of
 * leading axes (down to a scalar []), and any of its axes may be 1 where `out` has more, on either
 * side or both (then the two stretch along different axes, [3, 1] with [1, 4]).
 */
export function broadcastPair(maxRank = 4, maxSize = 1024): fc.Arbitrary<{ out: number[]; a: number[]; b: number[] }> {
  return shape(0, maxRank, maxSize).chain((out) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.tuple(operand, operand).map(([a, b]) => ({ out: broadcastOut(a, b, out), a, b }));
  });
}

/** The shape a and b broadcast to (may be smaller than the drawn `out` when both dropped or stretched an axis). */
function broadcastOut(a: readonly number[], b: readonly number[], out: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return out.slice(out.length - r).map((_, i) => {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    return Math.max(da, db);
  });
}

/**
 * Asserts |got[i] − want[i]| ≤ tol(i) for every i (and equal lengths), failing with the first bad
 * element, its values and bound; NaN anywhere fails.
 */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const t = tol(i);
    if (!(d <= t)) expect.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]} (|diff| ${d.toExponential(3)} > bound ${t.toExponential(3)})`);
  }
}

/** Asserts got[i] === Math.fround(want[i]) bit for bit (the result of one correctly rounded f32 operation). */
export function expectExact(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const w = Math.fround(want[i]);
    if (!Object.is(got[i], w) && got[i] !== w) expect.fail(`${what}: element ${i} is ${got[i]}, expected exactly ${w} (f64 reference ${want[i]})`);
  }
}

/** One input of {@link vjp}: values, shape, dtype (default f32), and whether it gets a gradient (default: f32 ones do). */
export interface VjpInput {
  data: ArrayLike<number>;
  shape: readonly number[];
  dtype?: 'f32' | 'u32' | 'i32';
  grad?: boolean;
}

/** What {@link vjp} read back: the output, its shape, the weights w, and each input's gradient (null where none). */
export interface VjpResult {
  out: Float32Array;
  shape: number[];
  w: Float32Array;
  grads: (Float32Array | null)[];
}

/**
 * Runs `f` through the autodiff tape and reads back its output and the vector-Jacobian product
 * wᵀ·J for fixed random weights w of the output's shape: the gradients of L = Σ f(x) ⊙ w. The
 * gradient entering f's output is exactly w (the seed 1 times w, then a sum's backward: no
 * rounding), so the gradients carry only the rounding of f's own backward rule.
 */
export async function vjp(rt: Runtime, f: (xs: Var[]) => Var, inputs: readonly VjpInput[], wSeed: number): Promise<VjpResult> {
  const tensors = inputs.map((x) => rt.tensor(x.data, x.shape, x.dtype ?? 'f32'));
  const vars = tensors.map((t, i) => variable(t, { requiresGrad: inputs[i].grad ?? (inputs[i].dtype ?? 'f32') === 'f32' }));
  let wt: Tensor | undefined;
  let y: Var | undefined;
  try {
    y = f(vars);
    const out = await y.data.toArray();
    const shape = [...y.shape];
    const w = randomArray(out.length, wSeed, -1, 1);
    wt = rt.tensor(w, shape);
    // Without an input that takes a gradient (oneHot of labels) there is nothing to back-propagate.
    if (y.requiresGrad) {
      const loss = sum(mul(y, wt));
      backward(loss);
      loss.dispose();
    }
    const grads = await Promise.all(vars.map(async (v) => (v.requiresGrad ? (v.grad ? await v.grad.toArray() : new Float32Array(v.data.size)) : null)));
    return { out: out as Float32Array, shape, w, grads };
  } finally {
    y?.dispose();
    vars.forEach((v) => v.dispose());
    tensors.forEach((t) => t.isDisposed || t.dispose());
    wt?.dispose();
  }
}
