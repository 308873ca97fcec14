/**
 * No leaks: live tensors, buffers and bytes stay flat over 2,000 training steps with every
 * regularizer that allocates or transforms something on (dropout, L2 and L1, max-norm, input,
 * hidden and weight noise, augmentation, label smoothing, batch norm), and the pool creates no new
 * buffers once warm; disposing a model, its optimizer and its regularizers gives back everything
 * they held (autodiff's cached seed is the one thing a runtime keeps, accounted for and released
 * explicitly); a tensor made by a raw op inside `tidy` is released when the scope ends.
 */
import { describe, expect, it } from 'vitest';
import { autogradCache, releaseAutogradCache } from '../../engine/autograd/grads';
import { tidy } from '../../engine/autograd/scope';
import { GpuDataset } from '../../engine/data/dataset';
import { add, scale } from '../../engine/ops/elementwise';
import { momentum } from '../../engine/optim/chain';
import type { MemoryStats } from '../../engine/runtime/runtime';
import { augmentation } from '../../regularizers/augmentation';
import { batchNorm } from '../../regularizers/batchnorm';
import { dropout } from '../../regularizers/dropout';
import { earlyStopping } from '../../regularizers/early-stopping';
import { fit } from '../../regularizers/fit';
import { mlp } from '../../regularizers/model';
import { hiddenNoise, inputNoise, weightNoise } from '../../regularizers/noise';
import { l1, l2, maxNorm } from '../../regularizers/penalties';
import { labelSmoothing } from '../../regularizers/smoothing';
import type { Regularizer } from '../../regularizers/types';
import { useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';

const live = (m: MemoryStats) => ({ liveTensors: m.liveTensors, liveBuffers: m.liveBuffers, liveBytes: m.liveBytes });

/** Every regularizer that keeps state or draws per step, on an 8×8-image problem. */
function allRegularizers(): Regularizer[] {
  return [
    dropout({ input: 0.9, hidden: 0.8 }),
    l2({ alpha: 1e-4 }),
    l1({ alpha: 1e-5 }),
    maxNorm({ c: 3 }),
    inputNoise({ std: 0.05 }),
    hiddenNoise({ std: 0.05 }),
    weightNoise({ eta: 1e-4 }),
    augmentation({ height: 8, width: 8, maxShift: 1, maxRotation: 0.1 }),
    labelSmoothing({ epsilon: 0.1 }),
    batchNorm(),
  ];
}

describe('no leaks', () => {
  const rt = useRuntime();

  it('live buffers and bytes stay flat over 2,000 steps with the regularizers on', async () => {
    const { x, y } = syntheticArgmax(128, 64, 4, 5);
    const data = GpuDataset.upload(rt(), x, y, 4);
    const regs = allRegularizers();
    const model = mlp(rt(), { sizes: [64, 16, 4], seed: 3, regularizers: regs });
    // 128 / 16 = 8 steps per epoch. The first 3 epochs warm the pool up; then 2,000 more steps
    // (on SwiftShader, the slower adapter, 504, with the same criterion).
    const stepsPerEpoch = 8;
    const warmEpochs = 3;
    const measured = rt().info.kind === 'swiftshader' ? 504 : 2000;
    const samples: { epoch: number; stats: MemoryStats }[] = [];
    const report = await fit(
      model,
      { train: data },
      {
        optimizer: momentum({ lr: 0.05 }),
        regularizers: regs,
        epochs: warmEpochs + measured / stepsPerEpoch,
        batchSize: 16,
        seed: 9,
        onEpoch: (r) => void samples.push({ epoch: r.epoch, stats: rt().memoryStats() }),
      },
    );
    expect(report.steps).toBe((warmEpochs + measured / stepsPerEpoch) * stepsPerEpoch);
    // The run really trained with everything on: finite loss, one sample per epoch.
    expect(Number.isFinite(report.epochs.at(-1)!.train.loss)).toBe(true);
    const base = samples[warmEpochs - 1].stats;
    const drift = samples.slice(warmEpochs).filter((s) => JSON.stringify(live(s.stats)) !== JSON.stringify(live(base)));
    expect(drift.map((s) => ({ epoch: s.epoch, ...live(s.stats) }))).toEqual([]);
    // Once warm, every allocation came from the pool.
    expect(samples.at(-1)!.stats.createdBuffers).toBe(base.createdBuffers);
    report.optimizer.dispose();
    model.dispose();
    data.dispose();
  });

  it('disposing a model, its optimizer and its regularizers releases everything they held', async () => {
    const { x, y } = syntheticArgmax(64, 64, 4, 6);
    const data = GpuDataset.upload(rt(), x, y, 4);
    const val = GpuDataset.upload(rt(), x.slice(0, 32 * 64), y.slice(0, 32), 4);
    releaseAutogradCache(rt());
    await rt().sync();
    const before = rt().memoryStats();
    // Early stopping keeps a snapshot of the best weights; weight noise keeps a coefficient table;
    // batch norm adds running statistics to the model; the optimizer holds momentum and tables.
    const regs = [...allRegularizers(), earlyStopping({ patience: 50 })];
    const model = mlp(rt(), { sizes: [64, 16, 4], seed: 3, regularizers: regs });
    const report = await fit(model, { train: data, val }, { optimizer: momentum({ lr: 0.05 }), regularizers: regs, epochs: 3, batchSize: 16, seed: 2 });
    expect(report.steps).toBe(12);
    expect(rt().memoryStats().liveTensors).toBeGreaterThan(before.liveTensors);
    report.optimizer.dispose();
    for (const r of regs) r.dispose?.();
    model.dispose();
    await rt().sync();
    // What is left beyond the baseline is exactly autodiff's cached seed, and releasing it empties the rest.
    const cache = autogradCache(rt());
    expect(cache.tensors).toBe(1);
    const after = rt().memoryStats();
    expect(live(after)).toEqual({
      liveTensors: before.liveTensors + cache.tensors,
      liveBuffers: before.liveBuffers + cache.tensors,
      liveBytes: before.liveBytes + cache.bytes,
    });
    releaseAutogradCache(rt());
    expect(live(rt().memoryStats())).toEqual(live(before));
    expect(autogradCache(rt())).toEqual({ tensors: 0, bytes: 0 });
    data.dispose();
    val.dispose();
  });

  it('a tensor made by a raw op inside tidy is released when the scope ends; the returned one is kept', async () => {
    const x = rt().tensor([1, 2, 3]);
    const before = rt().memoryStats().liveTensors;
    let inner: ReturnType<typeof scale> | null = null;
    const out = tidy(() => {
      inner = scale(x, 2); // a raw op: a Tensor, not a Var
      return add(inner, x);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    expect([...(await out.toArray())]).toEqual([3, 6, 9]);
    expect(rt().memoryStats().liveTensors).toBe(before + 1);
    out.dispose();
    expect(rt().memoryStats().liveTensors).toBe(before);
    // The input made outside the scope is untouched.
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });
});
