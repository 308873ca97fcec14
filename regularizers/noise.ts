/**
 * Noise injection (chapter 7.5): Gaussian noise on the inputs and on the hidden units, and noise on
 * the weights, ε_W ~ N(0, ηI) drawn fresh for every presentation (eq. 7.31). Every draw comes from
 * the counter-based generator inside the kernel, keyed by (seed, stream, step): nothing random is
 * stored, and the weights are never copied — weight noise adds the draw in place before the
 * forward pass and takes the same draw away after the backward pass (one dispatch each; the
 * restore is exact to rounding: half an ulp of the perturbed and of the restored value).
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
 * for every step: perturbed before the forward pass, restored after the backward pass, so the
 * gradient is taken at W + ε_W and the update applies to W.
 */
export function weightNoise(config: Selection & { eta: number; seed?: number }): Regularizer {
  const eta = nonNegative('weightNoise', 'eta', config.eta);
  let seed = config.seed === undefined ? undefined : seed53('weightNoise', 'seed', config.seed);
  let arena: ParamArena | null = null;
  let table: Tensor<'u32'> | null = null;
  const key = (step: number, sign: 1 | -1) => ({ seed: seed ?? 0, stream: WEIGHT_STREAM, offset: step, sign });
  return {
    name: 'weight noise',
    setup(ctx): void {
      seed ??= ctx.seed;
      arena = ctx.model.arena;
      const a = arena;
      table = keepTensor(a.chunkTable(a.params.map((p) => (isSelected(config, p, a, 'weightNoise') ? Math.sqrt(eta) : 0))));
    },
    beforeForward(ctx: StepContext): void {
      if (arena && table && eta > 0) perturbArena(arena, table, key(ctx.step, 1));
    },
    afterBackward(ctx: StepContext): void {
      if (arena && table && eta > 0) perturbArena(arena, table, key(ctx.step, -1));
    },
    dispose(): void {
      table?.dispose();
      table = null;
    },
  };
}
