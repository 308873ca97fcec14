/**
 * Early stopping (chapter 7.8, algorithm 7.1): evaluate on the validation set every `evalEvery`
 * steps; each time the validation loss improves by more than `minDelta`, copy the parameters and
 * the buffers (batch-norm statistics) GPU-to-GPU into a kept snapshot; after `patience`
 * evaluations without improvement, stop; at the end, restore the best snapshot and report its step.
 * Its state (best step and loss, patience count, history, the best snapshot) goes into checkpoints
 * (`checkpointEvery`) and comes back with `loadCheckpoint(…, { callbacks: [es] })`, so a resumed run
 * stops where the uninterrupted one would and restores the same best parameters.
 *
 * Then, to use the validation data too (algorithms 7.2 and 7.3):
 *   retrainOnAll    (a) re-initialize and train on all the data for the same number of steps or
 *                       the same number of epochs (the caller chooses; they differ because an epoch
 *                       of the larger set has more steps)
 *   continueOnAll   (b) keep the parameters and train on all the data until the validation loss
 *                       falls below the training loss at the stopping point, with a step limit
 *                       (it need not ever get there)
 */
import {
  ArgumentError,
  CheckpointError,
  evaluate,
  type CallbackState,
  type CallbackValue,
  type Evaluation,
  type GpuDataset,
  type LoadedCallbackState,
  type ModelSnapshot,
  type Sequential,
} from '../engine/index';
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
  /** The model a checkpoint's state was loaded for, until the next setup starts from it. */
  let restored: Sequential | null = null;
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
      if (restored && restored !== ctx.model)
        throw new ArgumentError('earlyStopping: its state was loaded from a checkpoint into another model than the one being trained');
      model = ctx.model;
      train = ctx.train;
      // A state loaded from a checkpoint (loadState) is where a resumed run starts; otherwise afresh.
      if (!restored) {
        bad = 0;
        best?.dispose();
        best = null;
        Object.assign(report, fresh());
      }
      restored = null;
    },
    saveState(): CallbackState {
      return {
        values: {
          bestStep: report.bestStep,
          bestEpoch: report.bestEpoch,
          // JSON has no Infinity or NaN: null stands for "no evaluation yet".
          bestValLoss: Number.isFinite(report.bestValLoss) ? report.bestValLoss : null,
          bestValAccuracy: Number.isFinite(report.bestValAccuracy) ? report.bestValAccuracy : null,
          stoppedStep: report.stoppedStep,
          bad,
          history: report.history.map((h) => [h.step, h.valLoss, h.valAccuracy, Number.isFinite(h.trainLoss) ? h.trainLoss : null]),
        },
        tensors: best ? { params: best.params, buffers: best.buffers } : {},
      };
    },
    loadState(state: LoadedCallbackState, into: Sequential): void {
      const v = state.values;
      const int = (k: string): number => {
        const x = v[k];
        if (!(typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) throw new CheckpointError(`earlyStopping: saved ${k} must be an integer ≥ 0`);
        return x;
      };
      const num = (x: CallbackValue | undefined, k: string, none: number): number => {
        if (x === null) return none;
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new CheckpointError(`earlyStopping: saved ${k} must be a finite number or null`);
        return x;
      };
      const h = v.history;
      if (!Array.isArray(h)) throw new CheckpointError('earlyStopping: saved history must be an array');
      const history = h.map((row, i) => {
        if (!Array.isArray(row) || row.length !== 4)
          throw new CheckpointError(`earlyStopping: saved history[${i}] must be [step, valLoss, valAccuracy, trainLoss]`);
        return {
          step: num(row[0], 'history step', 0),
          valLoss: num(row[1], 'history valLoss', NaN),
          valAccuracy: num(row[2], 'history valAccuracy', NaN),
          trainLoss: num(row[3], 'history trainLoss', NaN),
        };
      });
      const { params, buffers } = state.tensors;
      if ((params === undefined) !== (buffers === undefined)) throw new CheckpointError('earlyStopping: saved best parameters and buffers come together');
      if (params && (params.length !== into.arena.length || buffers!.length !== into.buffers.length))
        throw new CheckpointError(
          `earlyStopping: the saved best state has ${params.length} parameter and ${buffers!.length} buffer values, the model ${into.arena.length} and ${into.buffers.length}`,
        );
      const next = {
        bestStep: int('bestStep'),
        bestEpoch: int('bestEpoch'),
        bestValLoss: num(v.bestValLoss, 'bestValLoss', Infinity),
        bestValAccuracy: num(v.bestValAccuracy, 'bestValAccuracy', NaN),
        stoppedStep: int('stoppedStep'),
        stoppedEarly: false,
        history,
        trainLossAtBest: undefined,
      };
      const nextBad = int('bad');
      // Everything checked: now the state changes.
      best?.dispose();
      best = null;
      if (params) {
        const rt = into.arena.rt;
        const p = rt.tensor(params, [params.length]);
        const b = rt.tensor(buffers!, [buffers!.length]);
        best = {
          params: p,
          buffers: b,
          dispose: () => {
            p.dispose();
            b.dispose();
          },
        };
      }
      Object.assign(report, next);
      bad = nextBad;
      restored = into;
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
