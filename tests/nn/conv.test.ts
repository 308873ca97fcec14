/**
 * The convolutional layers (engine/nn/conv.ts, engine/nn/spatial.ts) in a Sequential:
 * - BatchNorm2d against an f64 reference written per (b, y, x, c) (statistics per channel over
 *   B·H·W values), its gradients by central differences (tests/autograd/gradcheck.ts, its default
 *   f32-aware tolerances), in training mode (batch statistics, the running statistics' update with the
 *   unbiased variance) and in inference mode (the running statistics). Tolerance as in
 *   tests/regularizers/batchnorm.test.ts: values of order 1 through ~6 f32 operations and a mean
 *   over N ≤ 64 values, a few N·2⁻²⁴ relative ≈ 1e-5 at most: 2e-5 absolute;
 * - Dropout2d: one mask draw per (example, channel), the twin's mask of flat element b·C + c, shared
 *   by every pixel of the map, scaled by 1/p; the identity at inference; its gradient is the same mask;
 * - a CNN Sequential (Conv2d on flat rows, pooling, Flatten, Linear) equals the same ops called
 *   by hand on [batch, H, W, C] images, bit for bit (the layers add nothing but views);
 * - bad inputs give errors naming the layer and the shapes.
 */
import { describe, expect, it } from 'vitest';
import { ag, AvgPool2d, type Layer, BatchNorm2d, Conv2d, constant, Dropout2d, Flatten, Linear, MaxPool2d, noGrad, Sequential, tidy } from '../../engine/index';
import { dropoutMaskCpu } from '../../engine/ops/dropout';
import { gradCheck, input } from '../autograd/gradcheck';
import { firstBitDiff, maxAbsDiff, randomArray, useRuntime } from '../helpers/gpu';

/** Per-channel batch statistics and the normalized output of x [b, h, w, c] in f64. */
function bn2dReference(x: ArrayLike<number>, shape: readonly number[], gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number) {
  const [b, h, w, c] = shape;
  const n = b * h * w;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / n;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / n;
  const y = Float64Array.from(x, (v, i) => (gamma[i % c] * (v - mean[i % c])) / Math.sqrt(variance[i % c] + eps) + beta[i % c]);
  return { mean, variance, y, n };
}

describe('convolutional layers', () => {
  const rt = useRuntime();

  it('BatchNorm2d: per-channel statistics in training mode, running statistics in inference mode (f64 reference)', async () => {
    const shape = [2, 4, 3, 5];
    const c = shape[3];
    const m = 0.3;
    const eps = 1e-5;
    const model = Sequential.create(rt(), [new BatchNorm2d('bn', c, { momentum: m, eps })]);
    const gamma = randomArray(c, 3, 0.5, 1.5);
    const beta = randomArray(c, 4, -0.5, 0.5);
    model.arena.setValues('bn.gamma', gamma);
    model.arena.setValues('bn.beta', beta);
    const runMean = new Float64Array(c);
    const runVar = new Float64Array(c).fill(1);
    for (let pass = 0; pass < 3; pass++) {
      // Channels with different offsets and spreads.
      const x = randomArray(2 * 4 * 3 * 5, 10 + pass, -1, 1).map((v, i) => v * (0.5 + (i % c)) + (i % c) - 2 + pass);
      const xt = rt().tensor(x, shape);
      const y = await noGrad(() => tidy(() => model.forward(constant(xt), { training: true, step: pass }).data)).toArray();
      xt.dispose();
      const ref = bn2dReference(x, shape, gamma, beta, eps);
      expect(maxAbsDiff(y, ref.y), `training output, pass ${pass}`).toBeLessThanOrEqual(2e-5);
      for (let k = 0; k < c; k++) {
        runMean[k] = (1 - m) * runMean[k] + m * ref.mean[k];
        runVar[k] = (1 - m) * runVar[k] + (m * ref.variance[k] * ref.n) / (ref.n - 1);
      }
      const state = await model.exportState();
      expect(maxAbsDiff(state.buffers['bn.runningMean'], runMean), `running mean, pass ${pass}`).toBeLessThanOrEqual(2e-5);
      expect(maxAbsDiff(state.buffers['bn.runningVar'], runVar), `running variance, pass ${pass}`).toBeLessThanOrEqual(2e-5);
    }
    const x = randomArray(2 * 4 * 3 * 5, 40, -3, 3);
    const xt = rt().tensor(x, shape);
    const y = await noGrad(() => tidy(() => model.forward(constant(xt), { training: false, step: 9 }).data)).toArray();
    xt.dispose();
    const want = Float64Array.from(x, (v, i) => (gamma[i % c] * (v - runMean[i % c])) / Math.sqrt(runVar[i % c] + eps) + beta[i % c]);
    expect(maxAbsDiff(y, want)).toBeLessThanOrEqual(2e-5);
    model.dispose();
  });

  it('BatchNorm2d: gradients of x, γ and β pass central finite differences (batch statistics)', async () => {
    const c = 3;
    const bn = new BatchNorm2d('bn', c, { eps: 1e-5 });
    const rm = rt().tensor(new Float32Array(c), [c]);
    const rv = rt().tensor(new Float32Array(c).fill(1), [c]);
    bn.bindBuffers((name) => (name.endsWith('runningMean') ? rm : rv));
    const f = (xs: ag.Var[]): ag.Var => {
      bn.bind((name) => (name.endsWith('.gamma') ? xs[1] : xs[2]));
      return bn.forward(xs[0], { training: false, batchStats: true, step: 0 });
    };
    await gradCheck(rt(), f, [input([2, 3, 2, c], 31), input([c], 32, 0.5, 1.5), input([c], 33)]);
    rm.dispose();
    rv.dispose();
  });

  it('Dropout2d: one draw per (example, channel), the twin mask of element b·C + c; identity at inference; the same mask backward', async () => {
    const [b, h, w, c] = [3, 4, 5, 6];
    const layer = new Dropout2d('d2', { rate: 0.5 }, 77, 3);
    const xs = randomArray(b * h * w * c, 5, 0.5, 1.5); // no zeros: a zero output means dropped
    const x = ag.variable(rt().tensor(xs, [b, h, w, c]));
    const y = layer.forward(x, { training: true, step: 11 });
    const yv = await y.data.toArray();
    const g = rt().tensor(new Float32Array(yv.length).fill(1), y.shape);
    const loss = ag.sum(ag.mul(y, g));
    ag.backward(loss);
    const dx = await x.grad!.toArray();
    const mask = dropoutMaskCpu(b * c, { keepProb: 0.5, seed: 77, stream: 3, offset: 11 });
    for (let i = 0; i < yv.length; i++) {
      const bc = Math.floor(i / (h * w * c)) * c + (i % c);
      expect(yv[i], `element ${i}`).toBe(mask[bc] === 1 ? Math.fround(xs[i] * 2) : 0);
      expect(dx[i], `gradient ${i}`).toBe(mask[bc] * 2);
    }
    expect(mask.some((v) => v === 1) && mask.some((v) => v === 0)).toBe(true);
    const inf = layer.forward(x, { training: false, step: 11 });
    expect(inf).toBe(x);
    for (const t of [loss, y, x]) t.dispose();
    g.dispose();
  });

  it('a CNN Sequential on flat rows equals the ops called by hand on images, bit for bit', async () => {
    const layers = [
      new Conv2d('c1', 1, 4, { kernel: 3, padding: 1, activation: 'relu', inputSize: [8, 8] }),
      new MaxPool2d('p1', { kernel: 2 }),
      new Conv2d('c2', 4, 6, { kernel: [3, 2], stride: [1, 2], activation: 'relu' }),
      new AvgPool2d('p2', { kernel: 2, stride: 1 }),
      new Flatten('flat'),
      new Linear('fc', 6 * 1 * 1, 3),
    ];
    const model = Sequential.create(rt(), layers, { seed: 5 });
    const xs = randomArray(2 * 64, 6);
    const flat = rt().tensor(xs, [2, 64]);
    const img = rt().tensor(xs, [2, 8, 8, 1]);
    const viaModel = await noGrad(() => tidy(() => model.forward(constant(flat), { training: true, step: 0 }).data)).toArray();
    const p = (n: string) => model.params.get(n)!;
    const byHand = await noGrad(() =>
      tidy(() => {
        let h = ag.conv2d(img, p('c1.weight'), p('c1.bias'), { padding: 1, relu: true });
        h = ag.maxPool2d(h, { kernel: 2 });
        h = ag.conv2d(h, p('c2.weight'), p('c2.bias'), { stride: [1, 2], relu: true });
        h = ag.avgPool2d(h, { kernel: 2, stride: 1 });
        return ag.linear(ag.reshape(h, [2, -1]), p('fc.weight'), p('fc.bias')).data;
      }),
    ).toArray();
    expect(viaModel.length).toBe(6);
    expect(firstBitDiff(viaModel as Float32Array, byHand as Float32Array)).toBe(-1);
    flat.dispose();
    img.dispose();
    model.dispose();
  });

  it('bad inputs: errors name the layer and the shapes', () => {
    const x = (shape: number[]) => constant(rt().tensor(new Float32Array(shape.reduce((a, d) => a * d, 1)), shape));
    const run = (layers: readonly Layer[], input: number[]) => {
      const model = Sequential.create(rt(), layers);
      try {
        noGrad(() => tidy(() => model.forward(x(input), { training: false, step: 0 }).data));
      } finally {
        model.dispose();
      }
    };
    expect(() => run([new Conv2d('c1', 1, 8, { kernel: 5, inputSize: [4, 4] })], [2, 16])).toThrow(
      /Conv2d c1: the kernel 5×5 .*larger than the padded input 4×4 \(input \[2, 4, 4, 1\], padding 0×0\)/,
    );
    expect(() => run([new Conv2d('c1', 1, 8, { kernel: 3 }), new Conv2d('c2', 4, 8, { kernel: 3 })], [2, 8, 8, 1])).toThrow(
      /Conv2d c2: channel mismatch: the input \[2, 6, 6, 8\] has 8 channels but the filters \[3, 3, 4, 8\] expect 4/,
    );
    expect(() => new Conv2d('c3', 1, 8, { kernel: 3, padding: -1 })).toThrow(/Conv2d c3: padding must be a non-negative integer or two, got -1/);
    expect(() => run([new Conv2d('c4', 1, 8, { kernel: 3 })], [2, 64])).toThrow(
      /Conv2d c4: expects \[batch, height, width, 1\] images, or \[batch, H·W·1\] rows with inputSize, got \[2, 64\]/,
    );
    expect(() => run([new Conv2d('c5', 1, 8, { kernel: 3, inputSize: [7, 7] })], [2, 64])).toThrow(
      /Conv2d c5: rows of 64 values are not 7×7 images of 1 channels/,
    );
    expect(() => noGrad(() => tidy(() => new MaxPool2d('p1', { kernel: 3 }).forward(x([1, 2, 2, 3])).data))).toThrow(
      /MaxPool2d p1: the window 3×3 is larger than the padded input 2×2 \(input \[1, 2, 2, 3\]/,
    );
    expect(() => run([new BatchNorm2d('bn', 4)], [2, 3, 3, 5])).toThrow(/BatchNorm2d bn: expects \[batch, height, width, 4\] \(NHWC\), got \[2, 3, 3, 5\]/);
  });
});
