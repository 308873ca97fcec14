/**
 * conv2d's fused epilogue and pooling (engine/ops/conv.ts, engine/ops/pool.ts) beyond the f64
 * properties of tests/property/conv.test.ts:
 * - the dropout mask of the epilogue equals the standalone dropout kernel's and the TypeScript
 *   twin's (`dropoutMaskCpu`) bit for bit, forward and backward: conv2d with the mask in its epilogue
 *   against conv2d without it followed by the `dropout` op. Bit for bit because both run the same
 *   product on the same kernel (the software adapters' plans put masked and plain products on one
 *   kernel, see tests/autograd/fused-dropout.test.ts) and the fusion moves only a select of
 *   v·fround(1/p) or 0;
 * - gradients by central differences (tests/autograd/gradcheck.ts) through ReLU and dropout, with
 *   stride, padding and dilation: pre-activations kept away from the kink by biases of ±2;
 * - errors name the op and the shapes (a kernel larger than the padded input, negative padding, a
 *   channel mismatch, an oversized pooling pad).
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { dropoutMaskCpu, type DropoutOptions } from '../../engine/ops/dropout';
import { conv2dGeometry } from '../../engine/ops/conv';
import { pool2dGeometry } from '../../engine/ops/pool';
import { firstBitDiff, randomArray, useRuntime } from '../helpers/gpu';
import { gradCheck, input, type CheckInput } from '../autograd/gradcheck';

/** A bias of ±2 (with |conv| < 2 no pre-activation is near ReLU's kink, and both branches occur). */
function kinkFreeBias(n: number): CheckInput {
  return { data: Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? -2 : 2)), shape: [n] };
}

describe('conv2d: the fused epilogue', () => {
  const rt = useRuntime();
  const key: DropoutOptions = { keepProb: 0.7, seed: 12345, stream: 4, offset: 9 };

  for (const [label, shape, filt, opts] of [
    ['vec4-aligned product (o = 8)', [3, 9, 9, 2], [3, 3, 2, 8], { padding: 1 }],
    ['odd product (o = 5, stride 2, dilation 2)', [2, 11, 7, 3], [3, 2, 3, 5], { stride: 2, dilation: 2, padding: [1, 0] }],
  ] as const) {
    it(`${label}: mask and values equal the dropout op's bit for bit, forward and backward; the mask is the twin's`, async () => {
      const xs = randomArray(
        shape.reduce((p, d) => p * d, 1),
        1,
      );
      const ws = randomArray(
        filt.reduce((p, d) => p * d, 1),
        2,
      );
      const bs = randomArray(filt[3], 3);
      const run = async (fused: boolean) => {
        const x = F.variable(rt().tensor(xs, shape));
        const w = F.variable(rt().tensor(ws, filt));
        const b = F.variable(rt().tensor(bs, [filt[3]]));
        const y = fused ? F.conv2d(x, w, b, { ...opts, relu: true, dropout: key }) : F.dropout(F.conv2d(x, w, b, { ...opts, relu: true }), key);
        const g = rt().tensor(randomArray(y.data.size, 4), y.shape);
        const yv = await y.data.toArray();
        const loss = F.sum(F.mul(y, g));
        // backward frees the graph's intermediates (y among them): y was read first.
        F.backward(loss);
        const out = { y: yv, dx: await x.grad!.toArray(), dw: await w.grad!.toArray(), db: await b.grad!.toArray() };
        const plain = F.noGrad(() => F.conv2d(x, w, b, { ...opts, relu: true }));
        const relu = await plain.data.toArray();
        for (const t of [loss, y, plain, x, w, b]) t.dispose();
        g.dispose();
        return { ...out, relu };
      };
      const fused = await run(true);
      const ref = await run(false);
      for (const k of ['y', 'dx', 'dw', 'db'] as const) expect(firstBitDiff(fused[k] as Float32Array, ref[k] as Float32Array), k).toBe(-1);
      // Where the ReLU output is > 0 the unit shows the mask: kept ⇔ y ≠ 0.
      const mask = dropoutMaskCpu(fused.y.length, key);
      let kept = 0;
      for (let i = 0; i < mask.length; i++) {
        if (fused.relu[i] > 0) {
          expect(fused.y[i] !== 0, `element ${i}`).toBe(mask[i] === 1);
          expect(fused.y[i]).toBe(mask[i] === 1 ? Math.fround(fused.relu[i] * Math.fround(1 / key.keepProb)) : 0);
          kept += mask[i];
        } else expect(fused.y[i]).toBe(0);
      }
      expect(kept).toBeGreaterThan(0);
    });
  }
});

describe('gradient checks: conv2d and pooling against central differences', () => {
  const rt = useRuntime();

  it('conv2d + ReLU + dropout, stride 2, padding 1, dilation 2', async () => {
    const key = { keepProb: 0.6, seed: 5, stream: 1, offset: 3 };
    await gradCheck(rt(), ([x, w, b]) => F.conv2d(x, w, b, { stride: 2, padding: 1, dilation: 2, relu: true, dropout: key }), [
      input([2, 6, 5, 2], 60, -0.5, 0.5),
      input([2, 3, 2, 3], 61, -0.5, 0.5),
      kinkFreeBias(3),
    ]);
  });

  it('conv2d without bias, 1×1 kernel, size-1 image', async () => {
    await gradCheck(rt(), ([x, w]) => F.conv2d(x, w), [input([3, 1, 1, 4], 62), input([1, 1, 4, 2], 63)]);
  });

  it('maxPool2d 2×2 stride 2 and 3×3 stride 1 padding 1 (distinct values, no ties)', async () => {
    const n = 2 * 5 * 4 * 3;
    const perm = Array.from(randomArray(n, 64), (u, i) => [u, i] as const).sort((a, b) => a[0] - b[0]);
    const data = new Float32Array(n);
    perm.forEach(([, i], r) => (data[i] = 0.1 * r - 3));
    for (const opts of [{ kernel: 2 }, { kernel: 3, stride: 1, padding: 1 }]) {
      await gradCheck(rt(), ([x]) => F.maxPool2d(x, opts), [{ data, shape: [2, 5, 4, 3] }]);
    }
  });

  it('avgPool2d 3×2 stride [2, 1] padding [1, 1]', async () => {
    await gradCheck(rt(), ([x]) => F.avgPool2d(x, { kernel: [3, 2], stride: [2, 1], padding: [1, 1] }), [input([2, 5, 4, 3], 65)]);
  });
});

describe('conv2d and pooling: errors name the op and the shapes', () => {
  it('a kernel larger than the padded input', () => {
    expect(() => conv2dGeometry('Conv2d c1', [2, 4, 4, 1], [5, 5, 1, 8])).toThrow(
      /Conv2d c1: the kernel 5×5 .*larger than the padded input 4×4 \(input \[2, 4, 4, 1\]/,
    );
    expect(() => conv2dGeometry('conv2d', [1, 5, 5, 1], [3, 3, 1, 1], { dilation: 3 })).toThrow(/extent 7×7\) is larger than the padded input 5×5/);
  });

  it('negative padding, zero stride', () => {
    expect(() => conv2dGeometry('Conv2d c1', [2, 8, 8, 1], [3, 3, 1, 8], { padding: -1 })).toThrow(/Conv2d c1: padding must be a non-negative integer, got -1/);
    expect(() => conv2dGeometry('Conv2d c1', [2, 8, 8, 1], [3, 3, 1, 8], { stride: 0 })).toThrow(/stride must be a positive integer/);
  });

  it('a channel mismatch', () => {
    expect(() => conv2dGeometry('Conv2d c2', [2, 8, 8, 16], [5, 5, 8, 32])).toThrow(
      /Conv2d c2: channel mismatch: the input \[2, 8, 8, 16\] has 16 channels but the filters \[5, 5, 8, 32\] expect 8/,
    );
  });

  it('pooling: a window larger than the input, a pad over half the window', () => {
    expect(() => pool2dGeometry('MaxPool2d p1', [1, 3, 3, 2], { kernel: 4 })).toThrow(/MaxPool2d p1: the window 4×4 is larger than the padded input 3×3/);
    expect(() => pool2dGeometry('MaxPool2d p1', [1, 3, 3, 2], { kernel: 2, padding: 2 })).toThrow(/padding 2×2 must be at most half the window 2×2/);
  });
});
