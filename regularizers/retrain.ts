/**
 * The two ways of using the validation data after early stopping (chapter 7.8, algorithms 7.2 and
 * 7.3), once `earlyStopping` has found the best step on a train/validation split.
 */
import { ArgumentError, GpuDataset, type Sequential } from '../engine/index';
import { integerAtLeast, nonNegative } from './check';
import type { EarlyStoppingReport } from './early-stopping';
import { fit, type FitConfig, type FitReport } from './fit';

/** Options of {@link retrainOnAll}. */
export interface RetrainConfig extends Omit<FitConfig, 'epochs' | 'maxSteps'> {
  /** 'steps': as many parameter updates as the best run took; 'epochs': as many passes over the data. */
  same: 'steps' | 'epochs';
  /** Examples in the training split early stopping ran on (to count its passes). */
  trainCount: number;
}

/** What a retraining did. */
export interface RetrainReport extends FitReport {
  /** The step budget it was given. */
  targetSteps: number;
}

/**
 * (a) Trains a fresh model (from `makeModel`, re-initialized) on all the data for the same number of
 * steps, or the same number of passes, as the best early-stopped run.
 */
export async function retrainOnAll(
  makeModel: () => Sequential,
  all: GpuDataset,
  found: EarlyStoppingReport,
  config: RetrainConfig,
): Promise<{ model: Sequential; report: RetrainReport }> {
  if (config.same !== 'steps' && config.same !== 'epochs')
    throw new ArgumentError(`retrainOnAll: same must be 'steps' or 'epochs', got ${String(config.same)}`);
  integerAtLeast('retrainOnAll', 'trainCount', config.trainCount, 1);
  const perEpoch = (n: number): number => GpuDataset.windows(n, config.batchSize).length;
  const targetSteps = config.same === 'steps' ? found.bestStep : Math.round((found.bestStep / perEpoch(config.trainCount)) * perEpoch(all.count));
  const model = makeModel();
  const epochs = Math.ceil(targetSteps / perEpoch(all.count));
  const report = await fit(model, { train: all }, { ...config, epochs, maxSteps: targetSteps });
  return { model, report: { ...report, targetSteps } };
}

/** Options of {@link continueOnAll}. */
export interface ContinueConfig extends Omit<FitConfig, 'epochs' | 'maxSteps' | 'evalEvery'> {
  /** Stop once the validation loss is below this (the training loss at the early-stopping point). */
  targetLoss: number;
  /** Give up after this many steps (the loop need not terminate otherwise). */
  maxSteps: number;
  /** Check every this many steps. */
  evalEvery: number;
}

/**
 * (b) Keeps training `model` (the early-stopped parameters) on all the data until the loss on
 * `val` falls below `targetLoss`, or `maxSteps` pass. `reached` says which.
 */
export async function continueOnAll(
  model: Sequential,
  all: GpuDataset,
  val: GpuDataset,
  config: ContinueConfig,
): Promise<FitReport & { reached: boolean; finalValLoss: number }> {
  const target = nonNegative('continueOnAll', 'targetLoss', config.targetLoss);
  const maxSteps = integerAtLeast('continueOnAll', 'maxSteps', config.maxSteps, 1);
  const evalEvery = integerAtLeast('continueOnAll', 'evalEvery', config.evalEvery, 1);
  let reached = false;
  let finalValLoss = NaN;
  const report = await fit(
    model,
    { train: all, val },
    {
      ...config,
      epochs: Number.MAX_SAFE_INTEGER,
      maxSteps,
      evalEvery,
      onEvaluate: async (e) => {
        finalValLoss = e.val.loss;
        if ((await config.onEvaluate?.(e)) === 'stop') return 'stop';
        if (e.val.loss < target) {
          reached = true;
          return 'stop';
        }
        return undefined;
      },
    },
  );
  return { ...report, reached, finalValLoss };
}
