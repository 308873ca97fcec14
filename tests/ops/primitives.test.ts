/**
 * Elementwise primitives (abs, sign, sqrt, rsqrt, square: shaders/unary.wgsl), column norms and the
 * max-norm projection (shaders/colnorm.wgsl), and the row softmax (shaders/softmax_xent.wgsl).
 *
 * Oracles and tolerances:
 * - f64 closed forms on the CPU. abs, sign and square (one f32 multiplication, correctly rounded,
 *   and x·x of an f32 is exact in f64) must match Math.fround of the closed form exactly, as must
 *   their backward kernels (g·sign(x), (2g)·x: one rounding each).
 * - sqrt and rsqrt: WGSL allows 2 ULP for inverseSqrt and sqrt is "inherited from 1/inverseSqrt"
 *   (2 ULP, then a 2.5 ULP division): we allow 5 ULP (5·2⁻²³ relative) for sqrt and 3 ULP for rsqrt
 *   (2, plus the rounding of x + ε, which moves the root by half as much). Their backward kernels
 *   add a division (2.5 ULP) or three products (1.5 ULP) to the error of y (cubed for rsqrt): 8 and
 *   12 ULP.
 * - Column norms: a sequential f32 sum of `rows` positive squares has relative error at most
 *   rows·2⁻²⁴ (first order), the root halves it and adds its own 5 ULP.
 * - Softmax: see {@link softmaxBound}.
 * - Every new autodiff op is also checked against central differences (../autograd/gradcheck.ts,
 *   whose header explains its tolerance), with inputs kept 2h away from kinks (abs, sign) and
 *   positive for the roots.
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { columnNorms, maxNormProject } from '../../engine/ops/colnorm';
import { softmaxRows } from '../../engine/ops/softmax-xent';
import { abs, rsqrt, sign, sqrt, square } from '../../engine/ops/unary';
import { ArgumentError } from '../../engine/runtime/errors';
import type { Runtime } from '../../engine/runtime/runtime';
import type { Tensor } from '../../engine/runtime/tensor';
import { gradCheck, input, inputAwayFromZero } from '../autograd/gradcheck';
import { randomArray, useRuntime } from '../helpers/gpu';

const ULP = 2 ** -23;

/** Indices where got and want differ beyond `rtol`·|want| (exact when rtol = 0; +0 and −0 equal). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 0): string[] {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const ok = rtol === 0 ? got[i] === want[i] : Math.abs(got[i] - want[i]) <= rtol * Math.abs(want[i]);
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${got[i]}, want ${want[i]}`);
  }
  return bad;
}

/** x.grad of Σ f(x) ⊙ w: the backward rule applied to the gradient w. */
async function gradOf(rt: Runtime, f: (x: F.Var) => F.Var, x: Float32Array, w: Float32Array, shape: number[]): Promise<Float32Array> {
  const xt = rt.tensor(x, shape);
  const wt = rt.tensor(w, shape);
  const v = F.variable(xt);
  const loss = F.sum(F.mul(f(v), wt));
  F.backward(loss);
  const g = await v.grad!.toArray();
  loss.dispose();
  v.dispose();
  xt.dispose();
  wt.dispose();
  return g;
}

/** 1000 values in [−4, 4) (not a multiple of the workgroup size) with ±0 and ±1 among them. */
function signedValues(seed: number): Float32Array {
  const x = randomArray(1000, seed, -4, 4);
  x.set([0, -0, 1, -1], 0);
  return x;
}

describe('elementwise primitives: forward against f64 closed forms', () => {
  const rt = useRuntime();

  it('abs, sign and square are exact, including ±0', async () => {
    const x = signedValues(1);
    const t = rt().tensor(x, [10, 100]);
    expect(mismatches(await abs(t).toArray(), Array.from(x, Math.abs))).toEqual([]);
    expect(mismatches(await sign(t).toArray(), Array.from(x, Math.sign))).toEqual([]);
    expect(
      mismatches(
        await square(t).toArray(),
        Array.from(x, (v) => Math.fround(v * v)),
      ),
    ).toEqual([]);
  });

  it('sqrt within 5 ULP on [0, 100), with √0 = 0 and exact squares', async () => {
    const x = randomArray(1000, 2, 0, 100);
    x.set([0, 1, 4, 0.25, 1e-30], 0);
    const got = await sqrt(rt().tensor(x)).toArray();
    expect(got[0]).toBe(0);
    expect(mismatches(got, Array.from(x, Math.sqrt), 5 * ULP)).toEqual([]);
  });

  it('rsqrt within 3 ULP, with eps = 0 and eps = 1e-5 (finite at x = 0)', async () => {
    const x = randomArray(1000, 3, 1e-3, 100);
    expect(
      mismatches(
        await rsqrt(rt().tensor(x)).toArray(),
        Array.from(x, (v) => 1 / Math.sqrt(v)),
        3 * ULP,
      ),
    ).toEqual([]);
    x[0] = 0;
    const eps = 1e-5;
    const feps = Math.fround(eps);
    expect(
      mismatches(
        await rsqrt(rt().tensor(x), eps).toArray(),
        Array.from(x, (v) => 1 / Math.sqrt(v + feps)),
        3 * ULP,
      ),
    ).toEqual([]);
  });

  it('rsqrt rejects an eps that is not a finite number ≥ 0, naming it', () => {
    const t = rt().tensor([1, 2]);
    for (const eps of [-1e-3, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rsqrt(t, eps)).toThrow(ArgumentError);
      expect(() => rsqrt(t, eps)).toThrow(`got ${eps}`);
      expect(() => F.rsqrt(t, eps)).toThrow(`got ${eps}`);
    }
  });
});

describe('elementwise primitives: backward rules', () => {
  const rt = useRuntime();
  const w = randomArray(1000, 50, -2, 2);

  it('abs, sign and square: g·sign(x) (0 at 0), 0, and 2gx, exactly', async () => {
    const x = signedValues(4);
    const shape = [1000];
    expect(
      mismatches(
        await gradOf(rt(), F.abs, x, w, shape),
        Array.from(x, (v, i) => w[i] * Math.sign(v)),
      ),
    ).toEqual([]);
    expect(mismatches(await gradOf(rt(), F.sign, x, w, shape), new Float64Array(1000))).toEqual([]);
    expect(
      mismatches(
        await gradOf(rt(), F.square, x, w, shape),
        Array.from(x, (v, i) => Math.fround(2 * w[i] * v)),
      ),
    ).toEqual([]);
  });

  it('sqrt: g/(2√x) within 8 ULP; rsqrt: −½g(x + ε)^−3/2 within 12 ULP', async () => {
    const x = randomArray(1000, 5, 1e-2, 50);
    const shape = [1000];
    expect(
      mismatches(
        await gradOf(rt(), F.sqrt, x, w, shape),
        Array.from(x, (v, i) => w[i] / (2 * Math.sqrt(v))),
        8 * ULP,
      ),
    ).toEqual([]);
    for (const eps of [0, 0.125]) {
      const want = Array.from(x, (v, i) => -0.5 * w[i] * Math.fround(v + eps) ** -1.5);
      expect(mismatches(await gradOf(rt(), (v) => F.rsqrt(v, eps), x, w, shape), want, 12 * ULP)).toEqual([]);
    }
  });

  it('gradient checks: abs and sign (inputs ≥ 0.05 from the kink), square', async () => {
    await gradCheck(rt(), ([a]) => F.abs(a), [inputAwayFromZero([4, 5], 60)]);
    await gradCheck(rt(), ([a]) => F.sign(a), [inputAwayFromZero([4, 5], 61)]);
    await gradCheck(rt(), ([a]) => F.square(a), [input([4, 5], 62, -2, 2)]);
  });

  it('gradient checks: sqrt and rsqrt (eps 0 and 0.3) on [0.5, 2)', async () => {
    await gradCheck(rt(), ([a]) => F.sqrt(a), [input([4, 5], 63, 0.5, 2)]);
    await gradCheck(rt(), ([a]) => F.rsqrt(a), [input([4, 5], 64, 0.5, 2)]);
    await gradCheck(rt(), ([a]) => F.rsqrt(a, 0.3), [input([4, 5], 65, 0.5, 2)]);
  });
});

/** f64 L2 norm of every column of a row-major [rows, cols] array. */
function colNormsRef(w: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const n = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) n[j] += w[i * cols + j] ** 2;
  return n.map(Math.sqrt);
}

/** Relative error bound of the f32 column norm (header). */
const normRtol = (rows: number): number => rows * 2 ** -24 + 5 * ULP;

describe('column norms', () => {
  const rt = useRuntime();
  const shapes: [number, number][] = [
    [37, 13],
    [300, 70],
    [1, 5],
    [6, 1],
  ];
  for (const [rows, cols] of shapes) {
    it(`forward of [${rows}, ${cols}] against f64, a zero column giving exactly 0`, async () => {
      const w = randomArray(rows * cols, rows + cols, -1, 1);
      for (let i = 0; i < rows; i++) w[i * cols + cols - 1] = 0;
      const got = await columnNorms(rt().tensor(w, [rows, cols])).toArray();
      expect(got[cols - 1]).toBe(0);
      expect(mismatches(got, colNormsRef(w, rows, cols), normRtol(rows))).toEqual([]);
    });
  }

  it('backward g_j·w_ij/n_j against f64 (within the norm bound + 4 ULP), 0 in a zero column', async () => {
    const [rows, cols] = [40, 30];
    const w = randomArray(rows * cols, 70, -1, 1);
    for (let i = 0; i < rows; i++) w[i * cols + 4] = 0;
    const g = randomArray(cols, 71, -2, 2);
    const n = colNormsRef(w, rows, cols);
    const want = Array.from(w, (v, i) => (n[i % cols] > 0 ? (g[i % cols] * v) / n[i % cols] : 0));
    // L = Σ_j n_j·g_j, so the incoming gradient of the norms is g.
    const wt = rt().tensor(w, [rows, cols]);
    const gt = rt().tensor(g, [cols]);
    const v = F.variable(wt);
    const loss = F.sum(F.mul(F.columnNorms(v), gt));
    F.backward(loss);
    const got = await v.grad!.toArray();
    [loss, v, wt, gt].forEach((x) => x.dispose());
    expect(mismatches(got, want, normRtol(rows) + 4 * ULP)).toEqual([]);
    for (let i = 0; i < rows; i++) expect(got[i * cols + 4]).toBe(0);
  });

  it('gradient checks on [5, 4] and [3, 6]', async () => {
    await gradCheck(rt(), ([w]) => F.columnNorms(w), [input([5, 4], 72)]);
    await gradCheck(rt(), ([w]) => F.columnNorms(w), [input([3, 6], 73)]);
  });

  it('rejects a tensor that is not 2-D', () => {
    expect(() => columnNorms(rt().tensor([1, 2, 3]))).toThrow(/columnNorms: w must be 2-D \[rows, cols\], got \[3\]/);
  });
});

describe('max-norm projection', () => {
  const rt = useRuntime();

  /** Columns of random direction with norms spread over [0.2, 3], none within 2% of c = 1, one zero. */
  function weights(rows: number, cols: number, seed: number): Float32Array {
    const w = randomArray(rows * cols, seed, -1, 1);
    const n = colNormsRef(w, rows, cols);
    const targets = randomArray(cols, seed + 1, 0.2, 3).map((t) => (Math.abs(t - 1) < 0.02 ? t + 0.05 : t));
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j] *= targets[j] / n[j];
    for (let i = 0; i < rows; i++) w[i * cols] = 0;
    return w;
  }

  /** Checks the projected `got` against `w`: columns above c rescaled to norm c, the rest bit-identical. */
  function expectProjected(got: Float32Array, w: Float32Array, rows: number, cols: number, c: number): number {
    const n = colNormsRef(w, rows, cols);
    // The kernel's norm (normRtol), the division c/n (2.5 ULP) and the product (0.5 ULP).
    const rtol = normRtol(rows) + 3 * ULP;
    let projected = 0;
    for (let j = 0; j < cols; j++) {
      const col = (a: ArrayLike<number>): number[] => Array.from({ length: rows }, (_, i) => a[i * cols + j]);
      if (n[j] > c) {
        projected++;
        expect(
          mismatches(
            col(got),
            col(w).map((v) => (v * c) / n[j]),
            rtol,
          ),
          `column ${j}`,
        ).toEqual([]);
        expect(Math.abs(colNormsRef(col(got), rows, 1)[0] - c)).toBeLessThanOrEqual(rtol * c + rows * 2 ** -24 * c);
      } else {
        expect(mismatches(col(got), col(w)), `column ${j} (norm ${n[j]} ≤ c) is not written`).toEqual([]);
      }
    }
    return projected;
  }

  it('rescales exactly the columns whose norm exceeds c to norm c, leaving the others bit-identical', async () => {
    const [rows, cols] = [50, 40];
    const w = weights(rows, cols, 80);
    const t = rt().tensor(w, [rows, cols]);
    maxNormProject(t, 1);
    const projected = expectProjected(await t.toArray(), w, rows, cols, 1);
    expect(projected).toBeGreaterThan(5);
    expect(projected).toBeLessThan(cols - 5);
  });

  it('works in place on a view into a larger buffer (an arena), touching nothing outside it', async () => {
    const [rows, cols] = [20, 10];
    const align = rt().device.limits.minStorageBufferOffsetAlignment / 4;
    const base = randomArray(align + rows * cols + 64, 81, 5, 6);
    const w = weights(rows, cols, 82);
    base.set(w, align);
    const bt = rt().tensor(base);
    const view = rt().slice(bt, align * 4, [rows, cols]);
    maxNormProject(view, 1.5);
    const after = await bt.toArray();
    expectProjected(after.subarray(align, align + rows * cols), w, rows, cols, 1.5);
    expect(mismatches(after.subarray(0, align), base.subarray(0, align))).toEqual([]);
    expect(mismatches(after.subarray(align + rows * cols), base.subarray(align + rows * cols))).toEqual([]);
    view.dispose();
  });

  it('rejects c that is not a finite number > 0, and w that is not 2-D, naming the value', () => {
    const w = rt().tensor(new Float32Array(6), [2, 3]);
    for (const c of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => maxNormProject(w, c)).toThrow(ArgumentError);
      expect(() => maxNormProject(w, c)).toThrow(`got ${c}`);
    }
    const bad: Tensor<'f32'>[] = [rt().tensor([1, 2, 3]), rt().tensor(new Float32Array(8), [2, 2, 2])];
    for (const t of bad) {
      expect(() => maxNormProject(t, 1)).toThrow(ArgumentError);
      expect(() => maxNormProject(t, 1)).toThrow(`got [${t.shape.join(', ')}]`);
    }
  });
});

/**
 * f64 softmax of each row and the bound on an f32 probability. With x = z − lse: WGSL's exp is
 * good to 3 + 2|x| ULP; the argument carries the rounding of the subtraction (2⁻²⁴|x|) and the
 * error of lse = m + log s: m's addition (2⁻²⁴|lse|), log (3 ULP relative, or 2⁻²¹ absolute near
 * 1) and s's own relative error (k terms, each exp good to 3 + 2R ULP with R the row's range,
 * plus k roundings). An absolute error δ in the argument is a relative error δ in p.
 */
function softmaxBound(z: Float32Array, rows: number, k: number): { p: Float64Array; tol: Float64Array } {
  const p = new Float64Array(rows * k);
  const tol = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(z.subarray(r * k, (r + 1) * k));
    const m = Math.max(...row);
    const range = m - Math.min(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    const lse = m + Math.log(s);
    const dLse = 2 ** -24 * Math.abs(lse) + 3 * ULP * Math.log(s) + 2 ** -21 + (3 + 2 * range) * ULP + k * 2 ** -24;
    for (let c = 0; c < k; c++) {
      const x = row[c] - lse;
      p[r * k + c] = Math.exp(x);
      tol[r * k + c] = p[r * k + c] * ((3 + 2 * Math.abs(x)) * ULP + 2 ** -24 * Math.abs(x) + dLse) + 1e-38;
    }
  }
  return { p, tol };
}

describe('softmaxRows', () => {
  const rt = useRuntime();
  it('matches an f64 softmax on 300 rows of 10, including rows with logits of ±1000, and rows sum to 1', async () => {
    const [rows, k] = [300, 10];
    const z = randomArray(rows * k, 90, -5, 5);
    z[0] = 1000;
    z[k + 3] = -1000;
    z.fill(7, 2 * k, 3 * k);
    const got = await softmaxRows(rt().tensor(z, [rows, k])).toArray();
    const { p, tol } = softmaxBound(z, rows, k);
    const bad: string[] = [];
    for (let i = 0; i < p.length; i++) if (!(Math.abs(got[i] - p[i]) <= tol[i]) && bad.length < 5) bad.push(`[${i}] got ${got[i]}, want ${p[i]} ± ${tol[i]}`);
    expect(bad).toEqual([]);
    expect(got[0]).toBe(1);
    for (let c = 0; c < k; c++) expect(Math.abs(got[2 * k + c] - 0.1)).toBeLessThanOrEqual(tol[2 * k + c]);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let bound = 0;
      for (let c = 0; c < k; c++) {
        s += got[r * k + c];
        bound += tol[r * k + c];
      }
      expect(Math.abs(s - 1)).toBeLessThanOrEqual(bound);
    }
  });
  it('rejects logits that are not [rows, classes]', () => {
    expect(() => softmaxRows(rt().tensor([1, 2, 3]))).toThrow(/softmaxRows: logits must be \[rows, classes\], got \[3\]/);
  });
});
