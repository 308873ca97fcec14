/**
 * Early stopping (regularizers/early-stopping.ts, chapter 7.8, algorithm 7.1) and the two ways of
 * using the validation data afterwards (regularizers/retrain.ts, algorithms 7.2 and 7.3).
 *
 * The data are built to overfit: a small training set with a third of its labels flipped, so the
 * validation loss falls and then rises (U-shaped) and patience runs out. The model has batch norm,
 * so the state early stopping keeps includes buffers (running statistics) as well as parameters.
 *
 * - The parameters AND buffers after training equal, bit for bit, a snapshot the test takes itself
 *   (Sequential.exportState() from an `onEvaluate` callback) whenever the validation loss is a new
 *   best: the restore is an exact copy, so the comparison is exact (no tolerance).
 * - Patience counts evaluations: training stops patience·evalEvery steps after the best one, every
 *   later evaluation being no better; the report's history is every evaluation, in order, with the
 *   losses the callback saw.
 * - (a) retrainOnAll: same: 'steps' takes exactly bestStep steps; same: 'epochs' takes the same
 *   number of passes, i.e. bestStep·(steps per epoch of all)/(steps per epoch of the split) rounded.
 * - (b) continueOnAll: stops when the validation loss falls below the target (the training loss at
 *   the stopping point) and says so, or at maxSteps and says that.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, GpuDataset, sgd, type Evaluation, type ModelState, type Runtime } from '../../engine/index';
import { batchNorm, continueOnAll, earlyStopping, fit, mlp, retrainOnAll } from '../../regularizers/index';
import { randomArray, useRuntime } from '../helpers/gpu';

const FEATURES = 10;
const CLASSES = 3;
const SIZES = [FEATURES, 64, CLASSES];

/** Labels = argmax of the first CLASSES features; a fraction `flip` of them replaced at random. */
function makeData(rt: Runtime, count: number, seed: number, flip: number): { ds: GpuDataset; x: Float32Array; y: Uint32Array } {
  const x = randomArray(count * FEATURES, seed, -1, 1);
  const u = randomArray(2 * count, seed + 1, 0, 1);
  const y = new Uint32Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (x[r * FEATURES + c] > x[r * FEATURES + best]) best = c;
    y[r] = u[2 * r] < flip ? Math.min(CLASSES - 1, Math.floor(u[2 * r + 1] * CLASSES)) : best;
  }
  return { ds: GpuDataset.upload(rt, x, y, CLASSES), x, y };
}

/** Both sets in one (strategies (a) and (b) train on all the data). */
function concat(rt: Runtime, a: { x: Float32Array; y: Uint32Array }, b: { x: Float32Array; y: Uint32Array }): GpuDataset {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Uint32Array(a.y.length + b.y.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return GpuDataset.upload(rt, x, y, CLASSES);
}

/** Bit-for-bit equality of two model states (every parameter and buffer, compared as u32 words). */
function expectSameBits(got: ModelState, want: ModelState): void {
  for (const kind of ['params', 'buffers'] as const) {
    expect(Object.keys(got[kind]).sort()).toEqual(Object.keys(want[kind]).sort());
    for (const name of Object.keys(want[kind])) {
      const g = new Uint32Array(got[kind][name].buffer, got[kind][name].byteOffset, got[kind][name].length);
      const w = new Uint32Array(want[kind][name].buffer, want[kind][name].byteOffset, want[kind][name].length);
      expect([...g], `${kind} ${name}`).toEqual([...w]);
    }
  }
}

function sameBits(a: ModelState, b: ModelState): boolean {
  for (const name of Object.keys(a.params)) {
    const x = new Uint32Array(a.params[name].buffer, a.params[name].byteOffset, a.params[name].length);
    const y = new Uint32Array(b.params[name].buffer, b.params[name].byteOffset, b.params[name].length);
    if (x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}

describe('early stopping', () => {
  const rt = useRuntime();
  const TRAIN = 64;
  const VAL = 48;
  const BATCH = 16;
  const LR = 0.3;

  const cases = [
    { patience: 3, evalEvery: 4 },
    { patience: 5, evalEvery: 2 },
  ];
  for (const { patience, evalEvery } of cases) {
    it(`patience ${patience}, evalEvery ${evalEvery}: restores, bit for bit, the parameters and buffers of the best evaluation; patience counts evaluations`, async ({
      annotate,
    }) => {
      const train = makeData(rt(), TRAIN, 1, 0.35);
      const val = makeData(rt(), VAL, 2, 0.35);
      const es = earlyStopping({ patience, evalEvery });
      const regs = [batchNorm(), es];
      const model = mlp(rt(), { sizes: SIZES, seed: 3, regularizers: regs });
      expect(model.buffers.buffers.map((b) => b.name)).toEqual(['bn1.runningMean', 'bn1.runningVar']);
      const seen: Evaluation[] = [];
      let best: { step: number; loss: number; state: ModelState } | null = null;
      let last: ModelState | null = null;
      const report = await fit(
        model,
        { train: train.ds, val: val.ds },
        {
          optimizer: sgd({ lr: LR }),
          regularizers: regs,
          epochs: 500,
          batchSize: BATCH,
          seed: 4,
          onEvaluate: async (e) => {
            seen.push(e);
            last = await model.exportState();
            if (!best || e.val.loss < best.loss) best = { step: e.step, loss: e.val.loss, state: last };
          },
        },
      );
      const r = es.report;
      await annotate(`best step ${r.bestStep} (val loss ${r.bestValLoss.toFixed(4)}), stopped at ${r.stoppedStep} after ${r.history.length} evaluations`);
      expect(best).not.toBeNull();
      const b = best!;
      // Stopped by patience, not by the epoch budget: the validation loss really turned up.
      expect(r.stoppedEarly).toBe(true);
      expect(report.stoppedBy).toBe('early stopping');
      expect(report.steps).toBe(r.stoppedStep);
      // The state after training is the snapshot of the best evaluation, bit for bit …
      const final = await model.exportState();
      expectSameBits(final, b.state);
      // … which is not the last one (training went on past the best, and the restore undid it).
      expect(sameBits(last!, b.state)).toBe(false);
      // The report agrees with what the callback saw.
      expect(r.bestStep).toBe(b.step);
      expect(r.bestValLoss).toBe(b.loss);
      // Every hook sees every evaluation, the one at which early stopping stopped included.
      expect(r.history.length).toBe(seen.length);
      expect(r.history.map((h) => h.step)).toEqual(seen.map((e) => e.step));
      expect(r.history.map((h) => h.valLoss)).toEqual(seen.map((e) => e.val.loss));
      expect(r.history.map((h) => h.step)).toEqual(Array.from({ length: r.history.length }, (_, i) => (i + 1) * evalEvery));
      expect(r.bestValLoss).toBe(Math.min(...r.history.map((h) => h.valLoss)));
      expect(r.history.find((h) => h.valLoss === r.bestValLoss)!.step).toBe(r.bestStep);
      expect(r.stoppedStep).toBe(r.history[r.history.length - 1].step);
      // Patience counts evaluations: exactly `patience` evaluations after the best, none better.
      const after = r.history.filter((h) => h.step > r.bestStep);
      expect(after.length).toBe(patience);
      expect(r.stoppedStep - r.bestStep).toBe(patience * evalEvery);
      for (const h of after) expect(h.valLoss).toBeGreaterThanOrEqual(r.bestValLoss);
      // The restored model evaluates to the best loss (same parameters, same batches); the f32
      // loss sum of 48 rows may be accumulated in another order on another GPU: 1e-6 relative.
      const again = await evaluate(model, val.ds, 1000);
      expect(Math.abs(again.loss - r.bestValLoss)).toBeLessThanOrEqual(1e-6 * r.bestValLoss);
      const trainLoss = (await evaluate(model, train.ds, 1000)).loss;
      expect(Math.abs(r.trainLossAtBest! - trainLoss)).toBeLessThanOrEqual(1e-6 * trainLoss);
      report.optimizer.dispose();
      model.dispose();
      train.ds.dispose();
      val.ds.dispose();
    });
  }

  it('strategies (a) retrainOnAll (same steps / same epochs) and (b) continueOnAll (target reached / maxSteps)', async ({ annotate }) => {
    const train = makeData(rt(), TRAIN, 1, 0.35);
    const val = makeData(rt(), VAL, 2, 0.35);
    const all = concat(rt(), train, val);
    const es = earlyStopping({ patience: 3, evalEvery: 4 });
    const bn = batchNorm();
    const model = mlp(rt(), { sizes: SIZES, seed: 3, regularizers: [bn] });
    const first = await fit(
      model,
      { train: train.ds, val: val.ds },
      { optimizer: sgd({ lr: LR }), regularizers: [bn, es], epochs: 500, batchSize: BATCH, seed: 4 },
    );
    first.optimizer.dispose();
    const found = es.report;
    expect(found.stoppedEarly).toBe(true);
    const perEpoch = (n: number): number => Math.ceil(n / BATCH);
    expect(perEpoch(all.count)).not.toBe(perEpoch(TRAIN));

    // (a) A fresh model each time (re-initialized from the same seed).
    let made = 0;
    const makeModel = () => {
      made++;
      return mlp(rt(), { sizes: SIZES, seed: 3, regularizers: [bn] });
    };
    const bySteps = await retrainOnAll(makeModel, all, found, {
      optimizer: sgd({ lr: LR }),
      regularizers: [bn],
      same: 'steps',
      trainCount: TRAIN,
      batchSize: BATCH,
      seed: 4,
    });
    expect(bySteps.report.targetSteps).toBe(found.bestStep);
    expect(bySteps.report.steps).toBe(found.bestStep);
    const wantEpochsSteps = Math.round((found.bestStep / perEpoch(TRAIN)) * perEpoch(all.count));
    const byEpochs = await retrainOnAll(makeModel, all, found, {
      optimizer: sgd({ lr: LR }),
      regularizers: [bn],
      same: 'epochs',
      trainCount: TRAIN,
      batchSize: BATCH,
      seed: 4,
    });
    expect(byEpochs.report.targetSteps).toBe(wantEpochsSteps);
    expect(byEpochs.report.steps).toBe(wantEpochsSteps);
    expect(wantEpochsSteps).toBeGreaterThan(found.bestStep);
    expect(made).toBe(2);
    for (const r of [bySteps, byEpochs]) {
      r.report.optimizer.dispose();
      r.model.dispose();
    }

    // (b) Continue from the early-stopped parameters until the validation loss is below the
    // training loss at the stopping point.
    const target = found.trainLossAtBest!;
    expect(target).toBeLessThan(found.bestValLoss);
    const cont = await continueOnAll(model, all, val.ds, {
      optimizer: sgd({ lr: LR }),
      regularizers: [bn],
      targetLoss: target,
      maxSteps: 2000,
      evalEvery: 4,
      batchSize: BATCH,
      seed: 5,
    });
    await annotate(
      `(a) ${found.bestStep} steps / ${wantEpochsSteps} steps; (b) target ${target.toFixed(4)} reached after ${cont.steps} steps (val loss ${cont.finalValLoss.toFixed(4)})`,
    );
    expect(cont.reached).toBe(true);
    expect(cont.stoppedBy).toBe('onEvaluate');
    expect(cont.finalValLoss).toBeLessThan(target);
    expect(cont.steps % 4).toBe(0);
    expect(cont.steps).toBeLessThan(2000);
    cont.optimizer.dispose();
    // An unreachable target: it gives up at maxSteps and says so.
    const never = await continueOnAll(model, all, val.ds, {
      optimizer: sgd({ lr: LR }),
      regularizers: [bn],
      targetLoss: 0,
      maxSteps: 12,
      evalEvery: 4,
      batchSize: BATCH,
      seed: 6,
    });
    expect(never.reached).toBe(false);
    expect(never.stoppedBy).toBe('maxSteps');
    expect(never.steps).toBe(12);
    // The last evaluation came after the last step: it is the model's current validation loss.
    const now = (await evaluate(model, val.ds, 1000)).loss;
    expect(Math.abs(never.finalValLoss - now)).toBeLessThanOrEqual(1e-6 * now);
    never.optimizer.dispose();
    model.dispose();
    all.dispose();
    train.ds.dispose();
    val.ds.dispose();
  });
});
