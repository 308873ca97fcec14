/**
 * The page's digits on the GPU: the held-out set, and training sets of the sizes the slider offers,
 * each the first n digits of one seeded split (so a smaller set is a subset of every larger one).
 */
import { GpuDataset, type MnistSplit, type Runtime } from 'webgpu-regularization';
import type { PageDigits } from '../shared/data';

/** At most this many training digits are scored to measure training accuracy (each evaluation costs a forward pass). */
export const PROBE_MAX = 500;

/** What a model trains and is scored on. */
export interface Datasets {
  train: GpuDataset;
  val: GpuDataset;
  /** The first min(n, PROBE_MAX) training digits: where training accuracy is measured. */
  probe: GpuDataset;
}

/** Training sets by size, uploaded once each. */
export class DigitSets {
  private readonly byCount = new Map<number, GpuDataset>();
  private readonly split: MnistSplit;
  readonly val: GpuDataset;

  /** From the page's digits (./main.ts): their held-out set, and their whole training set as the largest size. */
  constructor(
    private readonly rt: Runtime,
    digits: PageDigits,
  ) {
    this.split = digits.split;
    this.val = digits.val;
    this.byCount.set(digits.split.train.count, digits.train);
  }

  /** Digits available for training. */
  get available(): number {
    return this.split.train.count;
  }

  /** The first `n` training digits, the held-out set, and the probe of the training digits. */
  get(n: number): Datasets {
    const count = Math.min(Math.max(1, Math.round(n)), this.available);
    return { train: this.first(count), val: this.val, probe: this.first(Math.min(count, PROBE_MAX)) };
  }

  private first(count: number): GpuDataset {
    let train = this.byCount.get(count);
    if (!train) {
      const { images, labels } = this.split.train;
      train = GpuDataset.upload(this.rt, images.subarray(0, count * 784), labels.subarray(0, count), 10);
      this.byCount.set(count, train);
    }
    return train;
  }
}
