/**
 * The augmented minibatch of one training step, made exactly as a training run makes it: the
 * step's window of the epoch's seeded order gathered on the GPU (as `fit` does), then passed through
 * the `augmentation` regularizer's own batch hook (one dispatch of shaders/augment.wgsl keyed by
 * (seed, stream, step, example)). Both batches are read back for drawing; the transform of each
 * example is recomputed on the CPU with the Philox twin for the captions.
 */
import { augmentParamsCpu, GpuDataset, RANDOM_STREAMS, type AugmentParams, type Sequential } from 'webgpu-regularization';
import { augmentation, type Regularizer } from 'webgpu-regularization/regularizers';

/** The transforms the sliders choose. */
export interface AugmentSettings {
  maxShift: number;
  /** Radians, at most π/4 (larger turns a 6 into a 9). */
  maxRotation: number;
  /** Zoom range [1 − zoom, 1 + zoom]. */
  zoom: number;
  noiseStd: number;
}

/** The `augmentation` regularizer with these settings (its draws keyed by the run's seed). */
export function augmentationOf(a: AugmentSettings): Regularizer {
  return augmentation({ maxShift: a.maxShift, maxRotation: a.maxRotation, scale: [1 - a.zoom, 1 + a.zoom], noiseStd: a.noiseStd });
}

/** The settings in words, as the grid's sliders name them: "the grid above: ±2 px, ±10°, ×0.90–1.10". */
export function describeAugmentation(a: AugmentSettings | undefined): string {
  if (!a) return '';
  const deg = Math.round((a.maxRotation * 180) / Math.PI);
  return `the grid above: ±${a.maxShift} px, ±${deg}°, ×${(1 - a.zoom).toFixed(2)}–${(1 + a.zoom).toFixed(2)}${a.noiseStd > 0 ? `, σ ${a.noiseStd}` : ''}`;
}

/** One step's minibatch before and after augmentation. */
export interface AugmentedBatch {
  step: number;
  seed: number;
  rows: number;
  original: Float32Array;
  augmented: Float32Array;
  labels: number[];
  params: AugmentParams[];
}

/**
 * The key stream of `augmentation()` (regularizers/augmentation.ts, 'AUG\0'): needed only to
 * recompute each example's transform on the CPU for its caption; the images themselves come from
 * the regularizer.
 */
const AUGMENTATION_STREAM = RANDOM_STREAMS.augmentation;

/** Builds step `step`'s minibatch of a run with `seed` over `data` (batch size `batch`) and augments it. */
export async function augmentedBatch(data: GpuDataset, seed: number, step: number, batch: number, s: AugmentSettings): Promise<AugmentedBatch> {
  const windows = GpuDataset.windows(data.count, batch);
  const epoch = Math.floor(step / windows.length) + 1;
  const order = data.shuffledOrder(seed, epoch);
  const b = data.batch(order, windows[step % windows.length]);
  order.dispose();
  const options = { maxShift: s.maxShift, maxRotation: s.maxRotation, scale: [1 - s.zoom, 1 + s.zoom] as const, noiseStd: s.noiseStd, seed };
  // Augmentation reads only the step and epoch of its context; this page has no model to give it.
  const aug = augmentation(options).transformBatch!(b, { step, epoch, model: null as unknown as Sequential });
  try {
    const [original, augmented, targets] = await Promise.all([b.x.toArray(), aug.x.toArray(), b.targets.toArray()]);
    const k = data.classes;
    const labels = Array.from({ length: b.size }, (_, r) => {
      let arg = 0;
      for (let c = 1; c < k; c++) if (targets[r * k + c] > targets[r * k + arg]) arg = c;
      return arg;
    });
    const params = labels.map((_, r) => augmentParamsCpu({ height: 28, width: 28, ...options, stream: AUGMENTATION_STREAM, offset: step }, r));
    return { step, seed, rows: b.size, original: original as Float32Array, augmented: augmented as Float32Array, labels, params };
  } finally {
    b.x.dispose();
    b.targets.dispose();
    if (aug.x !== b.x) aug.x.dispose();
  }
}
