/**
 * A labelled data set resident on the GPU: the images and their one-hot targets are uploaded
 * once; a minibatch is two gather dispatches driven by a window of an epoch's order (a u32
 * permutation uploaded once per epoch). No per-example uploads, no CPU copies per step.
 */
import { gatherRows, checkIndexRange, oneHot, type IndexWindow } from '../ops/gather';
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { SeededRng } from './rng';

/** One minibatch: inputs [batch, features] and targets [batch, classes], owned by the caller. */
export interface Batch {
  x: Tensor<'f32'>;
  targets: Tensor<'f32'>;
  /** Rows in this batch (the last batch of an epoch may be smaller). */
  size: number;
}

/** The images and labels of a set, on the GPU. */
export class GpuDataset {
  private constructor(
    readonly runtime: Runtime,
    /** [count, features] */
    readonly images: Tensor<'f32'>,
    /** [count] u32 */
    readonly labels: Tensor<'u32'>,
    /** [count, classes]: one-hot rows of the labels. */
    readonly targets: Tensor<'f32'>,
    readonly classes: number,
  ) {}

  /**
   * Uploads `count` rows of `features` floats and their labels (validated to lie in [0, classes)),
   * and builds the one-hot targets on the GPU.
   */
  static upload(rt: Runtime, images: Float32Array, labels: ArrayLike<number>, classes: number): GpuDataset {
    const count = labels.length;
    if (count === 0 || images.length % count !== 0) {
      throw new ShapeError(`GpuDataset.upload: ${images.length} pixel values do not split into ${count} equal rows`);
    }
    if (!Number.isInteger(classes) || classes < 1)
      throw new ArgumentError(`GpuDataset.upload: the number of classes must be a positive integer, got ${classes}`);
    checkIndexRange('GpuDataset.upload', labels, classes);
    const x = rt.tensor(images, [count, images.length / count]);
    const y = rt.tensor(Uint32Array.from(labels), [count], 'u32');
    return new GpuDataset(rt, x, y, oneHot(y, classes), classes);
  }

  /** Number of examples. */
  get count(): number {
    return this.labels.size;
  }

  /** Features per example. */
  get features(): number {
    return this.images.shape[1];
  }

  /**
   * The rows `order[start .. start + count)` as a new batch. `targets` replaces the one-hot table
   * (e.g. smoothed labels, same shape as {@link GpuDataset.targets}).
   */
  batch(order: Tensor, window: IndexWindow, targets: Tensor<'f32'> = this.targets): Batch {
    if (targets.shape[0] !== this.count) throw new ShapeError(`GpuDataset.batch: targets ${fmtShape(targets.shape)} do not cover ${this.count} examples`);
    return { x: gatherRows(this.images, order, window), targets: gatherRows(targets, order, window), size: window.count };
  }

  /** The examples in their stored order (for evaluation), as a u32 index tensor. */
  identityOrder(): Tensor<'u32'> {
    return this.runtime.tensor(
      Uint32Array.from({ length: this.count }, (_, i) => i),
      [this.count],
      'u32',
    );
  }

  /** A seeded random order of the examples (one per epoch: stream = epoch). */
  shuffledOrder(seed: number, epoch: number): Tensor<'u32'> {
    return this.runtime.tensor(new SeededRng(seed, 1000 + epoch).permutation(this.count), [this.count], 'u32');
  }

  /** The windows of size `batchSize` covering `count` examples (the last may be smaller unless dropLast). */
  static windows(count: number, batchSize: number, dropLast = false): IndexWindow[] {
    if (!Number.isInteger(count) || count < 0) throw new ArgumentError(`GpuDataset.windows: count must be a non-negative integer, got ${count}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`GpuDataset.windows: batch size must be a positive integer, got ${batchSize}`);
    const out: IndexWindow[] = [];
    for (let s = 0; s < count; s += batchSize) {
      const c = Math.min(batchSize, count - s);
      if (c < batchSize && dropLast) break;
      out.push({ start: s, count: c });
    }
    return out;
  }

  /** Frees the GPU copies. */
  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
    this.targets.dispose();
  }
}
