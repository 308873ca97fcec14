/**
 * Every random draw of a training step in `fit()` is keyed by the global step: the masks and noise
 * of two consecutive steps, of a fresh run (steps 0 and 1) and of a run resumed with `resumeStep`
 * (steps R and R + 1), are recomputed on the CPU by the TypeScript twins at offset = the global
 * step, and must match. A loop that handed every step the same step (step 0's masks again and
 * again) fails here: dropout that draws the same mask every step is not dropout.
 *
 * What is observed, and why it is exact:
 * - Dropout masks (input and hidden, fused into the matmul epilogues by default): a model
 *   drop0 → fc1 → drop1 → fc2 with no activation, trained on one example per step (batch 1). Then
 *   ∂L/∂W1[i, j] = x̃_i·δ1_j and ∂L/∂W2[h, c] = h̃_h·δ2_c, with x̃ = x ⊙ m0 / p and h̃ = z1 ⊙ m1 / p:
 *   a dropped unit multiplies by an exact 0, so row i of ∂W1 is all zeros exactly where m0_i = 0
 *   (x has no zero entry) and row h of ∂W2 exactly where m1_h = 0 (z1_h = 0 has probability 0; δ2 =
 *   softmax − y is never all zero). The gradients are copied out by a plugin after backward, so the
 *   masks are read bit for bit and compared with `dropoutMaskCpu` bit for bit.
 * - Hidden noise: recording layers on either side of a GaussianNoise layer see z1 and z1 + σ·z; the
 *   draw is compared with the twin `standardNormalCpu` within σ·TOL(z) + ulp, TOL from
 *   tests/ops/noise.test.ts (the GPU's Box–Muller differs from the f64 twin by at most
 *   6·2⁻²² + 4·2⁻²²·|z|, plus one f32 rounding of the sum). Another step's draw is off by σ·|z − z′|,
 *   about 0.1 here, 10⁵ times the bound.
 * - Augmentation (integer shifts only: no rotation, scale 1) and input noise: a plugin placed after
 *   the regularizers sees the batch they made. The shift is exact (tests/ops/augment.test.ts), so
 *   the expected batch is the exact shift by `augmentParamsCpu` plus σ·z* within the bound above.
 * - Weight noise: the plugin copies the arena after the perturbation (its beforeForward runs after
 *   the regularizer's) and after the update (the clean weights the next step perturbs); weights
 *   must be clean + √η·z* within √η·TOL(z) + ulp, biases bit-identical.
 * The streams of the regularizers' draws are the keys regularizers/noise.ts and
 * regularizers/augmentation.ts use; a change there fails here loudly, never silently.
 */
import { describe, expect, it } from 'vitest';
import {
  RANDOM_STREAMS,
  augmentParamsCpu,
  dropoutActive,
  dropoutMaskCpu,
  type ForwardContext,
  GaussianNoise,
  GpuDataset,
  keepTensor,
  Linear,
  Dropout,
  ParameterFreeLayer,
  type Layer,
  scale,
  Sequential,
  sgd,
  standardNormalCpu,
  type Tensor,
  type TrainingPlugin,
  type Var,
} from '../../engine/index';
import { augmentation, fit, inputNoise, type Regularizer, weightNoise } from '../../regularizers/index';
import { shiftExampleCpu } from '../ops/augment-reference';
import { useRuntime } from '../helpers/gpu';
import { randomArray } from '../helpers/random';

const H = 8; // image side: 8 × 8 inputs
const D = H * H;
const HIDDEN = 16;
const K = 4;
const RESUME = 5;
/** The streams of the regularizers' draws (regularizers/noise.ts, regularizers/augmentation.ts). */
const INPUT_NOISE_STREAM = RANDOM_STREAMS.inputNoise;
const WEIGHT_NOISE_STREAM = RANDOM_STREAMS.weightNoise;
const AUGMENT_STREAM = RANDOM_STREAMS.augmentation;

/** The tolerance of one GPU normal draw against the CPU twin (tests/ops/noise.test.ts). */
const tolZ = (z: number): number => 6 * 2 ** -22 + 4 * 2 ** -22 * Math.abs(z);
/** The spacing of f32 values at |v|. */
const ulp = (v: number): number => (Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23));

/** Elements where |got − (base + σ·z)| exceeds σ·TOL(z) + ulp(got): an empty list when the draw is the twin's. */
function noiseMismatches(got: Float32Array, base: ArrayLike<number>, z: Float32Array, sigma: number): number[] {
  const bad: number[] = [];
  for (let i = 0; i < got.length; i++) if (Math.abs(got[i] - (base[i] + sigma * z[i])) > sigma * tolZ(z[i]) + ulp(got[i])) bad.push(i);
  return bad;
}

/** A copy that outlives the step's tidy scope (scale by 1 is exact). */
const copyOut = (t: Tensor): Tensor<'f32'> => keepTensor(scale(t, 1));

/** Records its input on every pass that draws (training), and passes it on unchanged. */
class Recorder extends ParameterFreeLayer {
  readonly seen: Tensor<'f32'>[] = [];
  forward(x: Var, ctx: ForwardContext): Var {
    if (dropoutActive(ctx)) this.seen.push(copyOut(x.data));
    return x;
  }
}

/** One example (no zero entry) and its label. */
function oneExample(seed: number): { x: Float32Array; y: Uint32Array } {
  const x = randomArray(D, seed).map((v) => 0.5 + Math.abs(v));
  return { x, y: Uint32Array.of(2) };
}

/** Trains for two steps from `resumeStep` (or 0): one example, batch 1, so one step per epoch. */
async function twoSteps(model: Sequential, train: GpuDataset, resumeStep: number | undefined, plugins: TrainingPlugin[], regularizers: Regularizer[] = []) {
  const first = resumeStep ?? 0;
  const report = await fit(model, { train }, { optimizer: sgd({ lr: 0.05 }), regularizers, epochs: first + 2, batchSize: 1, seed: 11, resumeStep, plugins });
  expect(report.steps).toBe(2);
  report.optimizer.dispose();
  return [first, first + 1];
}

describe('random draws in fit() are keyed by the global step', () => {
  const rt = useRuntime();
  const SEED = 1234;

  for (const resumeStep of [undefined, RESUME]) {
    const which = resumeStep === undefined ? 'a fresh run (steps 0, 1)' : `a run resumed at step ${RESUME}`;

    it(`dropout masks, input and hidden, fused: ${which}`, async () => {
      const { x, y } = oneExample(3);
      const train = GpuDataset.upload(rt(), x, y, K);
      const layers: Layer[] = [
        new Dropout('drop0', { rate: 0.5 }, SEED, 0),
        new Linear('fc1', D, HIDDEN),
        new Dropout('drop1', { rate: 0.5 }, SEED, 1),
        new Linear('fc2', HIDDEN, K),
      ];
      const model = Sequential.create(rt(), layers, { seed: 7 });
      // The software adapters' default: dropout lives in the matmul epilogues.
      expect(model.fuse).toBe(true);
      const grads: { w1: Tensor<'f32'>; w2: Tensor<'f32'> }[] = [];
      const observer: TrainingPlugin = {
        name: 'gradient observer',
        afterBackward: () => void grads.push({ w1: copyOut(model.arena.param('fc1.weight').grad), w2: copyOut(model.arena.param('fc2.weight').grad) }),
      };
      const steps = await twoSteps(model, train, resumeStep, [observer]);
      expect(grads).toHaveLength(2);
      const rowsNonZero = (g: Float32Array, rows: number, cols: number) =>
        Float32Array.from({ length: rows }, (_, r) => (g.subarray(r * cols, (r + 1) * cols).some((v) => v !== 0) ? 1 : 0));
      const observed = [];
      for (const g of grads) {
        observed.push({ m0: rowsNonZero(await g.w1.toArray(), D, HIDDEN), m1: rowsNonZero(await g.w2.toArray(), HIDDEN, K) });
        g.w1.dispose();
        g.w2.dispose();
      }
      const twin = steps.map((step) => ({
        m0: dropoutMaskCpu(D, { keepProb: 0.5, seed: SEED, stream: 0, offset: step }),
        m1: dropoutMaskCpu(HIDDEN, { keepProb: 0.5, seed: SEED, stream: 1, offset: step }),
      }));
      // The two steps' masks differ, so a step that reused the other's mask could not pass.
      expect([...twin[0].m0, ...twin[0].m1]).not.toEqual([...twin[1].m0, ...twin[1].m1]);
      expect(observed).toEqual(twin);
      model.dispose();
      train.dispose();
    });

    it(`hidden Gaussian noise: ${which}`, async () => {
      const { x, y } = oneExample(4);
      const train = GpuDataset.upload(rt(), x, y, K);
      const sigma = 0.1;
      const clean = new Recorder('before noise');
      const noisy = new Recorder('after noise');
      const model = Sequential.create(
        rt(),
        [new Linear('fc1', D, HIDDEN), clean, new GaussianNoise('noise1', sigma, SEED, 7), noisy, new Linear('fc2', HIDDEN, K)],
        {
          seed: 8,
        },
      );
      const steps = await twoSteps(model, train, resumeStep, []);
      expect(clean.seen).toHaveLength(2);
      expect(noisy.seen).toHaveLength(2);
      for (let k = 0; k < 2; k++) {
        const z = standardNormalCpu(HIDDEN, { seed: SEED, stream: 7, offset: steps[k] });
        expect(noiseMismatches(await noisy.seen[k].toArray(), await clean.seen[k].toArray(), z, sigma), `step ${steps[k]}`).toEqual([]);
      }
      for (const t of [...clean.seen, ...noisy.seen]) t.dispose();
      model.dispose();
      train.dispose();
    });

    it(`augmentation, input noise and weight noise: ${which}`, async () => {
      const { x, y } = oneExample(5);
      const train = GpuDataset.upload(rt(), x, y, K);
      const model = Sequential.create(rt(), [new Linear('fc1', D, HIDDEN), new Linear('fc2', HIDDEN, K)], { seed: 9 });
      const aug = { height: H, width: H, maxShift: 2, maxRotation: 0, scale: [1, 1] as const, seed: 21 };
      const noiseStd = 0.05;
      const eta = 1e-4;
      const regs = [augmentation(aug), inputNoise({ std: noiseStd, seed: 22 }), weightNoise({ eta, seed: 23 })];
      const initial = await model.arena.values.toArray();
      const batches: Tensor<'f32'>[] = [];
      const perturbed: Tensor<'f32'>[] = [];
      const updated: Tensor<'f32'>[] = [];
      // After the regularizers in every hook: sees the batch they made and the weights they perturbed.
      const observer: TrainingPlugin = {
        name: 'draw observer',
        transformBatch: (batch) => {
          batches.push(copyOut(batch.x));
          return batch;
        },
        beforeForward: () => void perturbed.push(copyOut(model.arena.values)),
        afterUpdate: () => void updated.push(copyOut(model.arena.values)),
      };
      const steps = await twoSteps(model, train, resumeStep, [observer], regs);
      expect([batches.length, perturbed.length, updated.length]).toEqual([2, 2, 2]);
      const params = steps.map((step) => augmentParamsCpu({ ...aug, noiseStd: 0, allowFlips: false, stream: AUGMENT_STREAM, offset: step }, 0));
      // The two steps draw different shifts, so a step that reused the other's could not pass.
      expect([params[0].dx, params[0].dy]).not.toEqual([params[1].dx, params[1].dy]);
      const cleanBefore = [initial, await updated[0].toArray()];
      for (let k = 0; k < 2; k++) {
        const shifted = new Float32Array(D);
        shiftExampleCpu(x, shifted, 0, H, H, params[k].dx, params[k].dy);
        const zIn = standardNormalCpu(D, { seed: 22, stream: INPUT_NOISE_STREAM, offset: steps[k] });
        expect(noiseMismatches(await batches[k].toArray(), shifted, zIn, noiseStd), `input, step ${steps[k]}`).toEqual([]);
        // Weight noise: weights get √η·z of their arena index, biases none.
        const got = await perturbed[k].toArray();
        const zW = standardNormalCpu(model.arena.length, { seed: 23, stream: WEIGHT_NOISE_STREAM, offset: steps[k] });
        for (const p of model.arena.params) {
          const range = (a: Float32Array) => a.subarray(p.offset, p.offset + p.size);
          if (p.role === 'weight') {
            expect(noiseMismatches(range(got), range(cleanBefore[k]), range(zW), Math.sqrt(eta)), `${p.name}, step ${steps[k]}`).toEqual([]);
          } else {
            expect(range(got), `${p.name}, step ${steps[k]}`).toEqual(range(cleanBefore[k]));
          }
        }
      }
      for (const t of [...batches, ...perturbed, ...updated]) t.dispose();
      model.dispose();
      train.dispose();
    });
  }
});
