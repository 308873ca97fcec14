/**
 * The minibatches of a data set as a function of the step, for code that trains one step at a
 * time outside `fit` (the demo pages): step s is window s mod (windows per epoch) of epoch
 * ⌊s / windows⌋ + 1's seeded order — the same batches `fit` gives with the same seed (last
 * partial batch dropped). One epoch order is kept on the GPU at a time.
 */
import { ArgumentError, describeValue } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import { GpuDataset, type Batch } from './dataset';

/** Minibatches of `data` by step number. */
export class MinibatchStream {
  private order: Tensor<'u32'> | null = null;
  private orderEpoch = 0;
  /** The windows of one epoch. */
  readonly windows: ReturnType<typeof GpuDataset.windows>;

  constructor(
    readonly data: GpuDataset,
    readonly batchSize: number,
    readonly seed: number,
  ) {
    if (!(data instanceof GpuDataset)) throw new ArgumentError(`MinibatchStream: data must be a GpuDataset, got ${describeValue(data)}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ArgumentError(`MinibatchStream: batch size must be a positive integer, got ${describeValue(batchSize)}`);
    if (batchSize > data.count)
      throw new ArgumentError(
        `MinibatchStream: batch size ${batchSize} exceeds the ${data.count} examples (the last partial batch is dropped: no batch would remain)`,
      );
    if (typeof seed !== 'number' || !Number.isFinite(seed))
      throw new ArgumentError(`MinibatchStream: seed must be a finite number, got ${describeValue(seed)}`);
    this.windows = GpuDataset.windows(data.count, batchSize, true);
  }

  /** Steps per epoch. */
  get stepsPerEpoch(): number {
    return this.windows.length;
  }

  /**
   * The minibatch of step `step` (0-based), a new batch the caller disposes. `step` must be an
   * integer ≥ 0 (a safe integer); anything else is refused before anything is freed or allocated,
   * and the stream stays usable.
   */
  batch(step: number): Batch {
    if (!Number.isSafeInteger(step) || step < 0) throw new ArgumentError(`MinibatchStream.batch: step must be an integer ≥ 0, got ${describeValue(step)}`);
    const perEpoch = this.windows.length;
    const epoch = Math.floor(step / perEpoch) + 1;
    if (!this.order || epoch !== this.orderEpoch) {
      this.order?.dispose();
      this.order = this.data.shuffledOrder(this.seed, epoch);
      this.orderEpoch = epoch;
    }
    return this.data.batch(this.order, this.windows[step % perEpoch]);
  }

  /** Frees the kept epoch order. */
  dispose(): void {
    this.order?.dispose();
    this.order = null;
  }
}
