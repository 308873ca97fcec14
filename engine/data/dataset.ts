/**
 * A data set resident on the GPU: the inputs and their targets are uploaded once; a minibatch is two
 * gather dispatches driven by a window of an epoch's order (a u32 permutation uploaded once per
 * epoch). No per-example uploads, no CPU copies per step.
 *
 * Two kinds: a labelled set (`upload`: integer labels, one-hot targets built on the GPU) for
 * classification, and a set of float targets of any shape (`fromArrays`) for regression, binary
 * targets or anything else a loss takes. Both shuffle inputs and targets with the same order.
 */
import { gatherRows, checkIndexRange, oneHot, type IndexWindow } from '../ops/gather';
import { ArgumentError, describeValue, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, shapeSize, type Tensor } from '../runtime/tensor';
import { SeededRng } from './rng';

/** One minibatch: inputs [batch, features] and targets [batch, outputs], owned by the caller. */
export interface Batch {
  x: Tensor<'f32'>;
  targets: Tensor<'f32'>;
  /** Rows in this batch (the last batch of an epoch may be smaller). */
  size: number;
}

/** Options of {@link GpuDataset.fromArrays}. */
export interface FromArraysOptions {
  /** The shape of one example's inputs (default: all of a row, [x.length / count]); only its size matters to the loaders. */
  inputShape?: readonly number[];
  /** The shape of one example's targets (default [y.length / count]). */
  targetShape?: readonly number[];
}

/** Inputs and targets of a set, on the GPU. */
export class GpuDataset {
  private constructor(
    readonly runtime: Runtime,
    /** [count, features] */
    readonly images: Tensor<'f32'>,
    private readonly labelTensor: Tensor<'u32'> | null,
    /** [count, outputs]: one-hot rows of the labels, or the float targets. */
    readonly targets: Tensor<'f32'>,
    private readonly classCount: number | null,
    /** The shape of one example's targets (for a labelled set: [classes]). */
    readonly targetShape: readonly number[],
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
    if (images.length === 0) throw new ShapeError(`GpuDataset.upload: ${count} examples with 0 features each`);
    if (!Number.isInteger(classes) || classes < 1)
      throw new ArgumentError(`GpuDataset.upload: the number of classes must be a positive integer, got ${classes}`);
    checkIndexRange('GpuDataset.upload', labels, classes);
    const x = rt.tensor(images, [count, images.length / count]);
    const y = rt.tensor(Uint32Array.from(labels), [count], 'u32');
    return new GpuDataset(rt, x, y, oneHot(y, classes), classes, [classes]);
  }

  /**
   * Uploads `count` examples of float inputs `x` and float targets `y` (regression, binary or soft
   * targets): `count` is taken from the shapes (`x.length / size(inputShape)` must equal
   * `y.length / size(targetShape)`); the defaults split both into `count` rows given by `count`.
   */
  static fromArrays(rt: Runtime, x: Float32Array, y: Float32Array, count: number, options: FromArraysOptions = {}): GpuDataset {
    const where = 'GpuDataset.fromArrays';
    if (!(x instanceof Float32Array) || !(y instanceof Float32Array)) throw new ArgumentError(`${where}: x and y must be Float32Arrays`);
    if (!(Number.isSafeInteger(count) && count >= 1)) throw new ArgumentError(`${where}: count must be a positive integer, got ${String(count)}`);
    const inShape = options.inputShape ?? [x.length / count];
    const outShape = options.targetShape ?? [y.length / count];
    for (const [what, shape] of [
      ['inputShape', inShape],
      ['targetShape', outShape],
    ] as const) {
      if (!shape.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new ShapeError(`${where}: ${what} must be positive integers, got ${fmtShape(shape)}`);
    }
    const features = shapeSize(inShape);
    const outputs = shapeSize(outShape);
    if (x.length !== count * features) throw new ShapeError(`${where}: x has ${x.length} values, not ${count} examples of ${fmtShape(inShape)}`);
    if (y.length !== count * outputs) throw new ShapeError(`${where}: y has ${y.length} values, not ${count} examples of ${fmtShape(outShape)}`);
    for (const [what, a] of [
      ['x', x],
      ['y', y],
    ] as const) {
      const bad = a.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ArgumentError(`${where}: ${what}[${bad}] is ${a[bad]} (values must be finite)`);
    }
    return new GpuDataset(rt, rt.tensor(x, [count, features]), null, rt.tensor(y, [count, outputs]), null, [...outShape]);
  }

  /** The integer labels [count] of a labelled set (throws for a set of float targets: it has none). */
  get labels(): Tensor<'u32'> {
    if (!this.labelTensor) throw new ArgumentError('GpuDataset: this data set has float targets (fromArrays), not labels');
    return this.labelTensor;
  }

  /** Whether the set has integer labels (made by {@link GpuDataset.upload}). */
  get labelled(): boolean {
    return this.labelTensor !== null;
  }

  /** The number of classes of a labelled set (throws for a set of float targets). */
  get classes(): number {
    if (this.classCount === null) throw new ArgumentError('GpuDataset: this data set has float targets (fromArrays), not classes');
    return this.classCount;
  }

  /** Outputs per example: the width of a target row. */
  get outputs(): number {
    return this.targets.shape[1];
  }

  /** Number of examples. */
  get count(): number {
    return this.targets.shape[0];
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
    // Checked before the two gathers allocate anything.
    const { start, count } = (window ?? {}) as Partial<IndexWindow>;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start! < 0 || count! < 0 || start! + count! > order.size)
      throw new ArgumentError(
        `GpuDataset.batch: the window { start: ${describeValue(start)}, count: ${describeValue(count)} } is not a range of integers within the order's ${order.size} rows`,
      );
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
    this.labelTensor?.dispose();
    this.targets.dispose();
  }
}
