/**
 * Noise injection (chapter 7.5): Gaussian noise on the inputs and on the hidden units, and noise on
 * the weights, ε_W ~ N(0, ηI) drawn fresh for every presentation (eq. 7.31). Every draw comes from
 * the counter-based generator inside the kernel, keyed by (seed, stream, step): nothing random is
 * stored. Weight noise adds the draw in place before the forward pass, in a dispatch that also
 * keeps the clean values in a buffer of the arena's size, and copies them back after the backward
 * pass: one draw per weight per step, and the weights the update sees are bit for bit the ones
 * before the noise.
 */
import {
  RANDOM_STREAMS,
  addGaussianNoise,
  GaussianNoise,
  isSelected,
  keepTensor,
  type Batch,
  type LayerSite,
  type ParamArena,
  type Selection,
  type StepContext,
  type Tensor,
  perturbArena,
} from '../engine/index';
import { nonNegative, seed53 } from './check';
import type { Regularizer } from './types';

const INPUT_STREAM = RANDOM_STREAMS.inputNoise;
const HIDDEN_STREAM = RANDOM_STREAMS.hiddenNoise;
const WEIGHT_STREAM = RANDOM_STREAMS.weightNoise;

/** Gaussian noise of standard deviation `std` added to every training input (a form of augmentation). */
export function inputNoise(config: { std: number; seed?: number }): Regularizer {
  const std = nonNegative('inputNoise', 'std', config.std);
  let seed = config.seed === undefined ? undefined : seed53('inputNoise', 'seed', config.seed);
  return {
    name: 'input noise',
    setup(ctx): void {
      seed ??= ctx.seed;
    },
    transformBatch(batch: Batch, ctx: StepContext): Batch {
      if (std === 0) return batch;
      return { ...batch, x: addGaussianNoise(batch.x, { std, seed: seed ?? 0, stream: INPUT_STREAM, offset: ctx.step }) };
    },
  };
}

/** Gaussian noise on the hidden units (after each hidden activation), on during training and Monte-Carlo passes. */
export function hiddenNoise(config: { std: number }): Regularizer {
  const std = nonNegative('hiddenNoise', 'std', config.std);
  return {
    name: 'hidden noise',
    layers: (site: LayerSite) =>
      site.kind === 'hidden' && std > 0 ? [new GaussianNoise(`noise${site.index}`, std, site.seed, HIDDEN_STREAM + site.index)] : [],
  };
}

/**
 * Weight noise ε_W ~ N(0, ηI) (eq. 7.31) on the selected parameters (default: the weights), fresh
 * for every step: perturbed before the forward pass (the clean values kept in the same dispatch),
 * restored by a buffer copy after the backward pass, so the gradient is taken at W + ε_W and the
 * update applies to W exactly.
 */
export function weightNoise(config: Selection & { eta: number; seed?: number }): Regularizer {
  const eta = nonNegative('weightNoise', 'eta', config.eta);
  let seed = config.seed === undefined ? undefined : seed53('weightNoise', 'seed', config.seed);
  let arena: ParamArena | null = null;
  let table: Tensor<'u32'> | null = null;
  /** The arena's values before this step's noise (a buffer of the arena's size, kept across steps). */
  let clean: Tensor<'f32'> | null = null;
  let perturbed = false;
  return {
    name: 'weight noise',
    setup(ctx): void {
      seed ??= ctx.seed;
      arena = ctx.model.arena;
      const a = arena;
      const sigmas = a.params.map((p) => (isSelected(config, p, a, 'weightNoise') ? Math.sqrt(eta) : 0));
      table = keepTensor(a.chunkTable(sigmas));
      clean?.dispose();
      // Nothing to perturb (η = 0, or no parameter selected): no pass and no copy per step.
      clean = sigmas.some((s) => s > 0) ? keepTensor(a.rt.empty([a.length])) : null;
    },
    beforeForward(ctx: StepContext): void {
      if (!(arena && table && clean)) return;
      perturbArena(arena, table, { seed: seed ?? 0, stream: WEIGHT_STREAM, offset: ctx.step, sign: 1, keep: clean });
      perturbed = true;
    },
    afterBackward(): void {
      if (!(arena && clean && perturbed)) return;
      arena.rt.copy(clean, arena.values);
      perturbed = false;
    },
    dispose(): void {
      table?.dispose();
      table = null;
      clean?.dispose();
      clean = null;
    },
  };
}
