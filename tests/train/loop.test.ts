/**
 * The training loop on small synthetic problems: evaluation metrics against an f64 CPU forward pass
 * of the same weights (dropout off in evaluation mode); training lowering the loss; live GPU buffers and bytes flat across 1,000
 * training steps after a warm-up epoch; the work per step (dispatches, submits) constant.
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../engine/data/dataset';
import { createMlp } from '../../engine/nn/mlp';
import { SGD } from '../../engine/optim/optimizers';
import { evaluate, fit } from '../../engine/train/index';
import { useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';
import { mlpLossAndGrads, type CpuLayer } from '../nn/cpu-mlp';

const synthetic = syntheticArgmax;

describe('training loop', () => {
  const rt = useRuntime();

  it('evaluate() gives the loss and accuracy of an f64 CPU forward pass', async () => {
    const sizes = [20, 16, 4];
    const { x, y } = synthetic(300, 20, 4, 1);
    const ds = GpuDataset.upload(rt(), x, y, 4);
    // With dropout layers: evaluation mode must pass through them (the CPU pass has no masks).
    const model = createMlp(rt(), { sizes, seed: 2, inputDropout: { rate: 0.2 }, hiddenDropout: { rate: 0.5 } });
    const got = await evaluate(model, ds, 128);
    const layers: CpuLayer[] = [];
    for (let l = 1; l < sizes.length; l++) {
      layers.push({
        w: Float64Array.from(await model.arena.param(`fc${l}.weight`).value.toArray()),
        b: Float64Array.from(await model.arena.param(`fc${l}.bias`).value.toArray()),
        inF: sizes[l - 1],
        outF: sizes[l],
      });
    }
    const t = new Float64Array(300 * 4);
    y.forEach((l, r) => (t[r * 4 + l] = 1));
    const ref = mlpLossAndGrads(layers, Float64Array.from(x), 300, t);
    let correct = 0;
    for (let r = 0; r < 300; r++) {
      const row = Array.from(ref.logits.subarray(r * 4, r * 4 + 4));
      if (row.indexOf(Math.max(...row)) === y[r]) correct++;
    }
    // f32 forward of dot products of ≤ 20 terms: relative error ~1e-6; 1e-5 leaves room. The
    // accuracy is a count: exact unless a row's top two logits tie within that error (they do not).
    expect(got.count).toBe(300);
    expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * ref.loss);
    expect(got.accuracy).toBe(correct / 300);
    model.dispose();
    ds.dispose();
  });

  it('lowers the loss, keeps memory flat over 1,000 steps, and reports the same work every step', async () => {
    const { x, y } = synthetic(512, 20, 4, 3);
    const ds = GpuDataset.upload(rt(), x, y, 4);
    const model = createMlp(rt(), { sizes: [20, 32, 4], seed: 4, hiddenDropout: { rate: 0.25 } });
    const opt = new SGD(model.arena, { lr: 0.2, alpha: 1e-4 });
    const stats: ReturnType<typeof rt.prototype.memoryStats>[] = [];
    // 512 / 16 = 32 steps per epoch; epochs 1-2 are the warm-up (the pool fills its buckets),
    // epochs 3-34 are 1,024 more steps.
    const results = await fit(model, opt, ds, undefined, {
      epochs: 34,
      batchSize: 16,
      seed: 5,
      onEpoch: async () => {
        await rt().sync();
        stats.push(rt().memoryStats());
      },
    });
    const first = results[0];
    const last = results[results.length - 1];
    expect(last.train.loss).toBeLessThan(first.train.loss / 3);
    const warm = stats[1];
    const end = stats[stats.length - 1];
    expect(end.liveBuffers).toBe(warm.liveBuffers);
    expect(end.liveBytes).toBe(warm.liveBytes);
    expect(end.liveTensors).toBe(warm.liveTensors);
    expect(end.createdBuffers).toBe(warm.createdBuffers);
    // The first epoch also creates one-time constants (the backward seed); after it, every epoch
    // records the same work per step.
    expect(new Set(results.slice(1).map((r) => r.dispatchesPerStep)).size).toBe(1);
    expect(results.every((r) => r.submitsPerStep === 1)).toBe(true);
    opt.dispose();
    model.dispose();
    ds.dispose();
  });
});
