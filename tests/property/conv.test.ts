/**
 * Properties of conv2d (im2col + the matmul with its fused bias and ReLU) and of max and average
 * pooling, forward and gradient, over random NHWC geometries: batch, size 1 and odd sizes, strides,
 * padding and dilation, against the f64 loops of tests/ops/conv-reference.ts.
 *
 * Bounds (Higham's γ, ./fc.ts): a convolution output is a sum of K = kh·kw·c products plus the bias
 * in some order, within γ_{K+1}·(Σ|x·w| + |b|). With a ReLU, an output the GPU zeroed must have a
 * reference pre-activation below that bound (the kink is decided by rounding there, not by the rule),
 * and the gradient is gated where the GPU's output is > 0 (its side of the kink). dx is col2im of
 * gz·wᵀ: each element sums at most o·kh·kw products, in two nested sums, within γ_{o + kh·kw}·Σ|terms|;
 * dw sums B·OH·OW products (γ_{B·OH·OW}) and db as many rows. Max pooling moves values without
 * arithmetic (exact); its gradient sums the w of the windows whose argmax a pixel is (γ_{windows}).
 * Max pooling's cases include windows that tile the input exactly (its gradient's one-invocation-per-window
 * kernel). Average pooling sums kh·kw values and divides once (2.5 ULP): γ_{kh·kw}·Σ|x|/(kh·kw) + 2.5 ULP of
 * the result; its gradient likewise. Runs: 30 each (FC_RUNS overrides).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { useRuntime } from '../helpers/gpu';
import { avgPoolBackward, avgPoolForward, convBackward, convForward, maxPoolForward, outSize, type ConvCase, type PoolCase } from '../ops/conv-reference';
import { data, dataSeed, expectClose, expectExact, gamma, runs, ULP, vjp } from './fc';

const conv: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    c: fc.integer({ min: 1, max: 5 }),
    o: fc.integer({ min: 1, max: 6 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
  })
  .filter((g) => outSize(g).oh >= 1 && outSize(g).ow >= 1);

const pool: fc.Arbitrary<PoolCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    c: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
  })
  .filter((g) => 2 * g.ph <= g.kh && 2 * g.pw <= g.kw && outSize({ ...g, o: 1, dh: 1, dw: 1 }).oh >= 1 && outSize({ ...g, o: 1, dh: 1, dw: 1 }).ow >= 1);

/** Windows that tile the input exactly (stride = window, no padding): the gradient's one-invocation-per-window path. */
const tiledPool: fc.Arbitrary<PoolCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    oh: fc.integer({ min: 1, max: 4 }),
    ow: fc.integer({ min: 1, max: 4 }),
    c: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ batch, oh, ow, c, kh, kw }) => ({ batch, h: oh * kh, w: ow * kw, c, kh, kw, sh: kh, sw: kw, ph: 0, pw: 0 }));

const poolOpts = (g: PoolCase) => ({ kernel: [g.kh, g.kw] as const, stride: [g.sh, g.sw] as const, padding: [g.ph, g.pw] as const });

describe('property: conv2d and pooling against f64 references', () => {
  const rt = useRuntime();

  it('conv2d (+ bias, ReLU): the output and dx, dw, db', async () => {
    await fc.assert(
      fc.asyncProperty(conv, fc.boolean(), dataSeed, async (g, relu, seed) => {
        const xs = data([g.batch, g.h, g.w, g.c], seed);
        const ws = data([g.kh, g.kw, g.c, g.o], seed + 1);
        const bs = data([g.o], seed + 2);
        const r = await vjp(
          rt(),
          ([x, w, b]) => F.conv2d(x, w, b, { stride: [g.sh, g.sw], padding: [g.ph, g.pw], dilation: [g.dh, g.dw], relu }),
          [
            { data: xs, shape: [g.batch, g.h, g.w, g.c] },
            { data: ws, shape: [g.kh, g.kw, g.c, g.o] },
            { data: bs, shape: [g.o] },
          ],
          seed + 3,
        );
        const { oh, ow } = outSize(g);
        const z = convForward(g, xs, ws, bs);
        const zTol = (i: number) => gamma(g.kh * g.kw * g.c + 1) * z.abs[i];
        // Where the GPU's ReLU gave 0, the reference's pre-activation must be ≤ its bound; compare the rest as is.
        const want = Float64Array.from(z.v, (v, i) => (relu && r.out[i] === 0 && v <= zTol(i) ? 0 : v));
        expectClose('y', r.out, want, zTol);
        const gz = Float64Array.from(r.w, (wv, i) => (relu && !(r.out[i] > 0) ? 0 : wv));
        const { dx, dw, db } = convBackward(g, xs, ws, gz);
        const m = g.batch * oh * ow;
        expectClose('dx', r.grads[0]!, dx.v, (i) => gamma(g.o + g.kh * g.kw) * dx.abs[i]);
        expectClose('dw', r.grads[1]!, dw.v, (i) => gamma(m) * dw.abs[i]);
        expectClose('db', r.grads[2]!, db.v, (i) => gamma(m) * db.abs[i]);
      }),
      runs(30),
    );
  });

  it('maxPool2d: the window maxima exactly, and the gradient to each argmax', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(pool, tiledPool), dataSeed, async (g, seed) => {
        const xs = data([g.batch, g.h, g.w, g.c], seed);
        const r = await vjp(rt(), ([x]) => F.maxPool2d(x, poolOpts(g)), [{ data: xs, shape: [g.batch, g.h, g.w, g.c] }], seed + 1);
        const { y, argmax } = maxPoolForward(g, xs);
        expectExact('y', r.out, y);
        const dx = new Float64Array(xs.length);
        const abs = new Float64Array(xs.length);
        const terms = new Float64Array(xs.length);
        argmax.forEach((src, i) => {
          dx[src] += r.w[i];
          abs[src] += Math.abs(r.w[i]);
          terms[src]++;
        });
        expectClose('dx', r.grads[0]!, dx, (i) => gamma(terms[i]) * abs[i]);
      }),
      runs(30),
    );
  });

  it('avgPool2d: the window means and the gradient', async () => {
    await fc.assert(
      fc.asyncProperty(pool, dataSeed, async (g, seed) => {
        const xs = data([g.batch, g.h, g.w, g.c], seed);
        const r = await vjp(rt(), ([x]) => F.avgPool2d(x, poolOpts(g)), [{ data: xs, shape: [g.batch, g.h, g.w, g.c] }], seed + 1);
        const kk = g.kh * g.kw;
        const y = avgPoolForward(g, xs);
        expectClose('y', r.out, y.v, (i) => gamma(kk) * y.abs[i] + 2.5 * ULP * Math.abs(r.out[i]));
        const dx = avgPoolBackward(g, r.w);
        expectClose('dx', r.grads[0]!, dx.v, (i) => gamma(Math.max(dx.terms[i], 1)) * dx.abs[i] + 2.5 * ULP * Math.abs(r.grads[0]![i]));
      }),
      runs(30),
    );
  });
});
