/**
 * "1 · Train on real digits": the settings form, Play / Pause / Step (one epoch per step), the
 * curves, the CNN's first-layer filters and the confusion matrix, and the run behind them: the
 * Trainer of the current settings (an MLP or a CNN), the digits of the current seed, restarts (a new
 * setting, Reset, or a loaded checkpoint) and the end of a run (epochs used up, or early stopping
 * with its best parameters restored). The filters are read back every few steps while the CNN trains
 * (./filters.ts), without the step waiting for them, and once more after each epoch.
 */
import { evaluate, type GpuDataset, type Metrics, type Runtime, type StepMetrics } from 'webgpu-regularization';
import { predict } from 'webgpu-regularization/regularizers';
import { trainControls, type TrainControls } from '../shared/controls';
import { loadPageDigits } from '../shared/data';
import { pct } from '../shared/dom';
import type { HashState } from '../shared/hash';
import type { JobQueue } from '../shared/jobs';
import { loadInto, type Checkpoint } from './checkpoint';
import { confusionCounts } from './confusion';
import { filterPanel, SWITCH_KEEP, SWITCH_L2, type FiltersHook } from './filter-panel';
import { filterReader, readFilters, type FilterBank } from './filters';
import { netShapeOf, type ModelKind, type NetShape, type RunScale, type TrainSettings } from './settings';
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
  /** The last training minibatch whose metrics arrived (its step number counts from 0), null before any. */
  lastStep: StepMetrics | null;
  /** How the run ended, null while it goes on. */
  runEnd: RunEnd | null;
  scale: RunScale;
  /** The network being trained. */
  model: ModelKind;
  /** The CNN's conv1 filters as last drawn (null for the MLP), and how many readings came while it trained. */
  filters: FiltersHook | null;
  liveFilterReads: number;
}

/** Steps between two readings of the filters while the CNN trains (as often as the curves' metrics arrive). */
const FILTER_EVERY = 8;

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
  const describe = (net: NetShape): string => {
    const what =
      net.kind === 'mlp'
        ? `a ${net.sizes.join('-')} ReLU network`
        : `a CNN (5×5 convolutions of ${net.channels[0]} and ${net.channels[1]} channels, each with ReLU and 2×2 max pooling, then ${net.dense} dense ReLU units and the 10 classes)`;
    return `${scale.train.toLocaleString('en')} training digits and ${scale.val} held out (a seeded split of the real MNIST digits), ${what}, minibatches of ${scale.batchSize}, Adam with learning rate ${net.kind === 'mlp' ? scale.lr : scale.cnnLr}${rt.info.isFallbackAdapter ? ' (small sizes: this is a software adapter)' : ''}. One Step trains one epoch (${stepsPerEpoch} minibatch steps) and then evaluates the held-out digits; Play keeps going.`;
  };
  const panel = trainPanel(o.root, settings, describe(netShapeOf(settings, scale)), (s) => void restart({ ...s, mc: settings.mc }).catch(fail));
  const filters = filterPanel((l2On, dropoutOn) => void restart({ ...settings, l2: l2On ? SWITCH_L2 : 0, pHidden: dropoutOn ? SWITCH_KEEP : 1 }).catch(fail));
  panel.filtersSlot.append(filters.element);
  let liveFilterReads = 0;
  const showFilters = (bank: FilterBank): void => {
    const shown = filters.draw(bank);
    if (shown) expose({ filters: shown });
  };
  /** Reads `t`'s filters at the step it has reached and draws them (nothing for the MLP, or if `t` has been replaced). */
  const refreshFilters = async (t: Trainer): Promise<void> => {
    const bank = await queue(() => (t === trainer ? readFilters(t.model, t.step) : Promise.resolve(null)));
    if (bank && t === trainer) showFilters(bank);
  };

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
    const reader = filterReader(FILTER_EVERY, (bank) => {
      if (t !== trainer) return;
      expose({ liveFilterReads: ++liveFilterReads });
      showFilters(bank);
    });
    const onSteps = (m: readonly StepMetrics[]): void => {
      if (t !== trainer || m.length === 0) return;
      panel.addSteps(m);
      expose({ lastStep: { ...m[m.length - 1] } });
    };
    const events = { onSteps, onEnd, plugins: [reader] };
    const t: Trainer = new Trainer(s, from?.net ?? netShapeOf(s, scale), scale, data, events, from?.step ?? 0);
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
    await refreshFilters(t);
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
    expose({ step: trainer.step, epochs, runEnd: null, lastStep: null });
    panel.clear();
    await showNet(trainer);
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

  /** The description, the filter box and its first reading for `t`'s network. */
  const showNet = async (t: Trainer): Promise<void> => {
    panel.describe(describe(t.net));
    filters.setModel(t.net.kind === 'cnn', t.settings.l2 > 0, t.settings.pHidden < 1);
    filters.reset();
    expose({ model: t.net.kind, filters: null });
    await refreshFilters(t);
  };

  expose({
    step: 0,
    epochs: 0,
    heldOutAccuracy: NaN,
    heldOutLoss: NaN,
    runEnd: null,
    lastStep: null,
    scale,
    model: trainer.net.kind,
    filters: null,
    liveFilterReads: 0,
  });
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
      await showNet(trainer);
      await refreshHeldOut(trainer, true);
    },
  };
}
