/**
 * Checkpoints where users train: `fit` with the checkpointEvery plugin saves every few steps without
 * waiting for the GPU, each file holding the state after exactly its step; a run resumed from a
 * mid-epoch checkpoint (and from one at an epoch boundary) in a fresh model and optimizer on a new
 * runtime, with `resumeStep`, ends with the uninterrupted run's parameters, buffers and optimizer
 * state bit for bit, and writes the very same later checkpoints. The model has batch norm and
 * dropout (masks keyed by the step); the data's last minibatch is smaller than the others.
 */
import { describe, expect, it } from 'vitest';
import {
  Adam,
  ArgumentError,
  checkpointEvery,
  checkpointStep,
  decodeSafetensors,
  fit,
  GpuDataset,
  loadCheckpoint,
  Runtime,
  type FitOptions,
  type Sequential,
} from '../../engine/index';
import { syntheticArgmax } from '../helpers/random';
import { useRuntime } from '../helpers/gpu';
import { fullState, makeModel, PROBLEM } from './train-helper';

/** 44 examples in minibatches of 8: 6 steps per epoch (the last of 4), 18 in three epochs. */
const COUNT = 44;
const STEPS_PER_EPOCH = 6;
const EPOCHS = 3;
const EVERY = 4;
const OPTIONS: FitOptions = { epochs: EPOCHS, batchSize: PROBLEM.batch, seed: 7 };
const data = syntheticArgmax(COUNT, PROBLEM.features, PROBLEM.classes, 5);

function setup(rt: Runtime, seed = 1): { model: Sequential; opt: Adam; train: GpuDataset; dispose(): void } {
  const model = makeModel(rt, seed);
  const opt = new Adam(model.arena, { lr: 0.01, alpha: 1e-3 });
  const train = GpuDataset.upload(rt, data.x, data.y, PROBLEM.classes);
  return {
    model,
    opt,
    train,
    dispose() {
      opt.dispose();
      model.dispose();
      train.dispose();
    },
  };
}

describe('fit with checkpoints, resumed', () => {
  const rt = useRuntime();

  it('resumes mid-epoch and at an epoch boundary on a new runtime, bit for bit', async () => {
    // The uninterrupted run, checkpointing every EVERY steps.
    const a = setup(rt());
    const files = new Map<number, Uint8Array>();
    const plugin = checkpointEvery({ every: EVERY, optimizer: a.opt, save: (b, s) => void files.set(s, b), metadata: { run: 'uninterrupted' } });
    const r = await fit(a.model, a.opt, a.train, undefined, { ...OPTIONS, plugins: [plugin] });
    expect(r.steps).toBe(EPOCHS * STEPS_PER_EPOCH);
    expect([...files.keys()]).toEqual([4, 8, 12, 16]);
    expect(plugin.saved).toEqual([4, 8, 12, 16]);
    // Each file holds the state after its own step, although the loop ran ahead while it was read back.
    for (const [s, bytes] of files) {
      const { metadata } = decodeSafetensors(bytes);
      expect(metadata).toMatchObject({ step: String(s), fit_step: String(s), model_seed: '1', run: 'uninterrupted' });
    }
    const want = await fullState(a.model, a.opt);
    expect(want.steps).toBe(18);
    a.dispose();

    const rt2 = await Runtime.create();
    try {
      // Step 8 is the 3rd minibatch of epoch 2; step 12 ends epoch 2.
      for (const from of [8, 12]) {
        const bytes = files.get(from)!;
        const b = setup(rt2, Number(decodeSafetensors(bytes).metadata.model_seed));
        const info = loadCheckpoint(bytes, b.model, b.opt);
        expect(checkpointStep(info)).toBe(from);
        const later = new Map<number, Uint8Array>();
        const p2 = checkpointEvery({ every: EVERY, optimizer: b.opt, save: (x, s) => void later.set(s, x), metadata: { run: 'uninterrupted' } });
        const r2 = await fit(b.model, b.opt, b.train, undefined, { ...OPTIONS, resumeStep: checkpointStep(info), plugins: [p2] });
        expect(r2.steps, `from ${from}`).toBe(18 - from);
        expect(r2.map((e) => e.epoch)).toEqual(from === 8 ? [2, 3] : [3]);
        expect(r2[0].steps).toBe(from === 8 ? STEPS_PER_EPOCH - 2 : STEPS_PER_EPOCH);
        expect(await fullState(b.model, b.opt), `resumed from step ${from}`).toEqual(want);
        // Its later checkpoints are the uninterrupted run's, byte for byte.
        const expected = [...files.keys()].filter((s) => s > from);
        expect([...later.keys()]).toEqual(expected);
        for (const s of expected) expect(later.get(s), `checkpoint ${s} after resuming from ${from}`).toEqual(files.get(s));
        b.dispose();
      }

      // Control: only counting on from step 8 (startStep: epoch 1's order again) ends elsewhere.
      const c = setup(rt2);
      loadCheckpoint(files.get(8)!, c.model, c.opt);
      await fit(c.model, c.opt, c.train, undefined, { ...OPTIONS, epochs: 2, startStep: 8, maxSteps: 10 });
      expect((await fullState(c.model, c.opt)).params).not.toEqual(want.params);
      c.dispose();
    } finally {
      rt2.destroy();
    }
  });

  it('a failing save stops training with its error', async () => {
    const a = setup(rt());
    const saves: number[] = [];
    const plugin = checkpointEvery({
      every: 2,
      save: async (_b, s) => {
        saves.push(s);
        throw new Error(`disk full at step ${s}`);
      },
    });
    await expect(fit(a.model, a.opt, a.train, undefined, { ...OPTIONS, plugins: [plugin] })).rejects.toThrow('disk full at step 2');
    // Later checkpoints are not handed over once one has failed.
    expect(saves).toEqual([2]);
    await expect(plugin.settled()).rejects.toThrow('disk full at step 2');
    a.dispose();
  });

  it('refuses bad options with clear errors', () => {
    const save = (): void => undefined;
    for (const every of [0, -4, 2.5, Number.NaN, Infinity, '4' as unknown as number]) {
      expect(() => checkpointEvery({ every, save })).toThrow(ArgumentError);
      expect(() => checkpointEvery({ every, save })).toThrow(/every must be a positive integer \(steps\), got/);
    }
    expect(() => checkpointEvery({ every: 0, save })).toThrow(/got 0$/);
    for (const bad of [undefined, null, 'run.safetensors', {}]) {
      expect(() => checkpointEvery({ every: 5, save: bad as never })).toThrow(
        /save must be a function \(bytes, step\) => void \| Promise<void>, got (undefined|null|string|object)/,
      );
    }
    expect(() => checkpointEvery(undefined as never)).toThrow(/expected an options object, got undefined/);
    expect(() => checkpointEvery({ every: 5, save, metadata: { fit_step: '3' } })).toThrow(/"fit_step" is written by the plugin itself/);
    expect(() => checkpointStep({ metadata: { fit_step: 'x' }, step: undefined, loaded: [], modelSeed: undefined })).toThrow(/"fit_step" is "x"/);
    // Only plain decimal digits: what Number() would also take is refused.
    for (const raw of ['0x10', '1e3', ' 5', '05', '-1', '1.5'])
      expect(() => checkpointStep({ metadata: { fit_step: raw }, step: undefined, loaded: [], modelSeed: undefined }), raw).toThrow(/"fit_step" is/);
    expect(checkpointStep({ metadata: { fit_step: '16' }, step: undefined, loaded: [], modelSeed: undefined })).toBe(16);
    expect(() => checkpointStep({ metadata: {}, step: undefined, loaded: [], modelSeed: undefined })).toThrow(/neither "fit_step" nor "step"/);
    expect(checkpointStep({ metadata: {}, step: 9, loaded: [], modelSeed: undefined })).toBe(9);
  });

  it('fit refuses a bad resumeStep, and startStep with it', async () => {
    const a = setup(rt());
    await expect(fit(a.model, a.opt, a.train, undefined, { ...OPTIONS, resumeStep: -1 })).rejects.toThrow(/resumeStep must be a non-negative integer, got -1/);
    await expect(fit(a.model, a.opt, a.train, undefined, { ...OPTIONS, resumeStep: 4, startStep: 4 })).rejects.toThrow(
      /startStep \(4\) or resumeStep \(4\), not both/,
    );
    // Resuming past the last epoch trains nothing.
    const r = await fit(a.model, a.opt, a.train, undefined, { ...OPTIONS, resumeStep: 18 });
    expect(r.steps).toBe(0);
    a.dispose();
  });
});
