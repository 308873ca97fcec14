/**
 * Several models trained side by side under one set of play / pause / step buttons: one "step" of
 * the controls trains every model one chunk, one after another (the same steps, the same
 * minibatches: only the regularizer differs). The runs are rebuilt on Reset or when a setting that
 * defines them changes.
 */
import { trainControls, type TrainControls } from '../shared/controls';
import type { JobQueue } from '../shared/jobs';
import type { GatedRun } from './gated-run';

/** A group of runs and its controls. */
export interface RunGroup {
  readonly controls: TrainControls;
  readonly runs: readonly GatedRun[];
  /** Every run has trained all its steps. */
  readonly done: boolean;
  /** Disposes the runs and builds new ones (after the step in progress). */
  reset(): Promise<void>;
}

/**
 * Builds the runs with `make` and controls that train them; `onChunk` after every chunk of every
 * run, `onReset` after new runs are built (and after their step-0 evaluation).
 */
export function runGroup(
  make: () => GatedRun[],
  serial: JobQueue,
  onChunk: (runs: readonly GatedRun[]) => Promise<void> | void,
  onReset: (runs: readonly GatedRun[]) => Promise<void> | void,
  onError: (e: unknown) => void,
): RunGroup {
  let runs: GatedRun[] = [];
  const done = (): boolean => runs.length > 0 && runs.every((r) => r.done || r.step >= r.scale.steps);
  const step = async (): Promise<void> => {
    for (const r of runs) {
      if (r.done) continue;
      await serial(() => r.nextChunk());
      await onChunk(runs);
    }
    if (done()) controls.pause();
  };
  const controls = trainControls(step, onError);
  const group: RunGroup = {
    controls,
    get runs() {
      return runs;
    },
    get done() {
      return done();
    },
    async reset() {
      controls.pause();
      await controls.idle();
      const old = runs;
      runs = [];
      await serial(async () => {
        for (const r of old) await r.dispose();
      });
      runs = make();
      await onReset(runs);
    },
  };
  return group;
}

/** Runs a group to its end: play, then wait until every model has trained all its steps. */
export async function trainToEnd(group: RunGroup): Promise<void> {
  group.controls.play();
  while (!group.done) {
    // A macrotask between checks: the controls' loop advances between setTimeout callbacks.
    await new Promise((r) => setTimeout(r, 100));
    await group.controls.idle();
    if (!group.controls.playing && !group.done) throw new Error('training stopped before the end (paused, or a step failed)');
  }
}
