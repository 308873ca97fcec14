/**
 * The named hook points of the training loop. A regularizer (regularizers/) is a plugin: an object
 * with some of these hooks. The loop calls them at fixed places of every step, so adding a
 * technique never means editing the loop:
 *
 *   sampler          the epoch's example order (bagging's bootstrap resample)
 *   transformBatch   the minibatch before the forward pass (augmentation, input noise)
 *   beforeForward    before the forward pass (weight noise perturbs the weights)
 *   loss             the loss from logits and targets (label smoothing)
 *   penalty          terms added to the loss (penalties written with ops)
 *   afterBackward    the gradients, after backward and before the update (gradient transforms;
 *                    weight noise restores the weights here)
 *   afterUpdate      after the optimizer step (max-norm's projection)
 *   onEvaluate       after each evaluation on the validation set; 'stop' ends training (early stopping)
 *   onEnd            when training ends (early stopping restores the best parameters)
 *
 * The step runner (./trainer.ts) calls the per-step hooks; `fit` (./loop.ts) adds the epoch-level
 * ones (sampler, evaluation, end). A callback with state (early stopping) can save it into a
 * checkpoint and load it back (`saveState` / `loadState`), so a resumed run continues where it was.
 *
 * Gradient transformations that fuse into the optimizer's update (penalties, decay) are not loop
 * hooks: they go into the optimizer's chain (engine/optim/chain.ts).
 */
import type { Var } from '../autograd/var';
import type { CallbackState, LoadedCallbackState } from '../io/callback-state';
import type { Batch, GpuDataset } from '../data/dataset';
import type { Sequential } from '../nn/sequential';
import type { Tensor } from '../runtime/tensor';
import type { Metrics } from './metrics';

/** What a hook knows about where training is. */
export interface StepContext {
  /** The global step: it keys this step's random draws (masks, noise, augmentation). */
  step: number;
  /** 1-based epoch (0 outside `fit`, unless the caller sets {@link Trainer.epoch}). */
  epoch: number;
  /** The model being trained. */
  model: Sequential;
  /** Every callback of the run, in order (a checkpoint saves their states). */
  callbacks?: readonly TrainingPlugin[];
}

/** One evaluation on the validation set. */
export interface Evaluation {
  /** Steps taken so far (the evaluation follows step `step − 1`). */
  step: number;
  epoch: number;
  val: Metrics;
  /** The running training metrics of the current epoch so far (training mode), when available. */
  train?: Metrics;
}

/** What a hook may answer after an evaluation. */
export type EvaluationAnswer = void | 'stop' | Promise<void | 'stop'>;

/** A set of hooks; every one is optional. */
export interface TrainingPlugin {
  /** For messages. */
  readonly name: string;
  sampler?(data: GpuDataset, epoch: number, seed: number): Tensor<'u32'>;
  /** Returns the batch to train on: `batch` itself, or a new one (the loop disposes the old one). */
  transformBatch?(batch: Batch, ctx: StepContext): Batch;
  beforeForward?(ctx: StepContext): void;
  loss?(logits: Var, targets: Tensor<'f32'>, ctx: StepContext): Var;
  penalty?(loss: Var, ctx: StepContext): Var;
  afterBackward?(ctx: StepContext): void;
  afterUpdate?(ctx: StepContext): void;
  onEvaluate?(e: Evaluation, ctx: StepContext): EvaluationAnswer;
  onEnd?(ctx: StepContext): void | Promise<void>;
  /** The callback's state for a checkpoint (early stopping: its best step, patience count and best parameters). */
  saveState?(): CallbackState;
  /**
   * Restores a state {@link saveState} made, read from a checkpoint (engine/io/checkpoint.ts
   * `loadCheckpoint(…, { callbacks })`) before training resumes; the tensors' data is on the CPU.
   */
  loadState?(state: LoadedCallbackState, model: Sequential): void;
}
