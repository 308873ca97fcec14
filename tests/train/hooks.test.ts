/**
 * The training loop's named hook points (engine/train/plugin.ts): the order in which a step calls
 * them, a sampler replacing the epoch order, a batch transform whose batch is the one trained on,
 * a loss hook replacing the cross-entropy, evaluation every n steps with a plugin stopping
 * training, maxSteps, and per-step metrics delivered in groups that agree with the epoch's running
 * metrics (the per-step values are differences of the same GPU accumulator: their row-weighted mean
 * must equal the epoch mean to f32 rounding).
 */
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../../engine/autograd/functional';
import { GpuDataset } from '../../engine/data/dataset';
import { createMlp } from '../../engine/nn/mlp';
import { chain, sgd } from '../../engine/optim/chain';
import { fit, type StepMetrics, type TrainingPlugin } from '../../engine/train/index';
import { useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';

const synthetic = syntheticArgmax;

describe('training loop hooks', () => {
  const rt = useRuntime();

  it('calls the hooks of a step in order, uses the sampler, the transformed batch and the loss hook', async () => {
    const { x, y } = synthetic(64, 8, 3, 1);
    const ds = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [8, 6, 3], seed: 2 });
    const opt = chain(sgd({ lr: 0.1 })).init(model.arena);
    const calls: string[] = [];
    let sampled = 0;
    const plugin: TrainingPlugin = {
      name: 'recorder',
      sampler: (data, epoch) => {
        sampled++;
        calls.push(`sampler(${epoch})`);
        // Only the first 16 examples, in order.
        return data.runtime.tensor(
          Uint32Array.from({ length: data.count }, (_, i) => i % 16),
          [data.count],
          'u32',
        );
      },
      transformBatch: (b, ctx) => {
        calls.push(`transformBatch(${ctx.step})`);
        return b;
      },
      beforeForward: (ctx) => calls.push(`beforeForward(${ctx.step})`),
      loss: (logits, targets, ctx) => {
        calls.push(`loss(${ctx.step})`);
        return softmaxCrossEntropy(logits, targets);
      },
      penalty: (l, ctx) => {
        calls.push(`penalty(${ctx.step})`);
        return l;
      },
      afterBackward: (ctx) => calls.push(`afterBackward(${ctx.step})`),
      afterUpdate: (ctx) => calls.push(`afterUpdate(${ctx.step})`),
      onEnd: () => {
        calls.push('onEnd');
      },
    };
    const r = await fit(model, opt, ds, undefined, { epochs: 2, batchSize: 32, seed: 1, plugins: [plugin] });
    expect(sampled).toBe(2);
    expect(r.steps).toBe(4);
    expect(r.stoppedBy).toBe('epochs');
    const step0 = ['transformBatch(0)', 'beforeForward(0)', 'loss(0)', 'penalty(0)', 'afterBackward(0)', 'afterUpdate(0)'];
    expect(calls.slice(0, 7)).toEqual(['sampler(1)', ...step0]);
    expect(calls[calls.length - 1]).toBe('onEnd');
    expect(calls.filter((c) => c.startsWith('afterUpdate')).length).toBe(4);
    opt.dispose();
    model.dispose();
    ds.dispose();
  });

  it('evaluates every n steps and stops when a plugin asks; maxSteps stops too', async () => {
    const { x, y } = synthetic(96, 8, 3, 3);
    const ds = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [8, 6, 3], seed: 2 });
    const opt = chain(sgd({ lr: 0.1 })).init(model.arena);
    const seen: number[] = [];
    const stopper: TrainingPlugin = {
      name: 'stopper',
      onEvaluate: (e) => {
        seen.push(e.step);
        expect(e.val.count).toBe(96);
        return e.step >= 10 ? 'stop' : undefined;
      },
    };
    const r = await fit(model, opt, ds, ds, { epochs: 100, batchSize: 16, seed: 1, evalEvery: 5, plugins: [stopper] });
    expect(seen).toEqual([5, 10]);
    expect(r.steps).toBe(10);
    expect(r.stoppedBy).toBe('stopper');
    const r2 = await fit(model, opt, ds, undefined, { epochs: 100, batchSize: 16, seed: 1, maxSteps: 9 });
    expect(r2.steps).toBe(9);
    expect(r2.stoppedBy).toBe('maxSteps');
    await expect(
      fit(model, opt, ds, undefined, { epochs: 1, batchSize: 16, seed: 1, plugins: [stopper, { name: 'a', loss: (l) => l }, { name: 'b', loss: (l) => l }] }),
    ).rejects.toThrow(/a and b both provide the loss hook/);
    opt.dispose();
    model.dispose();
    ds.dispose();
  });

  it('delivers every step\u2019s loss and accuracy, consistent with the epoch running metrics', async () => {
    const { x, y } = synthetic(100, 8, 3, 5);
    const ds = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [8, 6, 3], seed: 2 });
    const opt = chain(sgd({ lr: 0.1 })).init(model.arena);
    const steps: StepMetrics[] = [];
    const groups: number[] = [];
    const r = await fit(model, opt, ds, undefined, {
      epochs: 2,
      batchSize: 16,
      seed: 1,
      syncEvery: 3,
      onStepMetrics: (m) => {
        groups.push(m.length);
        steps.push(...m);
      },
    });
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(Math.max(...groups)).toBeLessThanOrEqual(3);
    for (const [e, res] of r.entries()) {
      const mine = steps.slice(7 * e, 7 * e + 7);
      const rows = [16, 16, 16, 16, 16, 16, 4];
      const loss = mine.reduce((a, s, i) => a + s.loss * rows[i], 0) / 100;
      const acc = mine.reduce((a, s, i) => a + s.accuracy * rows[i], 0) / 100;
      // Differences of f32 running sums of ~100 losses of order 1: 1e-4 relative.
      expect(Math.abs(loss - res.train.loss)).toBeLessThanOrEqual(1e-4 * res.train.loss);
      expect(Math.abs(acc - res.train.accuracy)).toBeLessThanOrEqual(1e-6);
    }
    opt.dispose();
    model.dispose();
    ds.dispose();
  });
});
