/**
 * "1 · Train on real digits": the settings form, Play / Pause / Step (one epoch per step), the
 * curves and the confusion matrix, and the run behind them: the Trainer of the current settings, the
 * digits of the current seed, restarts (a new setting, Reset, or a loaded checkpoint) and the end of
 * a run (epochs used up, or early stopping with its best parameters restored).
 */
import { evaluate, type GpuDataset, type Metrics, type Runtime } from 'webgpu-regularization';
import { predict } from 'webgpu-regularization/regularizers';
import { trainControls, type TrainControls } from '../shared/controls';
import { loadPageDigits } from '../shared/data';
import { pct } from '../shared/dom';
import type { HashState } from '../shared/hash';
import type { JobQueue } from '../shared/jobs';
import { loadInto, type Checkpoint } from './checkpoint';
import { confusionCounts } from './confusion';
import type { RunScale, TrainSettings } from './settings';
import { trainPanel } from './train-panel';
import { Trainer, type RunEnd } from './trainer';

/** The digits of one seed: on the GPU for training and evaluation, and the held-out ones on the CPU for the pad. */
export interface RunData {
  seed: number;
  train: GpuDataset;
  val: GpuDataset;
  valImages: Float32Array;
  valLabels: Uint32Array;
}

/** What the test hook reads about the run. */
export interface RunHook {
  /** Minibatch steps of the run, epochs trained since it (re)started, the last held-out figures. */
  step: number;
  epochs: number;
  heldOutAccuracy: number;
  heldOutLoss: number;
  /** How the run ended, null while it goes on. */
  runEnd: RunEnd | null;
  scale: RunScale;
}

/** What the section needs from the page. */
export interface RunOptions {
  rt: Runtime;
  root: HTMLElement;
  scale: RunScale;
  /** The settings to start with (already sanitized), and the address's copy of the current ones. */
  settings: TrainSettings;
  hash: HashState<TrainSettings>;
  /** GPU work outside training (evaluation, classification, export) runs one job at a time here. */
  queue: JobQueue;
  expose(f: Partial<RunHook>): void;
  fail(e: unknown): void;
  /** The model or its settings changed: classify the pad again. */
  changed(): Promise<unknown>;
  /** A restart has applied `s` (the drawing panel shows its number of masks). */
  restarted(s: TrainSettings): void;
}

/** The run as the other sections see it. */
export interface RunSection {
  readonly trainer: Trainer;
  readonly data: RunData;
  readonly settings: TrainSettings;
  readonly controls: TrainControls;
  /** A fresh run with `s` (after the epoch in progress, if any), optionally from a checkpoint; rejects if the checkpoint did not fit. */
  restart(s: TrainSettings, from?: Checkpoint): Promise<void>;
  /** Changes only the number of Monte-Carlo masks (no restart). */
  setSamples(n: number): void;
  /** Evaluates the held-out digits and plots the point (the run's first). */
  start(): Promise<void>;
}

/** Loads the digits of `seed` (the split the page trains and evaluates on). */
export async function loadRunData(rt: Runtime, root: HTMLElement, scale: RunScale, seed: number): Promise<RunData> {
  const { split, train, val } = await loadPageDigits(rt, root, { train: scale.train, val: scale.val, test: 0, seed });
  return { seed, train, val, valImages: split.val.images, valLabels: split.val.labels };
}

/** Builds the panel into `o.root` and starts an untrained run on `initialData` with `o.settings`. */
export function runSection(o: RunOptions, initialData: RunData): RunSection {
  const { rt, scale, queue, expose, fail } = o;
  let data = initialData;
  let settings = o.settings;
  let epochs = 0;
  let heldOut: Metrics | null = null;
  /** Restarts in progress: Step does nothing meanwhile. */
  let restarting = 0;

  const stepsPerEpoch = Math.ceil(scale.train / scale.batchSize);
  const describe = `${scale.train.toLocaleString('en')} training digits and ${scale.val} held out (a seeded split of the real MNIST digits), a ${scale.sizes.join('-')} ReLU network, minibatches of ${scale.batchSize}, Adam with learning rate ${scale.lr}${rt.info.isFallbackAdapter ? ' (small sizes: this is a software adapter)' : ''}. One Step trains one epoch (${stepsPerEpoch} minibatch steps) and then evaluates the held-out digits; Play keeps going.`;
  const panel = trainPanel(o.root, settings, describe, (s) => void restart({ ...s, mc: settings.mc }).catch(fail));

  const onEnd = (end: RunEnd): void => {
    controls.pause();
    const how =
      end.stoppedBy === 'early stopping'
        ? `early stopping ended the run at step ${end.steps}; the best parameters (step ${end.restoredStep}) are restored`
        : end.stoppedBy === 'epochs'
          ? `the run reached its ${scale.maxEpochs} epochs`
          : `training stopped (${end.stoppedBy})`;
    // The held-out figures of the parameters kept (early stopping's best), then the message.
    void refreshHeldOut(trainer, false)
      .then((fresh) => {
        if (!fresh) return;
        panel.status(`${how}: held-out accuracy ${pct(heldOut?.accuracy ?? NaN)}. Reset or change a setting to train again.`);
        expose({ runEnd: end });
        return o.changed();
      })
      .catch(fail);
  };
  const makeTrainer = (s: TrainSettings, from?: Checkpoint): Trainer => {
    const t = new Trainer(s, from ? { ...scale, sizes: from.sizes } : scale, data, { onSteps: (m) => panel.addSteps(m), onEnd }, from?.step ?? 0);
    if (from) {
      try {
        loadInto(from, t.model);
      } catch (e) {
        void t.dispose();
        throw e;
      }
    }
    return t;
  };
  let trainer = makeTrainer(settings);

  /**
   * Held-out metrics and confusion matrix of `t`'s model (skipped if `t` has been replaced by
   * then); `plot` adds the point to the curves. Resolves false when skipped.
   */
  const refreshHeldOut = async (t: Trainer, plot: boolean, known?: Metrics): Promise<boolean> => {
    const r = await queue(async () => {
      if (t !== trainer) return null;
      const m = known ?? (await evaluate(t.model, data.val, 1000));
      const probs = await predict(t.model, data.val.images);
      return { metrics: m, counts: confusionCounts(probs, data.valLabels) };
    });
    if (!r || t !== trainer) return false;
    if (plot) panel.addHeldOut(t.step, r.metrics);
    panel.setConfusion(r.counts);
    heldOut = r.metrics;
    expose({ heldOutAccuracy: r.metrics.accuracy, heldOutLoss: r.metrics.loss });
    return true;
  };

  const step = async (): Promise<void> => {
    if (restarting > 0) return;
    const t = trainer;
    const t0 = performance.now();
    const r = await t.nextEpoch();
    if (t !== trainer || !r) return;
    if (!(await refreshHeldOut(t, true, r.val))) return;
    epochs++;
    expose({ step: r.step, epochs });
    // When this was the run's last epoch, onEnd's message (set after this) says so instead.
    if (t.done) return;
    const trainPart = r.train ? `, training ${pct(r.train.accuracy)} (training mode)` : '';
    panel.status(
      `step ${r.step} · epoch ${r.epoch} · held-out accuracy ${pct(r.val.accuracy)}, loss ${r.val.loss.toFixed(3)}${trainPart} · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    void o.changed();
  };
  const controls = trainControls(step, fail);
  panel.controlsSlot.append(controls.element);

  const restart = async (s: TrainSettings, from?: Checkpoint): Promise<void> => {
    restarting++;
    let loadError: unknown = null;
    controls.pause();
    panel.status('restarting after the epoch in progress…');
    await controls.idle();
    try {
      await queue(async () => {
        await trainer.dispose();
        if (s.seed !== data.seed) {
          data.train.dispose();
          data.val.dispose();
          data = await loadRunData(rt, o.root, scale, s.seed);
        }
        settings = s;
        o.hash.set(s);
        panel.form.show(s);
        o.restarted(s);
        try {
          trainer = makeTrainer(s, from);
        } catch (e) {
          // A checkpoint that does not fit its own sizes: carry on with a fresh network, then report.
          loadError = e;
          trainer = makeTrainer(s);
        }
      });
    } finally {
      restarting--;
    }
    epochs = 0;
    expose({ step: trainer.step, epochs, runEnd: null });
    panel.clear();
    if (!(await refreshHeldOut(trainer, true))) return;
    panel.status(
      from && !loadError
        ? `loaded a model trained for ${from.step} steps: held-out accuracy ${pct(heldOut?.accuracy ?? NaN)}`
        : 'untrained: press Play or Step',
    );
    await o.changed();
    if (loadError) throw loadError;
  };
  panel.resetButton.addEventListener('click', () => void restart(settings).catch(fail));

  expose({ step: 0, epochs: 0, heldOutAccuracy: NaN, heldOutLoss: NaN, runEnd: null, scale });
  return {
    get trainer() {
      return trainer;
    },
    get data() {
      return data;
    },
    get settings() {
      return settings;
    },
    controls,
    restart,
    setSamples(n) {
      settings = { ...settings, mc: n };
      o.hash.set(settings);
    },
    start: async () => {
      await refreshHeldOut(trainer, true);
    },
  };
}
