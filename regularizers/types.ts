/**
 * What a regularizer is: a training-loop plugin (the hooks of engine/train/plugin.ts), plus
 * optionally gradient transformations for the optimizer's chain, layers for the model, and a
 * setup step that sees the model, the data and the bound optimizer before training.
 */
import type { ChainOptimizer, GpuDataset, GradientTransformation, LayerInserter, Sequential, TrainingPlugin } from '../engine/index';

/** What {@link Regularizer.setup} receives. */
export interface SetupContext {
  model: Sequential;
  train: GpuDataset;
  val?: GpuDataset;
  optimizer: ChainOptimizer;
  /** The run's seed. */
  seed: number;
}

/** A chapter-7 technique, as `fit` (regularizers/fit.ts) and `mlp` (regularizers/model.ts) use it. */
export interface Regularizer extends TrainingPlugin {
  /** Transformations joined into the optimizer's chain (penalties, decay). */
  readonly transforms?: readonly GradientTransformation[];
  /** Layers inserted into a model built with `mlp(…, { regularizers })` (dropout, batch norm, hidden noise). */
  readonly layers?: LayerInserter;
  /** Evaluation period this regularizer needs, in steps (early stopping). */
  readonly evalEvery?: number;
  /** Called once before training. */
  setup?(ctx: SetupContext): void;
  /** Frees what setup allocated. */
  dispose?(): void;
}
