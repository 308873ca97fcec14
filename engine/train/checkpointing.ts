/**
 * Checkpoints while training: a loop plugin that saves the model (and optimizer) every n steps and
 * hands the bytes to the caller, so that a run can resume after a crash, a lost device or a closed
 * tab.
 *
 *   const ckpt = checkpointEvery({ every: 100, optimizer, save: (bytes) => writeFileAtomic('run.safetensors', bytes) });
 *   await fit(model, optimizer, train, val, { epochs: 5, batchSize: 64, seed: 1, plugins: [ckpt] });
 *
 * and to resume (a fresh model built with the file's `model_seed`, a fresh optimizer, maybe a new runtime):
 *
 *   const info = loadCheckpoint(bytes, model, optimizer, { callbacks: [earlyStop] });
 *   await fit(model, optimizer, train, val, { epochs: 5, batchSize: 64, seed: 1, resumeStep: checkpointStep(info) });
 *
 * `resumeStep` continues at the checkpoint's epoch and minibatch, in the same epoch order, so a run
 * resumed mid-epoch ends with the parameters of the uninterrupted run bit for bit (same adapter,
 * same options, the model's randomness keyed by the step as always). The callbacks of the run that
 * have state (early stopping: best step, patience count, best parameters) save it into the same file;
 * `loadCheckpoint(bytes, model, optimizer, { callbacks })` gives it back before the resumed run
 * starts. What the file does not hold is not restored: a NaN guard's counters start afresh, and the
 * current epoch's running training metrics cover the resumed part only.
 *
 * The state is captured synchronously in the `afterUpdate` hook (the read-back copies are recorded
 * right after the step's update), so the training loop never waits for a save; the bytes reach
 * `save` in step order as the read-backs complete, and `onEnd` (or {@link CheckpointPlugin.settled})
 * waits for the last one. A failed save stops training at the next step with its error.
 */
import { saveCheckpoint, type CheckpointInfo } from '../io/checkpoint';
import type { Sequential } from '../nn/sequential';
import type { Optimizer } from '../optim/optimizers';
import { ArgumentError } from '../runtime/errors';
import type { StepContext, TrainingPlugin } from './plugin';

/** The metadata key holding the steps taken when the checkpoint was made (what `resumeStep` takes). */
export const FIT_STEP_KEY = 'fit_step';

/** Options of {@link checkpointEvery}. */
export interface CheckpointEveryOptions {
  /** Save after every this many steps (counted from step 0 of the run, so a resumed run keeps the rhythm). */
  every: number;
  /**
   * Receives each checkpoint's safetensors bytes and the steps taken (the file's `fit_step`): in Node
   * e.g. `(b) => writeFileAtomic(path, b)` (engine/io/node), in a page `(b) => storeCheckpoint(key, b)`
   * (engine/io/browser). Saves are called one at a time, in step order; a returned promise is awaited.
   */
  save: (bytes: Uint8Array, step: number) => void | Promise<void>;
  /** The optimizer whose state (moments, step count) goes in the file; without it only the model's tensors do. */
  optimizer?: Optimizer;
  /** Extra metadata strings for every file (see saveCheckpoint). */
  metadata?: Readonly<Record<string, string>>;
}

/** The plugin of {@link checkpointEvery}. */
export interface CheckpointPlugin extends TrainingPlugin {
  /** Resolves when every checkpoint made so far has been handed to `save` (rejects with the first failure). */
  settled(): Promise<void>;
  /** The steps of the checkpoints handed to `save` so far. */
  readonly saved: readonly number[];
}

/** Hand-made contexts may carry anything (the type says Sequential): checked before saving. */
function isSequential(m: unknown): m is Sequential {
  return typeof m === 'object' && m !== null && 'arena' in m && 'buffers' in m && 'seed' in m;
}

/**
 * A training-loop plugin that saves a checkpoint (engine/io/checkpoint: parameters, buffers, the
 * optimizer's state, plus `fit_step`) after every `every`-th step's update and passes the bytes to
 * `save`. See the module's comment for resuming.
 */
export function checkpointEvery(options: CheckpointEveryOptions): CheckpointPlugin {
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`checkpointEvery: expected an options object, got ${String(options)}`);
  const { every, save, optimizer } = options;
  if (!(Number.isSafeInteger(every) && every >= 1)) throw new ArgumentError(`checkpointEvery: every must be a positive integer (steps), got ${String(every)}`);
  if (typeof save !== 'function')
    throw new ArgumentError(`checkpointEvery: save must be a function (bytes, step) => void | Promise<void>, got ${save === null ? 'null' : typeof save}`);
  if (options.metadata && FIT_STEP_KEY in options.metadata)
    throw new ArgumentError(`checkpointEvery: metadata key "${FIT_STEP_KEY}" is written by the plugin itself`);

  let chain: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;
  const saved: number[] = [];
  const settled = async (): Promise<void> => {
    await chain;
    if (failure) throw failure.error;
  };
  return {
    name: 'checkpointEvery',
    saved,
    afterUpdate(ctx: StepContext): void {
      if (failure) throw failure.error;
      const steps = ctx.step + 1;
      if (steps % every !== 0) return;
      if (!isSequential(ctx.model)) throw new ArgumentError('checkpointEvery: the model being trained is not a Sequential (saveCheckpoint needs one)');
      // Started now: its read-back copies are recorded after this step's update, before the next step.
      const bytes = saveCheckpoint(ctx.model, optimizer, { metadata: { ...options.metadata, [FIT_STEP_KEY]: String(steps) }, callbacks: ctx.callbacks });
      // Observed at once: while an earlier save is still running, a failed read-back (a lost device)
      // must be recorded here, not left as an unhandled rejection that ends the process.
      bytes.catch((error: unknown) => {
        failure ??= { error };
      });
      chain = chain.then(async () => {
        const b = await bytes;
        if (failure) return;
        await save(b, steps);
        saved.push(steps);
      });
      chain = chain.catch((error: unknown) => {
        failure ??= { error };
      });
    },
    onEnd: settled,
    settled,
  };
}

/**
 * The step to resume at from a loaded checkpoint: its `fit_step` (written by {@link checkpointEvery}),
 * else its optimizer step count. Throws when the file has neither.
 */
export function checkpointStep(info: CheckpointInfo): number {
  const raw = info.metadata[FIT_STEP_KEY];
  if (raw !== undefined) {
    // Plain decimal digits only, as loadCheckpoint reads its own integers: no "0x10", "1e3", " 5" or "05".
    const n = /^(0|[1-9][0-9]{0,15})$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new ArgumentError(`checkpointStep: metadata "${FIT_STEP_KEY}" is "${raw}" (an integer ≥ 0 expected)`);
    return n;
  }
  if (info.step !== undefined) return info.step;
  throw new ArgumentError(`checkpointStep: the checkpoint has neither "${FIT_STEP_KEY}" nor "step" metadata`);
}
