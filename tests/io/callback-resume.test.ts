/**
 * Callback state in checkpoints: early stopping's best step, patience count, history and best
 * parameters go into the file `checkpointEvery` writes, and `loadCheckpoint(…, { callbacks })`
 * gives them back. A run resumed mid-way (after an improvement was kept and while patience is
 * being spent) stops at the same step, reports the same best step and loss, and restores the same
 * best parameters bit for bit as the uninterrupted run. Without the state (a fresh early-stopping
 * callback) the resumed run decides differently: the state is what makes the resume exact.
 * The callbacks' JSON in a file is checked before it is parsed (size, nesting) and refused with a
 * CheckpointError naming the key; a callback whose state is missing from the file is refused too.
 */
import { describe, expect, it } from 'vitest';
import { chain, checkpointEvery, checkpointStep, CheckpointError, encodeSafetensors, GpuDataset, loadCheckpoint, momentum } from '../../engine/index';
import { earlyStopping, fit, mlp, type EarlyStopping } from '../../regularizers/index';
import { firstBitDiff, useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';

const SIZES = [12, 24, 3];
const EVAL_EVERY = 4;

describe('early stopping resumed from a checkpoint', () => {
  const rt = useRuntime();
  // Few training rows and a large learning rate: the validation loss turns up within a few
  // evaluations, so patience runs out mid-run.
  const tr = syntheticArgmax(24, 12, 3, 3);
  const va = syntheticArgmax(60, 12, 3, 4);

  const run = async (es: EarlyStopping, resume?: { bytes: Uint8Array; withState: boolean }) => {
    const train = GpuDataset.upload(rt(), tr.x, tr.y, 3);
    const val = GpuDataset.upload(rt(), va.x, va.y, 3);
    const model = mlp(rt(), { sizes: SIZES, seed: 5, regularizers: [es] });
    const files = new Map<number, Uint8Array>();
    // A bound optimizer, so that the checkpoint holds its velocity and a resume can restore it.
    const bound = chain(momentum({ lr: 0.3 })).init(model.arena);
    const ckpt = checkpointEvery({ every: 6, optimizer: bound, save: (b, s) => void files.set(s, b) });
    let resumeStep: number | undefined;
    if (resume) resumeStep = checkpointStep(loadCheckpoint(resume.bytes, model, bound, resume.withState ? { callbacks: [es] } : {}));
    const report = await fit(
      model,
      { train, val },
      { optimizer: bound, epochs: 30, batchSize: 8, seed: 2, evalEvery: EVAL_EVERY, plugins: [ckpt], resumeStep },
    );
    const params = (await model.arena.values.toArray()) as Float32Array;
    const out = { files, params, stoppedBy: report.stoppedBy, best: { ...es.report } };
    bound.dispose();
    model.dispose();
    train.dispose();
    val.dispose();
    return out;
  };

  it('a run resumed with the callback state ends as the uninterrupted one, bit for bit', async () => {
    const a = await run(earlyStopping({ patience: 3 }));
    expect(a.stoppedBy).toBe('early stopping');
    expect(a.best.stoppedEarly).toBe(true);
    // A checkpoint after the best evaluation and before the stop: patience partly spent.
    const at = [...a.files.keys()].filter((s) => s > a.best.bestStep && s < a.best.stoppedStep).sort((x, y) => x - y)[0];
    expect(at, `checkpoints ${[...a.files.keys()]}, best ${a.best.bestStep}, stop ${a.best.stoppedStep}`).toBeDefined();

    const b = await run(earlyStopping({ patience: 3 }), { bytes: a.files.get(at)!, withState: true });
    expect(b.stoppedBy).toBe('early stopping');
    expect(b.best.bestStep).toBe(a.best.bestStep);
    expect(b.best.stoppedStep).toBe(a.best.stoppedStep);
    expect(b.best.bestValLoss).toBe(a.best.bestValLoss);
    expect(b.best.history.map((h) => [h.step, h.valLoss])).toEqual(a.best.history.map((h) => [h.step, h.valLoss]));
    expect(firstBitDiff(a.params, b.params)).toBe(-1);

    // Without the state the resumed callback starts afresh: it stops later than the uninterrupted run.
    const c = await run(earlyStopping({ patience: 3 }), { bytes: a.files.get(at)!, withState: false });
    expect(c.best.stoppedStep).toBeGreaterThan(a.best.stoppedStep);
  });

  it("refuses callbacks' JSON that is too deep or not an object, and a callback whose state the file lacks", async () => {
    const model = mlp(rt(), { sizes: SIZES, seed: 5 });
    const tensors = (await model.exportState()).params;
    const named = Object.entries(tensors).map(([name, data]) => ({ name, shape: model.arena.param(name).shape, data }));
    const file = (callbacks: string) => encodeSafetensors(named, { callbacks });
    const es = earlyStopping({ patience: 2 });
    const before = (await model.arena.values.toArray()) as Float32Array;
    const deep = `{"early stopping":${'['.repeat(50)}${']'.repeat(50)}}`;
    expect(() => loadCheckpoint(file(deep), model, undefined, { callbacks: [es] })).toThrow(CheckpointError);
    expect(() => loadCheckpoint(file(deep), model, undefined, { callbacks: [es] })).toThrow(/metadata "callbacks" is nested more than 5 levels deep/);
    expect(() => loadCheckpoint(file('[1]'), model, undefined, { callbacks: [es] })).toThrow(/metadata "callbacks" must be a JSON object/);
    expect(() => loadCheckpoint(file('{"other":{}}'), model, undefined, { callbacks: [es] })).toThrow(/no state for the callback "early stopping"/);
    expect(() => loadCheckpoint(file('{"early stopping":{"bestStep":-1}}'), model, undefined, { callbacks: [es] })).toThrow(/earlyStopping: saved/);
    // Every refusal left the parameters as they were.
    expect(firstBitDiff(before, (await model.arena.values.toArray()) as Float32Array)).toBe(-1);
    model.dispose();
  });
});
