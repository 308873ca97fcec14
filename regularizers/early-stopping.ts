/**
 * Early stopping (chapter 7.8, algorithm 7.1): evaluate on the validation set every `evalEvery`
 * steps; each time the validation loss improves by more than `minDelta`, copy the parameters and
 * the buffers (batch-norm statistics) GPU-to-GPU into a kept snapshot; after `patience`
 * evaluations without improvement, stop; at the end, restore the best snapshot and report its step.
 *
 * Then, to use the validation data too (algorithms 7.2 and 7.3):
 *   retrainOnAll    (a) re-initialize and train on all the data for the same number of steps or
 *                       the same number of epochs (the caller chooses; they differ because an epoch
 *                       of the larger set has more steps)
 *   continueOnAll   (b) keep the parameters and train on all the data until the validation loss
 *                       falls below the training loss at the stopping point, with a step limit
 *                       (it need not ever get there)
 */
import { ArgumentError, evaluate, type Evaluation, type GpuDataset, type ModelSnapshot, type Sequential } from '../engine/index';
import { integerAtLeast, nonNegative } from './check';
import type { Regularizer, SetupContext } from './types';

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingConfig {
  /** Evaluations without improvement before stopping, ≥ 1. */
  patience: number;
  /** An improvement must lower the validation loss by more than this (default 0). */
  minDelta?: number;
  /** Evaluate every this many steps (default: once per epoch). */
  evalEvery?: number;
  /** Restore the best parameters at the end (default true). */
  restoreBest?: boolean;
}

/** What early stopping found. */
export interface EarlyStoppingReport {
  /** Steps taken when the best evaluation was made (the parameters restored). */
  bestStep: number;
  bestEpoch: number;
  bestValLoss: number;
  bestValAccuracy: number;
  /** Steps taken when training stopped. */
  stoppedStep: number;
  /** Whether patience ran out (false: the epoch or step budget ended first). */
  stoppedEarly: boolean;
  /** Every evaluation: steps taken and the validation loss. */
  history: { step: number; valLoss: number; valAccuracy: number; trainLoss: number }[];
  /** The training-set loss of the restored best parameters (strategy (b)'s target), if measured. */
  trainLossAtBest?: number;
}

/** The early-stopping regularizer; its report is filled in as training runs. */
export interface EarlyStopping extends Regularizer {
  readonly report: EarlyStoppingReport;
}

/** Stops training when the validation loss stops improving and restores the best parameters. */
export function earlyStopping(config: EarlyStoppingConfig): EarlyStopping {
  const patience = integerAtLeast('earlyStopping', 'patience', config.patience, 1);
  const minDelta = nonNegative('earlyStopping', 'minDelta', config.minDelta ?? 0);
  const evalEvery = config.evalEvery === undefined ? undefined : integerAtLeast('earlyStopping', 'evalEvery', config.evalEvery, 1);
  const restoreBest = config.restoreBest ?? true;
  let model: Sequential | null = null;
  let train: GpuDataset | null = null;
  let best: ModelSnapshot | null = null;
  let bad = 0;
  const fresh = (): EarlyStoppingReport => ({
    bestStep: 0,
    bestEpoch: 0,
    bestValLoss: Infinity,
    bestValAccuracy: NaN,
    stoppedStep: 0,
    stoppedEarly: false,
    history: [],
    trainLossAtBest: undefined,
  });
  const report = fresh();
  return {
    name: 'early stopping',
    evalEvery,
    report,
    setup(ctx: SetupContext): void {
      if (!ctx.val) throw new ArgumentError('earlyStopping: needs a validation set (data.val)');
      model = ctx.model;
      train = ctx.train;
      bad = 0;
      Object.assign(report, fresh());
    },
    onEvaluate(e: Evaluation): 'stop' | undefined {
      if (!model) return undefined;
      report.history.push({ step: e.step, valLoss: e.val.loss, valAccuracy: e.val.accuracy, trainLoss: e.train?.loss ?? NaN });
      report.stoppedStep = e.step;
      if (e.val.loss < report.bestValLoss - minDelta) {
        Object.assign(report, { bestStep: e.step, bestEpoch: e.epoch, bestValLoss: e.val.loss, bestValAccuracy: e.val.accuracy });
        bad = 0;
        if (best) {
          // Reuse the kept snapshot's buffers: two GPU copies, nothing allocated.
          model.arena.rt.copy(model.arena.values, best.params, model.arena.length * 4);
          model.arena.rt.copy(model.buffers.values, best.buffers, model.buffers.length * 4);
        } else {
          best = model.snapshot();
        }
        return undefined;
      }
      bad++;
      if (bad >= patience) {
        report.stoppedEarly = true;
        return 'stop';
      }
      return undefined;
    },
    async onEnd(): Promise<void> {
      if (!model || !best) return;
      if (restoreBest) {
        model.restore(best);
        if (train) report.trainLossAtBest = (await evaluate(model, train, 1000)).loss;
      }
    },
    dispose(): void {
      best?.dispose();
      best = null;
    },
  };
}
