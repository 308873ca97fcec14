/**
 * The two networks of ./models.ts trained side by side, one step at a time: the same minibatches
 * in the same order, the same optimizer settings, the same initial weights. After each step the
 * page can look at both networks' hidden pre-activations on a fixed probe batch.
 */
import {
  chain,
  fill,
  type GpuDataset,
  MinibatchStream,
  momentum,
  trainOnBatch,
  type ChainOptimizer,
  type Runtime,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';
import { captureOutputs } from './forward';
import { createPair, preActivationLayer, type ModelKind } from './models';

/** What defines a run. */
export interface PairConfig {
  hidden: readonly number[];
  batch: number;
  seed: number;
  lr: number;
}

/** One step's minibatch loss and accuracy (training mode) of each network. */
export type PairStep = { step: number } & Record<ModelKind, { loss: number; accuracy: number }>;

/** Each hidden layer's pre-activation ([probe rows, units], read back) in both networks, and batch norm's inputs. */
export interface Activations {
  /** After the steps trained so far. */
  step: number;
  plain: Float32Array[];
  bn: Float32Array[];
  /** What enters each batch-norm layer (the Linear's output). */
  bnInput: Float32Array[];
}

export const KINDS: readonly ModelKind[] = ['plain', 'bn'];

/** Two MLPs, with and without batch norm, trained on the same minibatches. */
export class PairTrainer {
  /** Steps trained so far. */
  step = 0;
  private readonly batches: MinibatchStream;

  private constructor(
    readonly train: GpuDataset,
    readonly config: PairConfig,
    readonly models: Record<ModelKind, Sequential>,
    private readonly optimizers: Record<ModelKind, ChainOptimizer>,
    private readonly acc: Record<ModelKind, Tensor<'f32'>>,
  ) {
    this.batches = new MinibatchStream(train, config.batch, config.seed);
  }

  /** Builds both networks from the seed, with momentum SGD. */
  static create(rt: Runtime, train: GpuDataset, config: PairConfig): PairTrainer {
    const models = createPair(rt, [train.features, ...config.hidden, train.classes], config.seed);
    const optimizers = {
      plain: chain(momentum({ lr: config.lr, momentum: 0.9 })).init(models.plain.arena),
      bn: chain(momentum({ lr: config.lr, momentum: 0.9 })).init(models.bn.arena),
    };
    const acc = { plain: fill(rt.empty([3]), 0), bn: fill(rt.empty([3]), 0) };
    return new PairTrainer(train, config, models, optimizers, acc);
  }

  /** Trains both networks on the next minibatch (a fresh shuffle each epoch) and reads their minibatch metrics. */
  async trainStep(): Promise<PairStep> {
    const step = this.record(true);
    const [p, n] = await Promise.all(KINDS.map((k) => this.acc[k].toArray()));
    return { step, plain: { loss: p[0] / p[2], accuracy: p[1] / p[2] }, bn: { loss: n[0] / n[2], accuracy: n[1] / n[2] } };
  }

  /** Records the next step of both networks without reading anything back (a run that only needs its end). */
  recordStep(): void {
    this.record(false);
  }

  private record(metrics: boolean): number {
    const b = this.batches.batch(this.step);
    for (const k of KINDS) {
      if (metrics) fill(this.acc[k], 0);
      trainOnBatch(this.models[k], this.optimizers[k], b.x, b.targets, this.step, metrics ? { metrics: this.acc[k] } : {});
    }
    b.x.dispose();
    b.targets.dispose();
    return this.step++;
  }

  /**
   * Both networks' hidden pre-activations on `probe` (one batch: batch norm uses its statistics, as
   * in a training step, but its running statistics are left alone).
   */
  async activations(probe: Tensor): Promise<Activations> {
    const layers = this.config.hidden.map((_, i) => i + 1);
    const ctx = { training: false, batchStats: true, step: 0 };
    const plain = captureOutputs(
      this.models.plain,
      probe,
      layers.map((l) => preActivationLayer('plain', l)),
      ctx,
    );
    const bn = captureOutputs(this.models.bn, probe, [...layers.map((l) => `fc${l}`), ...layers.map((l) => preActivationLayer('bn', l))], ctx);
    const read = await Promise.all([...plain, ...bn].map((t) => t.toArray()));
    for (const t of [...plain, ...bn]) t.dispose();
    const n = layers.length;
    return { step: this.step, plain: read.slice(0, n), bnInput: read.slice(n, 2 * n), bn: read.slice(2 * n) };
  }

  /** Frees both networks and their optimizers (not the data). */
  dispose(): void {
    this.batches.dispose();
    for (const k of KINDS) {
      this.optimizers[k].dispose();
      this.models[k].dispose();
      this.acc[k].dispose();
    }
  }
}
