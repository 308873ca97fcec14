/**
 * Loss and accuracy of a model on a data set, accumulated on the GPU (one small kernel per batch)
 * and read back once.
 */
import { constant } from '../autograd/tape';
import { noGrad, tidy } from '../autograd/scope';
import type { Var } from '../autograd/var';
import { GpuDataset } from '../data/dataset';
import type { ForwardContext } from '../nn/layer';
import { fill } from '../ops/elementwise';
import { accumulateXentMetrics } from '../ops/softmax-xent';
import { ArgumentError } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import type { Loss } from './losses';

/** Mean loss and accuracy (NaN where the loss has none) over a set of examples. */
export interface Metrics {
  loss: number;
  accuracy: number;
  /** Examples counted. */
  count: number;
}

/** Something that maps inputs to logits. */
export interface Classifier {
  forward(x: Var, ctx: ForwardContext): Var;
}

/** A zeroed f32 [3] accumulator for {@link accumulateXentMetrics}. */
export function metricsAccumulator(data: GpuDataset): Tensor<'f32'> {
  return fill(data.runtime.empty([3]), 0);
}

/** Reads an accumulator back as metrics. */
export async function readMetrics(acc: Tensor<'f32'>): Promise<Metrics> {
  const [loss, correct, count] = await acc.toArray();
  return { loss: count > 0 ? loss / count : NaN, accuracy: count > 0 ? correct / count : NaN, count };
}

/**
 * Evaluation mode (dropout off, no tape) over all of `data` in batches of `batchSize`; one readback.
 * `targets` replaces the data set's own targets. `loss` (default: softmax cross-entropy, with
 * accuracy by argmax) is what is reported; a loss without accuracy reports NaN for it.
 */
export async function evaluate(model: Classifier, data: GpuDataset, batchSize = 1000, targets?: Tensor<'f32'>, loss?: Loss): Promise<Metrics> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`evaluate: batch size must be a positive integer, got ${batchSize}`);
  const acc = metricsAccumulator(data);
  const order = data.identityOrder();
  for (const w of GpuDataset.windows(data.count, batchSize)) {
    const b = data.batch(order, w, targets);
    noGrad(() =>
      tidy(() => {
        const out = model.forward(constant(b.x), { training: false, step: 0 });
        if (!loss) accumulateXentMetrics(out.data, b.targets, acc);
        else loss.accumulate(out.data as Tensor<'f32'>, b.targets, loss.compute(out, b.targets), acc);
      }),
    );
    b.x.dispose();
    b.targets.dispose();
  }
  order.dispose();
  const m = await readMetrics(acc);
  acc.dispose();
  return loss?.accuracy === 'none' ? { ...m, accuracy: Number.NaN } : m;
}
