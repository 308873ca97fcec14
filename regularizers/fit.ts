/**
 * Training with regularizers, in one call; the regularizers are given once, to the model:
 *
 *   const model = mlp(rt, { sizes: [784, 256, 10], regularizers: [l2({ alpha: 1e-4 }), dropout({ hidden: { keep: 0.5 } }), earlyStopping({ patience: 5 })] });
 *   const run = await fit(model, { train, val }, { optimizer: sgd({ lr: 0.05 }), epochs: 30, batchSize: 64 });
 *
 * The optimizer is a direction (sgd, momentum, adam) or a chain; the regularizers' transformations
 * are added to its chain (so the common penalties cost no extra dispatch), their hooks to the loop.
 * `config.regularizers` may add regularizers that need no layers (for a model built some other
 * way, or for one run); one that needs layers the model was not built with is refused.
 */
import {
  ArgumentError,
  type Chain,
  ChainOptimizer,
  chainWith,
  type DirectionTransform,
  fit as engineFit,
  type EpochResult,
  type Evaluation,
  type GpuDataset,
  type Loss,
  type Progress,
  type Sequential,
  type StepMetrics,
  type TrainingPlugin,
} from '../engine/index';
import { modelRegularizers } from './model';
import type { Regularizer } from './types';

/** The data of a run. */
export interface FitData {
  train: GpuDataset;
  /** Validation set: evaluated after each epoch (or every `evalEvery` steps); early stopping needs it. */
  val?: GpuDataset;
}

/** Options of {@link fit}. */
export interface FitConfig {
  /**
   * A direction (sgd, momentum, adam) or a chain: the regularizers' transformations are added to
   * it. An optimizer already bound to this model (`chain(…).init(model.arena)`, e.g. to keep its
   * state across calls) is used as it is; its chain must then hold the regularizers' transformations.
   */
  optimizer: DirectionTransform | Chain | ChainOptimizer;
  /** More regularizers for this run, beyond the model's own (from `mlp`); see the module's comment. */
  regularizers?: readonly Regularizer[];
  /** What training minimizes (default softmaxCrossEntropy()); validation reports the same loss. */
  loss?: Loss;
  epochs: number;
  batchSize: number;
  /** Seeds the epoch order and, by default, every regularizer's random draws (default 1). */
  seed?: number;
  /** Evaluate every this many steps (default: the smallest a regularizer asks for, else after each epoch). */
  evalEvery?: number;
  maxSteps?: number;
  syncEvery?: number;
  startStep?: number;
  /** Continue a run from a checkpoint taken after this many steps (engine/train/checkpointing.ts: same epoch order, same minibatch). */
  resumeStep?: number;
  /** More training-loop plugins after the regularizers': e.g. `nanGuard()`, `checkpointEvery()` (give it a bound optimizer to save its state). */
  plugins?: readonly TrainingPlugin[];
  onProgress?: (p: Progress) => void;
  onStepMetrics?: (m: StepMetrics[]) => void;
  onEvaluate?: (e: Evaluation) => void | 'stop' | Promise<void | 'stop'>;
  onEpoch?: (r: EpochResult) => void | 'stop' | Promise<void | 'stop'>;
}

/** What a run produced. */
export interface FitReport {
  epochs: EpochResult[];
  steps: number;
  /** 'epochs', 'maxSteps', or the name of the regularizer (or callback) that stopped training. */
  stoppedBy: string;
  /** The optimizer used (bound to the model's arena); the caller disposes it when done with it. */
  optimizer: ChainOptimizer;
  /** Dispatches of the optimizer's update per step. */
  updateDispatches: number;
}

/**
 * The run's regularizers: the model's own (given to `mlp`), then those of `given` not among them.
 * `given` may add regularizers that need no layers (a sampler for one run, say); one that adds
 * layers must be one the model was built with, or the model would train without its layers.
 */
function regularizersOf(model: Sequential, given: readonly Regularizer[] | undefined): readonly Regularizer[] {
  if (given !== undefined && !Array.isArray(given)) throw new ArgumentError(`fit: regularizers must be an array, got ${typeof given}`);
  const own = modelRegularizers(model) ?? [];
  const extra = (given ?? []).filter((r) => !own.includes(r));
  const missingLayers = extra.filter((r) => r.layers);
  if (missingLayers.length > 0)
    throw new ArgumentError(
      `fit: ${missingLayers.map((r) => r.name).join(', ')} add(s) layers, and the model was not built with ${missingLayers.length > 1 ? 'them' : 'it'}; give every regularizer once, to mlp(rt, { sizes, regularizers })`,
    );
  return [...own, ...extra];
}

/** Trains `model` with the regularizers; see the module's comment. */
export async function fit(model: Sequential, data: FitData, config: FitConfig): Promise<FitReport> {
  const regs = regularizersOf(model, config.regularizers);
  const seed = config.seed ?? 1;
  const names = new Set<string>();
  for (const r of regs) {
    if (names.has(r.name)) throw new ArgumentError(`fit: the regularizer "${r.name}" is given twice`);
    names.add(r.name);
  }
  const extra = regs.flatMap((r) => r.transforms ?? []);
  let optimizer: ChainOptimizer;
  if (config.optimizer instanceof ChainOptimizer) {
    optimizer = config.optimizer;
    if (optimizer.arena !== model.arena) throw new ArgumentError('fit: the optimizer is bound to another model');
    const missing = extra.filter((t) => !optimizer.chainSpec.transforms.includes(t));
    if (missing.length > 0)
      throw new ArgumentError(
        'fit: the regularizers add transformations the given optimizer does not hold; pass a chain or a direction instead of a bound optimizer',
      );
  } else {
    optimizer = chainWith(config.optimizer, extra).init(model.arena);
  }
  const evalEvery =
    config.evalEvery ?? regs.reduce<number | undefined>((m, r) => (r.evalEvery === undefined ? m : Math.min(m ?? Infinity, r.evalEvery)), undefined);
  const ownOptimizer = optimizer !== config.optimizer;
  let ok = false;
  try {
    for (const r of regs) r.setup?.({ model, train: data.train, val: data.val, optimizer, seed });
    const result = await engineFit(model, optimizer, data.train, data.val, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed,
      loss: config.loss,
      evalEvery,
      maxSteps: config.maxSteps,
      syncEvery: config.syncEvery,
      startStep: config.startStep,
      resumeStep: config.resumeStep,
      plugins: [...regs, ...(config.plugins ?? [])],
      onProgress: config.onProgress,
      onStepMetrics: config.onStepMetrics,
      onEvaluate: config.onEvaluate,
      onEpoch: config.onEpoch,
    });
    ok = true;
    return { epochs: [...result], steps: result.steps ?? 0, stoppedBy: result.stoppedBy ?? 'epochs', optimizer, updateDispatches: optimizer.dispatchesPerStep };
  } finally {
    for (const r of regs) r.dispose?.();
    if (!ok && ownOptimizer) optimizer.dispose();
  }
}
