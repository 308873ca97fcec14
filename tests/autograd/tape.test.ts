/**
 * The tape's bookkeeping: gradients that accumulate, parameter gradient tensors filled in place,
 * noGrad, tidy, the graph freed by backward, flat memory over 1,000 steps, and clear errors on bad
 * input. Gradient values are checked against closed forms (d(Σ 3x)/dx = 3, d(Σ x²)/dx = 2x) on
 * small integers, where every f32 operation is exact: tolerance 0.
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { GpuDataset } from '../../engine/data/dataset';
import { add, addInto, fill, scale } from '../../engine/ops/elementwise';
import { ArgumentError, DisposedTensorError, ShapeError } from '../../engine/runtime/errors';
import type { Tensor } from '../../engine/runtime/tensor';
import { randomArray, useRuntime } from '../helpers/gpu';

describe('tape', () => {
  const rt = useRuntime();

  it('adds the gradients of two backward passes into a leaf, and of a Var used twice', async () => {
    const x = F.variable(rt().tensor([1, 2, 3]));
    const l1 = F.sum(F.scale(x, 3));
    F.backward(l1);
    const l2 = F.sum(F.mul(x, x));
    F.backward(l2);
    expect(Array.from(await x.grad!.toArray())).toEqual([3 + 2, 3 + 4, 3 + 6]);
    [l1, l2, x].forEach((v) => v.dispose());
  });

  it('adds a parameter gradient into its fixed gradient tensor in place', async () => {
    const value = rt().tensor([1, -2]);
    const grad = rt().tensor([10, 20]);
    const p = F.param(value, grad, 'w');
    const loss = F.sum(F.mul(p, p));
    F.backward(loss);
    expect(p.grad).toBeNull();
    expect(Array.from(await grad.toArray())).toEqual([12, 16]);
    loss.dispose();
  });

  it('records nothing under noGrad', () => {
    const x = F.variable(rt().tensor([1, 2]));
    const y = F.noGrad(() => F.sum(F.mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => F.backward(y)).toThrow(/does not depend on anything that requires a gradient/);
    expect(() => F.noGrad(() => Promise.resolve(1))).toThrow(ArgumentError);
    y.dispose();
  });

  it('backward frees intermediate results and keeps the loss; tidy disposes all but the result', async () => {
    const x = F.variable(rt().tensor([1, 2, 3]));
    const h = F.mul(x, x);
    const loss = F.sum(h);
    F.backward(loss);
    expect(h.data.isDisposed).toBe(true);
    expect(await loss.data.item()).toBe(14);
    loss.dispose();
    const before = rt().memoryStats().liveTensors;
    const kept = F.tidy(() => F.sum(F.exp(F.mul(x, x))));
    expect(rt().memoryStats().liveTensors).toBe(before + 1);
    kept.dispose();
    expect(rt().memoryStats().liveTensors).toBe(before);
    x.dispose();
  });

  it('tidy also releases tensors made by raw ops inside it, keeps returned tensors and keepTensor ones', async () => {
    const a = rt().tensor([1, 2, 3]);
    const before = rt().memoryStats().liveTensors;
    const [kept, pinned, data] = F.tidy(() => {
      const s = add(a, a);
      add(s, s);
      fill(rt().empty([4]), 0);
      const pin = F.keepTensor(fill(rt().empty([2]), 1));
      // The data of a Var made inside, returned without its Var, is kept too.
      const data = F.exp(F.variable(a, { requiresGrad: false })).data;
      return [scale(s, 2), pin, data];
    }) as unknown as [Tensor, Tensor, Tensor];
    expect(rt().memoryStats().liveTensors).toBe(before + 3);
    expect(kept.isDisposed).toBe(false);
    expect(pinned.isDisposed).toBe(false);
    // exp in f32 on the GPU: a few ulps of relative error.
    const got = await data.toArray();
    [1, 2, 3].forEach((x, i) => expect(Math.abs(got[i] - Math.exp(x))).toBeLessThanOrEqual(1e-5 * Math.exp(x)));
    kept.dispose();
    pinned.dispose();
    data.dispose();
    expect(rt().memoryStats().liveTensors).toBe(before);
    a.dispose();
  });

  it('keeps live buffers and bytes flat across 1,000 training steps after warm-up', async () => {
    // A 20-16-4 MLP trained by plain SGD written with the tape and addInto: every step builds a
    // graph, back-propagates, updates and disposes the loss.
    const sizes = [20, 16, 4];
    const makeParam = (shape: number[], init: Float32Array): F.Var => F.param(rt().tensor(init, shape), rt().tensor(new Float32Array(init.length), shape));
    const params = [0, 1].flatMap((l) => [
      makeParam([sizes[l], sizes[l + 1]], randomArray(sizes[l] * sizes[l + 1], 40 + l, -0.3, 0.3)),
      makeParam([sizes[l + 1]], new Float32Array(sizes[l + 1])),
    ]);
    const x = rt().tensor(randomArray(32 * 20, 50), [32, 20]);
    const t = rt().tensor(
      Float32Array.from({ length: 32 * 4 }, (_, i) => (i % 4 === (i >> 2) % 4 ? 1 : 0)),
      [32, 4],
    );
    const step = (): void => {
      const h = F.linear(x, params[0], params[1], { relu: true });
      const loss = F.softmaxCrossEntropy(F.linear(h, params[2], params[3]), t);
      F.backward(loss);
      for (const p of params) {
        addInto(p.data as Tensor<'f32'>, p.gradSink!, -0.1);
        fill(p.gradSink!, 0);
      }
      loss.dispose();
    };
    for (let i = 0; i < 20; i++) step();
    await rt().sync();
    const warm = rt().memoryStats();
    for (let i = 0; i < 1000; i++) step();
    await rt().sync();
    const after = rt().memoryStats();
    expect(after.liveBuffers).toBe(warm.liveBuffers);
    expect(after.liveBytes).toBe(warm.liveBytes);
    expect(after.liveTensors).toBe(warm.liveTensors);
    expect(after.createdBuffers).toBe(warm.createdBuffers);
  });
});

describe('bad input', () => {
  const rt = useRuntime();

  it('a loss that is not a scalar', () => {
    const x = F.variable(rt().tensor(randomArray(12, 1), [4, 3]));
    const y = F.linear(x, rt().tensor(randomArray(15, 2), [3, 5]));
    expect(() => F.backward(y)).toThrow(ShapeError);
    expect(() => F.backward(y)).toThrow(/backward: the loss must be a scalar \(one element\), got \[4, 5\] from linear \[4, 5\]/);
    y.dispose();
  });

  it('a shape mismatch inside a graph names the op and the shapes', () => {
    const x = F.variable(rt().tensor(randomArray(12, 1), [4, 3]));
    const h = F.matmul(x, rt().tensor(randomArray(15, 2), [3, 5]));
    expect(() => F.add(h, rt().tensor([1, 2, 3]))).toThrow(/add: shapes \[4, 5\] and \[3\] cannot be broadcast together/);
    expect(() => F.matmul(h, x)).toThrow(/matmul: inner dimensions differ: A \[4, 5\] has 5 columns but B \[4, 3\] has 4 rows/);
    expect(() => F.softmaxCrossEntropy(h, rt().tensor(new Float32Array(12), [4, 3]))).toThrow(
      /softmaxCrossEntropy: logits \[4, 5\] and targets \[4, 3\] must have the same shape/,
    );
    h.dispose();
  });

  it('backward twice on a freed graph', () => {
    const x = F.variable(rt().tensor([1, 2]));
    const loss = F.sum(F.exp(x));
    F.backward(loss);
    expect(() => F.backward(loss)).toThrow(F.GraphFreedError);
    expect(() => F.backward(loss)).toThrow(/backward: the graph of sum \[\] was already freed by an earlier backward\(\)/);
    const h = F.exp(x);
    F.backward(F.sum(h));
    // h's data went with the first graph: a second loss built on it fails at the op that reads it.
    expect(() => F.sum(h)).toThrow(DisposedTensorError);
    expect(() => F.sum(h)).toThrow(/^sum: tensor #\d+ \[2\] f32/);
    loss.dispose();
  });

  it('labels outside [0, k)', () => {
    expect(() => GpuDataset.upload(rt(), new Float32Array(6), [0, 10, 1], 10)).toThrow(ArgumentError);
    expect(() => GpuDataset.upload(rt(), new Float32Array(6), [0, 10, 1], 10)).toThrow(
      /GpuDataset.upload: label 10 at position 1 \(of 3\) is outside \[0, 10\)/,
    );
    expect(() => GpuDataset.upload(rt(), new Float32Array(6), [0, -1, 1], 10)).toThrow(/label -1 at position 1/);
  });
});
