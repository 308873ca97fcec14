/**
 * The real-GPU default path, run on a software adapter. `Sequential` fuses dropout into the matmul
 * only where the adapter's matmul kernels have the dropout epilogue; on a real GPU the fixed table
 * names the workgroup-memory `tiled` kernel, which has none, so there dropout runs unfused. Here a
 * runtime is given the plan of a real GPU (its adapter kind set to 'other' before its first matmul:
 * the one row of the tuning tables every non-software adapter gets) and the test checks:
 * - fusion is off by default, and a training step's dispatches are what the plan says: the tiled
 *   kernel for every product and dropout's own kernel, no masked matmul (a native lavapipe runtime,
 *   side by side, shows the opposite: masked matmuls, no dropout kernel);
 * - a run of `fit` with the defaults equals, bit for bit, the same run with fusion explicitly off
 *   (the unfused reference: every layer's own forward) — loss and every parameter;
 * - dropout really drops on this path: the masks of two steps, read exactly from the gradients of a
 *   model without activations (see tests/train/step-masks.test.ts for why the zero rows of ∂W are the
 *   mask), equal the TypeScript twin's `dropoutMaskCpu` at offset = step, bit for bit.
 * - batch norm's ReLU is still fused on this path (it moves no product onto another kernel): the
 *   same bits as the unfused reference, two passes fewer per BatchNorm–ReLU pair and step.
 * The seam used is the adapter description's `kind`; a `Runtime.create` option naming the plan
 * would be a cleaner one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Dropout,
  dropoutMaskCpu,
  GpuDataset,
  keepTensor,
  Linear,
  type Profile,
  type ProfiledDispatch,
  Runtime,
  scale,
  Sequential,
  sgd,
  type Tensor,
  type TrainingPlugin,
} from '../../engine/index';
import { batchNorm, dropout, fit, mlp } from '../../regularizers/index';
import { useRuntime } from '../helpers/gpu';
import { randomArray, syntheticArgmax } from '../helpers/random';

/** The dispatches of one training step (two epochs of one step each, the second profiled). */
async function stepDispatches(rt: Runtime): Promise<readonly ProfiledDispatch[]> {
  const { x, y } = syntheticArgmax(16, 32, 4, 1);
  const train = GpuDataset.upload(rt, x, y, 4);
  const regs = [dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } })];
  const model = mlp(rt, { sizes: [32, 32, 4], seed: 2, regularizers: regs });
  const held: { profile?: Promise<Profile> } = {};
  const profiler: TrainingPlugin = {
    name: 'profiler',
    transformBatch: (batch, ctx) => {
      if (ctx.step === 1) rt.startProfile({ timestamps: false });
      return batch;
    },
    afterUpdate: (ctx) => {
      if (ctx.step === 1) held.profile = rt.stopProfile();
    },
  };
  const report = await fit(model, { train }, { optimizer: sgd({ lr: 0.1 }), regularizers: regs, epochs: 2, batchSize: 16, seed: 3, plugins: [profiler] });
  expect(report.steps).toBe(2);
  if (!held.profile) throw new Error('the second step was not profiled');
  const dispatches = (await held.profile).dispatches;
  report.optimizer.dispose();
  model.dispose();
  train.dispose();
  return dispatches;
}

describe('the unfused default path of real GPUs', () => {
  const native = useRuntime();
  let forced: Runtime | undefined;
  const rt = (): Runtime => {
    if (!forced) throw new Error('the forced-plan runtime was not created');
    return forced;
  };
  beforeAll(async () => {
    forced = await Runtime.create();
    // Before any matmul: the plan of an adapter is looked up (and kept) at its first product.
    forced.info.kind = 'other';
  });
  afterAll(() => forced?.destroy());

  it('fusion is off by default; a step runs the tiled kernel and dropout’s own kernel (native: masked matmuls)', async () => {
    const model = mlp(rt(), { sizes: [8, 8, 2], regularizers: [dropout()] });
    expect(model.fuse).toBe(false);
    model.dispose();
    const nativeModel = mlp(native(), { sizes: [8, 8, 2], regularizers: [dropout()] });
    expect(nativeModel.fuse).toBe(true);
    nativeModel.dispose();

    // The 32-32-4 MLP with input and hidden dropout, one step: 5 products (forward fc1 and fc2;
    // backward ∂W2, ∂X2 and ∂W1, none for the input), 3 dropout kernels unfused (input forward,
    // hidden forward and backward) against 1 fused (the input's: no Linear before it to fuse into).
    const isProduct = (d: ProfiledDispatch) => d.file.startsWith('shaders/matmul');
    const isDropout = (d: ProfiledDispatch) => d.file === 'shaders/dropout.wgsl';
    const masked = (d: ProfiledDispatch) => isProduct(d) && d.overrides.DROPOUT === 1;
    const forcedStep = await stepDispatches(rt());
    expect(forcedStep.filter(isProduct).map((d) => d.file)).toEqual(Array(5).fill('shaders/matmul_tiled.wgsl'));
    expect(forcedStep.filter(isDropout)).toHaveLength(3);
    expect(forcedStep.filter(masked)).toEqual([]);
    const nativeStep = await stepDispatches(native());
    expect(nativeStep.filter((d) => d.file === 'shaders/matmul_tiled.wgsl')).toEqual([]);
    expect(nativeStep.filter(isDropout)).toHaveLength(1);
    // Forward fc1 with the hidden mask in its epilogue, and the backward product that regenerates it.
    expect(nativeStep.filter(masked).length).toBeGreaterThanOrEqual(2);
  });

  it('fit with the defaults equals the unfused reference bit for bit: loss and every parameter after 6 steps', async () => {
    const { x, y } = syntheticArgmax(48, 32, 4, 4);
    const train = GpuDataset.upload(rt(), x, y, 4);
    const run = async (fuse: boolean | undefined) => {
      const regs = [dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } })];
      const model = mlp(rt(), { sizes: [32, 24, 24, 4], seed: 5, regularizers: regs });
      if (fuse !== undefined) model.fuse = fuse;
      const losses: number[] = [];
      const report = await fit(
        model,
        { train },
        { optimizer: sgd({ lr: 0.1 }), regularizers: regs, epochs: 2, batchSize: 16, seed: 6, onStepMetrics: (m) => void losses.push(...m.map((s) => s.loss)) },
      );
      const params = await model.arena.values.toArray();
      report.optimizer.dispose();
      model.dispose();
      return { losses, params, steps: report.steps };
    };
    const byDefault = await run(undefined);
    const reference = await run(false);
    expect(byDefault.steps).toBe(6);
    expect(byDefault.losses).toHaveLength(6);
    expect(byDefault.losses).toEqual(reference.losses);
    expect(byDefault.params).toEqual(reference.params);
    train.dispose();
  });

  it('batch norm’s ReLU is fused on this path too: fit with the defaults equals the unfused reference bit for bit, 4 dispatches fewer per step (2 pairs)', async () => {
    const { x, y } = syntheticArgmax(48, 16, 4, 4);
    const train = GpuDataset.upload(rt(), x, y, 4);
    const run = async (fuse: boolean | undefined) => {
      const model = mlp(rt(), { sizes: [16, 12, 12, 4], seed: 5, regularizers: [batchNorm()] });
      if (fuse !== undefined) model.fuse = fuse;
      const losses: number[] = [];
      const report = await fit(
        model,
        { train },
        { optimizer: sgd({ lr: 0.1 }), epochs: 2, batchSize: 16, seed: 6, onStepMetrics: (m) => void losses.push(...m.map((s) => s.loss)) },
      );
      const params = await model.arena.values.toArray();
      report.optimizer.dispose();
      model.dispose();
      return { losses, params, dispatches: report.epochs[1].dispatchesPerStep };
    };
    const byDefault = await run(undefined);
    const reference = await run(false);
    expect(byDefault.losses).toHaveLength(6);
    expect(byDefault.losses).toEqual(reference.losses);
    expect(byDefault.params).toEqual(reference.params);
    expect(byDefault.dispatches).toBe(reference.dispatches - 4);
    train.dispose();
  });

  it('dropout drops with the twin’s masks on this path: two steps, bit for bit', async () => {
    const D = 24;
    const HIDDEN = 16;
    const x = randomArray(D, 9).map((v) => 0.5 + Math.abs(v));
    const train = GpuDataset.upload(rt(), x, Uint32Array.of(1), 4);
    const seed = 77;
    const model = Sequential.create(rt(), [
      new Dropout('drop0', { rate: 0.5 }, seed, 0),
      new Linear('fc1', D, HIDDEN),
      new Dropout('drop1', { rate: 0.5 }, seed, 1),
      new Linear('fc2', HIDDEN, 4),
    ]);
    expect(model.fuse).toBe(false);
    const grads: Tensor<'f32'>[][] = [];
    const observer: TrainingPlugin = {
      name: 'gradient observer',
      afterBackward: () => void grads.push(['fc1.weight', 'fc2.weight'].map((n) => keepTensor(scale(model.arena.param(n).grad, 1)))),
    };
    const report = await fit(model, { train }, { optimizer: sgd({ lr: 0.05 }), epochs: 2, batchSize: 1, seed: 1, plugins: [observer] });
    expect(report.steps).toBe(2);
    report.optimizer.dispose();
    const rowsNonZero = (g: Float32Array, cols: number) =>
      Float32Array.from({ length: g.length / cols }, (_, r) => (g.subarray(r * cols, (r + 1) * cols).some((v) => v !== 0) ? 1 : 0));
    for (let step = 0; step < 2; step++) {
      const [g1, g2] = grads[step];
      expect(rowsNonZero(await g1.toArray(), HIDDEN), `input mask, step ${step}`).toEqual(dropoutMaskCpu(D, { keepProb: 0.5, seed, stream: 0, offset: step }));
      expect(rowsNonZero(await g2.toArray(), 4), `hidden mask, step ${step}`).toEqual(dropoutMaskCpu(HIDDEN, { keepProb: 0.5, seed, stream: 1, offset: step }));
      g1.dispose();
      g2.dispose();
    }
    model.dispose();
    train.dispose();
  });
});
