/**
 * Properties of the reductions and layout ops of the op table (sum, mean, transpose, broadcastTo,
 * reshape), forward and gradient, over random shapes, axes and values, against f64 CPU references.
 * Bounds (see ./fc.ts): a sum of K terms in any order is within γ_{K−1}·Σ|x|; a mean adds the
 * rounding of 1/K to f32 and of the product (γ_{K+1}·Σ|x|/K); their gradients are w stretched back
 * (exact) or times the rounded 1/K (γ_2); moves of elements (transpose, broadcastTo, reshape) are
 * exact, and broadcastTo's gradient is a sum over the stretched axes (γ_{K−1}).
 * Runs per property: 25 (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { useRuntime } from '../helpers/gpu';
import { sumAxes, transpose } from '../autograd/reference';
import { broadcastPair, data, dataSeed, expectClose, expectExact, gamma, runs, shape, size, vjp } from './fc';

/** A shape, a set of axes to reduce (undefined: all; written as negative indices half the time) and keepDims. */
const reduction = shape(0, 4, 2048).chain((s) =>
  fc.record({
    s: fc.constant(s),
    axes: fc.option(
      fc
        .subarray(s.map((_, i) => i))
        .chain((ax) => fc.array(fc.boolean(), { minLength: ax.length, maxLength: ax.length }).map((neg) => ax.map((a, i) => (neg[i] ? a - s.length : a)))),
      { nil: undefined },
    ),
    keepDims: fc.boolean(),
  }),
);

/** A shape and a permutation of its axes. */
const permutation = shape(0, 4, 2048).chain((s) =>
  fc.record({
    s: fc.constant(s),
    perm: fc.shuffledSubarray(
      s.map((_, i) => i),
      { minLength: s.length, maxLength: s.length },
    ),
  }),
);

describe('property: reductions and layout ops and their gradients', () => {
  const rt = useRuntime();

  for (const op of ['sum', 'mean'] as const) {
    it(`${op} over any axes (or all), keepDims or not`, async () => {
      await fc.assert(
        fc.asyncProperty(reduction, dataSeed, async ({ s, axes, keepDims }, seed) => {
          const x = data(s, seed);
          const r = await vjp(rt(), ([v]) => (op === 'sum' ? F.sum : F.mean)(v, axes, keepDims), [{ data: x, shape: s }], seed + 1);
          const ax = (axes ?? s.map((_, i) => i)).map((a) => (a < 0 ? a + s.length : a)).sort((p, q) => p - q);
          const k = ax.reduce((p, a) => p * s[a], 1);
          const keptShape = s.map((d, i) => (ax.includes(i) ? 1 : d));
          expect(r.shape).toEqual(keepDims ? keptShape : s.filter((_, i) => !ax.includes(i)));
          const total = ax.length ? sumAxes(x, s, ax) : Float64Array.from(x);
          const absTotal = ax.length ? sumAxes(x.map(Math.abs), s, ax) : Float64Array.from(x, Math.abs);
          if (op === 'sum') expectClose('sum', r.out, total, (i) => gamma(k - 1) * absTotal[i]);
          else
            expectClose(
              'mean',
              r.out,
              total.map((v) => v / k),
              (i) => (gamma(k + 1) * absTotal[i]) / k,
            );
          // The gradient: w (one per output element) stretched back over the reduced axes.
          const st = keptShape.map((_, i) => keptShape.slice(i + 1).reduce((p, d) => p * d, 1));
          const wAt = (i: number): number => {
            let rem = i;
            let o = 0;
            for (let d = s.length - 1; d >= 0; d--) {
              const idx = rem % s[d];
              rem = Math.floor(rem / s[d]);
              if (!ax.includes(d)) o += idx * st[d];
            }
            return r.w[o];
          };
          const g = Array.from(x, (_, i) => (op === 'sum' ? wAt(i) : wAt(i) / k));
          if (op === 'sum') expectExact('sum gradient', r.grads[0]!, g);
          else expectClose('mean gradient', r.grads[0]!, g, (i) => gamma(2) * Math.abs(g[i]));
        }),
        runs(25),
      );
    });
  }

  it('transpose by any permutation (default: reversed), forward and gradient exact', async () => {
    await fc.assert(
      fc.asyncProperty(permutation, fc.boolean(), dataSeed, async ({ s, perm }, useDefault, seed) => {
        const x = data(s, seed);
        const p = useDefault ? s.map((_, i) => s.length - 1 - i) : perm;
        const r = await vjp(rt(), ([v]) => F.transpose(v, useDefault ? undefined : perm), [{ data: x, shape: s }], seed + 1);
        expect(r.shape).toEqual(p.map((a) => s[a]));
        expectExact('transpose', r.out, transpose(x, s, p));
        const inv = new Array<number>(p.length);
        p.forEach((a, i) => (inv[a] = i));
        expectExact('transpose gradient', r.grads[0]!, transpose(r.w, r.shape, inv));
      }),
      runs(25),
    );
  });

  it('broadcastTo any shape it broadcasts to; the gradient sums over the stretched axes', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair(), dataSeed, async ({ a: s, b }, seed) => {
        // Target: s broadcast with b's shape (every rule: new leading axes, 1s stretched).
        const r0 = Math.max(s.length, b.length);
        const target = Array.from({ length: r0 }, (_, i) => Math.max(s[s.length - r0 + i] ?? 1, b[b.length - r0 + i] ?? 1));
        const x = data(s, seed);
        const r = await vjp(rt(), ([v]) => F.broadcastTo(v, target), [{ data: x, shape: s }], seed + 1);
        expect(r.shape).toEqual(target);
        const padded = [...new Array<number>(r0 - s.length).fill(1), ...s];
        const axes = target.map((_, i) => i).filter((i) => padded[i] === 1 && target[i] !== 1);
        const k = size(target) / Math.max(size(s), 1);
        // Forward: element i of the target reads x at its index with the stretched axes set to 0.
        const want = new Float64Array(size(target));
        const idx = (i: number): number => {
          let rem = i;
          let o = 0;
          let stride = 1;
          for (let d = r0 - 1; d >= 0; d--) {
            const v = rem % target[d];
            rem = Math.floor(rem / target[d]);
            if (padded[d] !== 1) o += v * stride;
            stride *= padded[d];
          }
          return o;
        };
        for (let i = 0; i < want.length; i++) want[i] = x[idx(i)];
        expectExact('broadcastTo', r.out, want);
        const g = axes.length ? sumAxes(r.w, target, axes) : Float64Array.from(r.w);
        const ga = axes.length ? sumAxes(r.w.map(Math.abs), target, axes) : Float64Array.from(r.w, Math.abs);
        expectClose('broadcastTo gradient', r.grads[0]!, g, (i) => gamma(k - 1) * ga[i]);
      }),
      runs(25),
    );
  });

  it('reshape to any shape of the same size (with a -1 half the time): a view, gradient reshaped back', async () => {
    await fc.assert(
      fc.asyncProperty(shape(0, 4, 2048), fc.boolean(), dataSeed, async (s, hole, seed) => {
        // Another shape of the same size: the size's factors regrouped.
        const n = size(s);
        const to = n === 1 ? [1, 1] : [n % 2 === 0 ? 2 : 1, n % 2 === 0 ? n / 2 : n];
        const asked = hole ? [to[0], -1] : to;
        const x = data(s, seed);
        const r = await vjp(rt(), ([v]) => F.reshape(v, asked), [{ data: x, shape: s }], seed + 1);
        expect(r.shape).toEqual(to);
        expectExact('reshape', r.out, x);
        expectExact('reshape gradient', r.grads[0]!, r.w);
      }),
      runs(25),
    );
  });
});
