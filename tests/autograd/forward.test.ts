/**
 * Forward values of the autodiff ops' kernels against f64 CPU references (./reference.ts).
 * Tolerances: one f32 operation (add, sub, mul) is exactly Math.fround of the f64 result, so 0;
 * WGSL allows 2.5 ULP for f32 division and a few ULP for exp/log, hence relative 2^-21 for div and
 * 1e-6 (absolute, values of order 1) for the transcendental functions. Reductions are fed values
 * on a grid of 2^-10 in [-1, 1]: every partial sum of up to 2^14 of them is exact in f32 whatever
 * the order, so sums must match exactly and means to one rounding of the final scaling.
 * Softmax cross-entropy is held to the per-row bound the property tests derive
 * (tests/property/kernels.test.ts, {@link xentRowBounds} below), sums of rows to γ_{rows+1} more.
 */
import { describe, expect, it } from 'vitest';
import { expandTo, permute } from '../../engine/ops/broadcast';
import { add, div, mul, sub } from '../../engine/ops/elementwise';
import { gatherRows, oneHot } from '../../engine/ops/gather';
import { meanAxes, sumAxes } from '../../engine/ops/reduce';
import { accumulateXentMetrics, softmaxCrossEntropy } from '../../engine/ops/softmax-xent';
import { exp, log, sigmoid, tanh } from '../../engine/ops/unary';
import { ShapeError } from '../../engine/runtime/errors';
import { maxAbsDiff, randomArray, useRuntime } from '../helpers/gpu';
import { gamma, U, ULP } from '../property/fc';
import { binary, broadcastShape, sumAxes as refSum, transpose as refTranspose, xentRows } from './reference';

/**
 * The f32 error bound of each row's loss Σ t·(lse − z), as tests/property/kernels.test.ts derives
 * it: lse = m + log Σ exp(z − m) is off by Δlse = γ_{k−1} (the sum) + the worst exp error
 * ((3 + 2|z − m|) ULP + u|z − m|) + log's (2^-21 absolute for a sum ≤ 2, else 3 ULP) + u|lse|;
 * the row adds Δlse·Σt and γ_{k+4}·Σ|t·(lse − z)| for its k products and their sum.
 */
function xentRowBounds(z: ArrayLike<number>, t: ArrayLike<number>, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const zs = Array.from({ length: k }, (_, c) => z[r * k + c]);
    const ts = Array.from({ length: k }, (_, c) => t[r * k + c]);
    const m = Math.max(...zs);
    const sum = zs.reduce((a, v) => a + Math.exp(v - m), 0);
    const lse = m + Math.log(sum);
    const expErr = Math.max(...zs.map((v) => (3 + 2 * Math.abs(v - m)) * ULP + U * Math.abs(v - m)));
    const dLse = gamma(k - 1) + expErr + (sum <= 2 ? 2 ** -21 : 3 * ULP * Math.log(sum)) + U * Math.abs(lse);
    out[r] = dLse * ts.reduce((a, v) => a + v, 0) + gamma(k + 4) * ts.reduce((a, v, c) => a + Math.abs(v * (lse - zs[c])), 0);
  }
  return out;
}

/** The bound of a sum of rows: their own bounds plus γ_{rows+1} of the sum of magnitudes (a tree or a running sum). */
function sumBound(rowBounds: ArrayLike<number>, rowValues: ArrayLike<number>): number {
  let b = 0;
  let mag = 0;
  for (let i = 0; i < rowBounds.length; i++) {
    b += rowBounds[i];
    mag += Math.abs(rowValues[i]);
  }
  return b + gamma(rowBounds.length + 1) * mag;
}

const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);

describe('broadcasting binary ops', () => {
  const rt = useRuntime();
  const shapes: [number[], number[]][] = [
    [
      [5, 7],
      [5, 7],
    ],
    [
      [64, 33, 5],
      [33, 1],
    ],
    [[2, 3, 4, 5, 6], [6]],
    [
      [4, 1, 3],
      [1, 5, 1],
    ],
    [[], [3, 2]],
    [
      [300, 1],
      [1, 400],
    ],
  ];
  for (const [sa, sb] of shapes) {
    it(`add, sub, mul, div of [${sa}] and [${sb}]`, async () => {
      const a = randomArray(size(sa), 1);
      const b = randomArray(size(sb), 2, 0.5, 2);
      const ta = rt().tensor(a, sa);
      const tb = rt().tensor(b, sb);
      const ops = [
        [add, (x: number, y: number) => x + y, 0],
        [sub, (x: number, y: number) => x - y, 0],
        [mul, (x: number, y: number) => x * y, 0],
        [div, (x: number, y: number) => x / y, 2 ** -21],
      ] as const;
      for (const [op, f, rel] of ops) {
        const got = op(ta, tb);
        expect(got.shape).toEqual(broadcastShape(sa, sb));
        const want = binary(a, sa, b, sb, (x, y) => Math.fround(f(x, y)));
        const data = await got.toArray();
        let worst = 0;
        for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - want.data[i]) - rel * Math.abs(want.data[i]));
        expect(worst).toBeLessThanOrEqual(0);
        got.dispose();
      }
      ta.dispose();
      tb.dispose();
    });
  }
  it('rejects shapes that do not broadcast, naming the op and shapes', () => {
    const a = rt().empty([3, 4]);
    const b = rt().empty([5]);
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow(/add: shapes \[3, 4\] and \[5\] cannot be broadcast/);
    a.dispose();
    b.dispose();
  });
  it('says so when a broadcast needs more than four dimensions after merging', () => {
    const a = rt().empty([2, 1, 3, 1, 2]);
    const b = rt().empty([1, 2, 1, 3, 1]);
    expect(() => mul(a, b)).toThrow(/mul: output \[2, 2, 3, 3, 2\] needs 5 dimensions/);
    a.dispose();
    b.dispose();
  });
});

describe('unary math', () => {
  const rt = useRuntime();
  it('tanh, sigmoid, exp, log match Math (and do not overflow at ±100)', async () => {
    const x = Float32Array.from([...randomArray(1000, 3, -4, 4), -100, 100, 0]);
    const pos = Float32Array.from(randomArray(1000, 4, 1e-3, 10));
    const tx = rt().tensor(x);
    const tp = rt().tensor(pos);
    expect(maxAbsDiff(await tanh(tx).toArray(), x.map(Math.tanh))).toBeLessThanOrEqual(1e-6);
    expect(
      maxAbsDiff(
        await sigmoid(tx).toArray(),
        x.map((v) => 1 / (1 + Math.exp(-v))),
      ),
    ).toBeLessThanOrEqual(1e-6);
    const small = x.slice(0, 1000);
    const e = await exp(rt().tensor(small)).toArray();
    for (let i = 0; i < small.length; i++) expect(Math.abs(e[i] - Math.exp(small[i]))).toBeLessThanOrEqual(1e-6 * Math.exp(small[i]));
    expect(maxAbsDiff(await log(tp).toArray(), pos.map(Math.log))).toBeLessThanOrEqual(1e-6);
  });
});

describe('reductions over axes', () => {
  const rt = useRuntime();
  const cases: [number[], number[]][] = [
    [[4, 5, 6], [0]],
    [[4, 5, 6], [1]],
    [[4, 5, 6], [2]],
    [
      [4, 5, 6],
      [0, 2],
    ],
    [
      [4, 5, 6],
      [0, 1, 2],
    ],
    [[3000, 7], [0]],
    [
      [2, 3, 4, 5, 6],
      [1, 3],
    ],
    [[70000], [0]],
  ];
  for (const [shape, axes] of cases) {
    it(`sum and mean of [${shape}] over [${axes}]`, async () => {
      const x = randomArray(size(shape), 5).map((v) => Math.round(v * 1024) / 1024);
      const t = rt().tensor(x, shape);
      const want = refSum(x, shape, axes);
      const count = axes.reduce((p, a) => p * shape[a], 1);
      const s = sumAxes(t, axes, true);
      const m = meanAxes(t, axes, false);
      expect(s.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
      expect(m.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
      expect(maxAbsDiff(await s.toArray(), want)).toBe(0);
      const means = await m.toArray();
      for (let i = 0; i < means.length; i++) expect(Math.abs(means[i] - want[i] / count)).toBeLessThanOrEqual(2 ** -23 * Math.abs(want[i] / count) + 1e-30);
      t.dispose();
    });
  }
  it('names the op and shape for a bad axis', () => {
    const t = rt().empty([2, 3]);
    expect(() => sumAxes(t, [2])).toThrow(/sum: axis 2 is out of range for shape \[2, 3\]/);
    t.dispose();
  });
});

describe('layout: transpose and broadcastTo', () => {
  const rt = useRuntime();
  it('transpose [3, 4, 5] by [1, 2, 0] and [2, 0, 1] is an exact copy', async () => {
    const x = randomArray(60, 6);
    const t = rt().tensor(x, [3, 4, 5]);
    for (const perm of [
      [1, 2, 0],
      [2, 0, 1],
      [0, 2, 1],
    ]) {
      const got = permute(t, perm);
      expect(got.shape).toEqual(perm.map((p) => [3, 4, 5][p]));
      expect(maxAbsDiff(await got.toArray(), refTranspose(x, [3, 4, 5], perm))).toBe(0);
    }
  });
  it('broadcastTo [3, 1] → [2, 3, 4] repeats exactly', async () => {
    const x = randomArray(3, 7);
    const got = await expandTo(rt().tensor(x, [3, 1]), [2, 3, 4]).toArray();
    expect(maxAbsDiff(got, binary(x, [3, 1], new Float32Array(24), [2, 3, 4], (v) => v).data)).toBe(0);
  });
});

describe('gather and one-hot', () => {
  const rt = useRuntime();
  it('gathers rows of f32 and u32 tables by a window of an index tensor', async () => {
    const table = randomArray(6 * 4, 8);
    const idx = rt().tensor(new Uint32Array([5, 0, 2, 2, 1, 4]));
    const rows = await gatherRows(rt().tensor(table, [6, 4]), idx, { start: 1, count: 4 }).toArray();
    const want = [0, 2, 2, 1].flatMap((r) => Array.from(table.subarray(r * 4, r * 4 + 4)));
    expect(Array.from(rows)).toEqual(want);
    const labels = await gatherRows(rt().tensor(new Uint32Array([9, 8, 7, 6, 5, 4]), [6], 'u32'), idx).toArray();
    expect(Array.from(labels)).toEqual([4, 9, 7, 7, 8, 5]);
  });
  it('one-hot with on/off values (label smoothing)', async () => {
    const got = await oneHot(rt().tensor(new Uint32Array([2, 0])), 3, { on: 0.9, off: 0.05 }).toArray();
    expect(Array.from(got)).toEqual([0.05, 0.05, 0.9, 0.9, 0.05, 0.05].map(Math.fround));
  });
});

describe('softmax cross-entropy', () => {
  const rt = useRuntime();
  it('matches an f64 reference for mean, sum and per-row losses, including logits of ±1000', async () => {
    const rows = 300;
    const k = 10;
    const z = randomArray(rows * k, 9, -5, 5);
    z[0] = 1000;
    z[k + 3] = -1000;
    const t = randomArray(rows * k, 10, 0, 1);
    const tz = rt().tensor(z, [rows, k]);
    const tt = rt().tensor(t, [rows, k]);
    const ref = xentRows(z, t, rows, k);
    const bounds = xentRowBounds(z, t, rows, k);
    const total = ref.reduce((p, v) => p + v, 0);
    const perRow = await softmaxCrossEntropy(tz, tt, 'none').toArray();
    for (let r = 0; r < rows; r++) expect(Math.abs(perRow[r] - ref[r]), `row ${r}`).toBeLessThanOrEqual(bounds[r]);
    const sum = await softmaxCrossEntropy(tz, tt, 'sum').item();
    expect(Math.abs(sum - total)).toBeLessThanOrEqual(sumBound(bounds, ref));
    // The mean: the sum's bound scaled by 1/rows, and one more rounding of the scaling.
    const mean = await softmaxCrossEntropy(tz, tt, 'mean').item();
    expect(Math.abs(mean - total / rows)).toBeLessThanOrEqual(sumBound(bounds, ref) / rows + U * Math.abs(total / rows));
  });
  it('accumulates running metrics (loss sum, correct rows, rows) across batches without a readback', async () => {
    const acc = rt().tensor(new Float32Array(3));
    let lossSum = 0;
    let correct = 0;
    const rowLosses: number[] = [];
    const rowBounds: number[] = [];
    for (const seed of [11, 12]) {
      const z = randomArray(50 * 4, seed, -2, 2);
      const labels = Uint32Array.from(randomArray(50, seed + 100, 0, 4), Math.floor);
      const t = new Float32Array(200);
      labels.forEach((l, r) => (t[r * 4 + l] = 1));
      accumulateXentMetrics(rt().tensor(z, [50, 4]), rt().tensor(t, [50, 4]), acc);
      xentRows(z, t, 50, 4).forEach((v) => {
        lossSum += v;
        rowLosses.push(v);
      });
      rowBounds.push(...xentRowBounds(z, t, 50, 4));
      for (let r = 0; r < 50; r++) {
        const row = Array.from(z.subarray(r * 4, r * 4 + 4));
        if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
      }
    }
    const [l, c, n] = await acc.toArray();
    // 100 row losses summed (within each batch, then added into the accumulator).
    expect(Math.abs(l - lossSum)).toBeLessThanOrEqual(sumBound(rowBounds, rowLosses));
    expect(c).toBe(correct);
    expect(n).toBe(100);
  });
});
