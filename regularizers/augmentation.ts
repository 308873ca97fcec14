/**
 * Dataset augmentation on the GPU (chapter 7.4): every minibatch is transformed in one dispatch
 * (shaders/augment.wgsl) before the forward pass, each example with its own random translation,
 * rotation, zoom and input noise, drawn from Philox keyed by (seed, stream, step, example). The same
 * seed gives the same batches. Transforms that can change a class are off unless enabled: no flips
 * by default (they turn 'b' into 'd'), and rotations are limited to small angles.
 */
import { ArgumentError, augmentImages, RANDOM_STREAMS, type Batch, type StepContext } from '../engine/index';
import { integerAtLeast, nonNegative, seed53 } from './check';
import type { Regularizer } from './types';

/** Options of {@link augmentation}. */
export interface AugmentationConfig {
  /** Image size (default 28 × 28, MNIST). */
  height?: number;
  width?: number;
  /** Integer shifts up to this many pixels in x and y (default 2). */
  maxShift?: number;
  /** Rotations up to this many radians either way (default 0.15, about 9°; at most π/4 unless `allowLargeRotations`). */
  maxRotation?: number;
  /** Zoom range (default [0.9, 1.1]). */
  scale?: readonly [number, number];
  /** σ of additive Gaussian input noise (default 0). */
  noiseStd?: number;
  /** Horizontal flips: off by default (they change the class of characters). */
  allowFlips?: boolean;
  /** Rotations above π/4 ('6' and '9' swap at π): off by default. */
  allowLargeRotations?: boolean;
  /** Seed of the draws (default: the run's seed). */
  seed?: number;
}

const STREAM = RANDOM_STREAMS.augmentation;

/** Random translations, small rotations and zooms, and input noise, applied to every training batch. */
export function augmentation(config: AugmentationConfig = {}): Regularizer {
  const height = integerAtLeast('augmentation', 'height', config.height ?? 28, 1);
  const width = integerAtLeast('augmentation', 'width', config.width ?? 28, 1);
  const maxShift = integerAtLeast('augmentation', 'maxShift', config.maxShift ?? 2, 0);
  const maxRotation = nonNegative('augmentation', 'maxRotation', config.maxRotation ?? 0.15);
  if (maxRotation > Math.PI / 4 && !config.allowLargeRotations) {
    throw new ArgumentError(
      `augmentation: maxRotation ${maxRotation} rad exceeds π/4, where rotations start to change classes ('6' and '9'); set allowLargeRotations to allow it`,
    );
  }
  const scale = config.scale ?? [0.9, 1.1];
  if (!(Array.isArray(scale) && scale.length === 2 && scale.every((s) => Number.isFinite(s) && s > 0) && scale[0] <= scale[1])) {
    throw new ArgumentError(`augmentation: scale must be [min, max] with 0 < min ≤ max, got [${Array.isArray(scale) ? scale.join(', ') : String(scale)}]`);
  }
  const noiseStd = nonNegative('augmentation', 'noiseStd', config.noiseStd ?? 0);
  let seed = config.seed === undefined ? undefined : seed53('augmentation', 'seed', config.seed);
  return {
    name: 'augmentation',
    setup(ctx): void {
      seed ??= ctx.seed;
      if (ctx.train.features !== height * width)
        throw new ArgumentError(`augmentation: images of ${height}×${width} need ${height * width} features, the data has ${ctx.train.features}`);
    },
    transformBatch(batch: Batch, ctx: StepContext): Batch {
      const x = augmentImages(batch.x, {
        height,
        width,
        maxShift,
        maxRotation,
        scale,
        noiseStd,
        allowFlips: !!config.allowFlips,
        seed: seed ?? 0,
        stream: STREAM,
        offset: ctx.step,
      });
      return { ...batch, x };
    },
  };
}
