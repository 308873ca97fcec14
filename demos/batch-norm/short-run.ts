/**
 * The on-demand experiment of the batch-size panel: both networks trained from scratch at one
 * batch size for a fixed number of epochs (so every batch size sees the same digits as often),
 * then scored in inference mode on the training digits and on the held-out ones. The gap between
 * the two is what a regularizer is meant to shrink.
 */
import type { GpuDataset, Metrics, Runtime } from 'webgpu-regularization';
import { evaluateIn } from './forward';
import type { ModelKind } from './models';
import { PairTrainer } from './trainer';

/** One network's result. */
export interface RunScore {
  train: Metrics;
  heldOut: Metrics;
}

/** The result at one batch size. */
export interface ShortRunResult {
  batch: number;
  epochs: number;
  steps: number;
  seconds: number;
  scores: Record<ModelKind, RunScore>;
}

/** Settings of a run. */
export interface ShortRunConfig {
  hidden: readonly number[];
  batch: number;
  epochs: number;
  seed: number;
  lr: number;
}

/** Trains a fresh pair at `config.batch`; `onProgress(done, total)` every few steps. */
export async function shortRun(
  rt: Runtime,
  train: GpuDataset,
  val: GpuDataset,
  config: ShortRunConfig,
  onProgress: (done: number, total: number) => void,
): Promise<ShortRunResult> {
  const t0 = performance.now();
  const pair = PairTrainer.create(rt, train, { hidden: config.hidden, batch: config.batch, seed: config.seed, lr: config.lr });
  try {
    const steps = Math.floor(train.count / config.batch) * config.epochs;
    for (let s = 0; s < steps; s++) {
      pair.recordStep();
      rt.flush();
      // Wait for the GPU now and then: the page stays responsive and the progress is true.
      if (s % 16 === 15 || s === steps - 1) {
        await rt.sync();
        onProgress(s + 1, steps);
      }
    }
    // Scored in batches of 256 in inference mode (running statistics: no dependence on the batch).
    const score = async (k: ModelKind): Promise<RunScore> => ({
      train: await evaluateIn(pair.models[k], train, 256, 'running'),
      heldOut: await evaluateIn(pair.models[k], val, 256, 'running'),
    });
    const scores = { plain: await score('plain'), bn: await score('bn') };
    return { batch: config.batch, epochs: config.epochs, steps, seconds: (performance.now() - t0) / 1000, scores };
  } finally {
    pair.dispose();
  }
}
