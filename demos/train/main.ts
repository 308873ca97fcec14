/**
 * "Train, then draw a digit": an MLP trained on real MNIST digits on the GPU with the regularizers
 * the visitor picks (one epoch per step of the controls, live curves, a held-out confusion matrix),
 * then a digit drawn on a pad and classified by weight scaling and by Monte-Carlo dropout (N masks
 * in one batch), with the convergence of the estimate, a rotation that raises the uncertainty, and
 * a model that can be saved and loaded.
 *
 * Test hook (`window.__demo`): ready, step, epochs, heldOutAccuracy, heldOutLoss, trainSteps(n) (n
 * steps of the controls, each one epoch), drawDigit(pixels), classified, classifying, prediction, spread,
 * entropy, saveModel() (the checkpoint's bytes, base64), savedUrl, saves, loads, stores, restores,
 * storedLine, loadError, sweeps, runEnd.
 */
import { evaluate, GpuDataset, type Metrics } from 'webgpu-regularization';
import { predict } from 'webgpu-regularization/regularizers';
import { trainControls } from '../shared/controls';
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import augmentWgsl from '../../shaders/augment.wgsl?raw';
import inferSrc from './infer.ts?raw';
import trainerSrc from './trainer.ts?raw';
import settingsSrc from './settings.ts?raw';
import padSrc from './pad.ts?raw';
import dropoutSrc from '../../regularizers/dropout.ts?raw';
import loopSrc from '../../engine/train/loop.ts?raw';
import { downloadCheckpoint, loadStoredCheckpoint, storeCheckpoint } from '../../engine/io/browser';
import { decodeCheckpoint, encodeCheckpoint, loadInto, type Checkpoint } from './checkpoint';
import { confusionCounts } from './confusion';
import { drawPanel } from './draw-panel';
import { classify, type Classification } from './infer';
import { meta } from './meta';
import { mnistCentre } from './pad';
import { savePanel } from './save-panel';
import { DEFAULT_SETTINGS, hasDropout, sanitize, scaleFor, type TrainSettings } from './settings';
import { trainPanel } from './train-panel';
import { Trainer, type RunEnd } from './trainer';
import './train.css';

const SOURCES = [
  { path: 'shaders/dropout.wgsl', text: dropoutWgsl },
  { path: 'shaders/augment.wgsl', text: augmentWgsl },
  { path: 'demos/train/infer.ts', text: inferSrc },
  { path: 'demos/train/trainer.ts', text: trainerSrc },
  { path: 'demos/train/settings.ts', text: settingsSrc },
  { path: 'demos/train/pad.ts', text: padSrc },
  { path: 'regularizers/dropout.ts', text: dropoutSrc },
  { path: 'engine/train/loop.ts', text: loopSrc },
];
/** The lines of dropout.wgsl that say how an element's mask bit is keyed. */
const MASK_KEY_LINES = new Set([13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
/** Angles of the rotation sweep (degrees) and its masks per angle. */
const SWEEP_ANGLES = Array.from({ length: 13 }, (_, i) => -90 + 15 * i);
const SWEEP_SAMPLES = 64;
/** The IndexedDB key of the model kept in this browser. */
const STORE_KEY = 'train-demo/model';

interface Data {
  seed: number;
  train: GpuDataset;
  val: GpuDataset;
  valImages: Float32Array;
  valLabels: Uint32Array;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

void mountPage(meta, SOURCES, async ({ rt, root, hook, showSource, fail }) => {
  const hash = hashState<TrainSettings>(DEFAULT_SETTINGS);
  let settings = sanitize(hash.value);
  hash.set(settings);
  const scale = scaleFor(rt.info.isFallbackAdapter);

  const loadData = async (seed: number): Promise<Data> => {
    const split = await loadDigits({ train: scale.train, val: scale.val, test: 0, seed });
    return {
      seed,
      train: GpuDataset.upload(rt, split.train.images, split.train.labels, 10),
      val: GpuDataset.upload(rt, split.val.images, split.val.labels, 10),
      valImages: split.val.images,
      valLabels: split.val.labels,
    };
  };

  // GPU work outside training (classification, evaluation, export, rebuilding the model) runs one
  // job at a time; training interleaves with it between minibatch steps, which is safe because a
  // step is recorded synchronously.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(job: () => Promise<T>): Promise<T> => {
    const r = queue.then(job);
    queue = r.catch(() => undefined);
    return r;
  };

  // Loaded before the panels exist: everything their events call is defined by the time they can fire.
  let data = await loadData(settings.seed);

  const stepsPerEpoch = Math.ceil(scale.train / scale.batchSize);
  const describe = `${scale.train.toLocaleString('en')} training digits and ${scale.val} held out (a seeded split of the real MNIST digits), a ${scale.sizes.join('-')} ReLU network, minibatches of ${scale.batchSize}, Adam with learning rate ${scale.lr}${rt.info.isFallbackAdapter ? ' (small sizes: this is a software adapter)' : ''}. One Step trains one epoch (${stepsPerEpoch} minibatch steps) and then evaluates the held-out digits; Play keeps going.`;
  const train = trainPanel(root, settings, describe, (s) => void restart({ ...s, mc: settings.mc }).catch(fail));
  const draw = drawPanel(
    root,
    settings.mc,
    {
      changed: () => void scheduleClassify(),
      heldOutDigit: () => showHeldOutDigit(),
      sweep: () => void runSweep().catch(fail),
      samples: (n) => {
        settings = { ...settings, mc: n };
        hash.set(settings);
        void scheduleClassify();
      },
    },
    () => void showSource('shaders/dropout.wgsl', MASK_KEY_LINES),
  );
  const save = savePanel(root, {
    save: () => void saveModel().catch(fail),
    load: (f) => void loadModel(f),
    store: () => void storeModel(),
    restore: () => void restoreModel(),
  });

  /** Restarts in progress: Step does nothing meanwhile. */
  let restarting = 0;

  const onEnd = (end: RunEnd): void => {
    controls.pause();
    const t = trainer;
    const how =
      end.stoppedBy === 'early stopping'
        ? `early stopping ended the run at step ${end.steps}; the best parameters (step ${end.restoredStep}) are restored`
        : end.stoppedBy === 'epochs'
          ? `the run reached its ${scale.maxEpochs} epochs`
          : `training stopped (${end.stoppedBy})`;
    // The held-out figures of the parameters kept (early stopping's best), then the message.
    void refreshHeldOut(t, false)
      .then((fresh) => {
        if (!fresh) return;
        train.status(`${how}: held-out accuracy ${pct(hook.heldOutAccuracy as number)}. Reset or change a setting to train again.`);
        hook.runEnd = end;
        return scheduleClassify();
      })
      .catch(fail);
  };
  const makeTrainer = (s: TrainSettings, from?: Checkpoint): Trainer => {
    const t = new Trainer(s, from ? { ...scale, sizes: from.sizes } : scale, data, { onSteps: (m) => train.addSteps(m), onEnd }, from?.step ?? 0);
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
    const r = await exclusive(async () => {
      if (t !== trainer) return null;
      const m = known ?? (await evaluate(t.model, data.val, 1000));
      const probs = await predict(t.model, data.val.images);
      return { metrics: m, counts: confusionCounts(probs, data.valLabels) };
    });
    if (!r || t !== trainer) return false;
    if (plot) train.addHeldOut(t.step, r.metrics);
    train.setConfusion(r.counts);
    hook.heldOutAccuracy = r.metrics.accuracy;
    hook.heldOutLoss = r.metrics.loss;
    return true;
  };

  const step = async (): Promise<void> => {
    if (restarting > 0) return;
    const t = trainer;
    const t0 = performance.now();
    const r = await t.nextEpoch();
    if (t !== trainer || !r) return;
    if (!(await refreshHeldOut(t, true, r.val))) return;
    hook.step = r.step;
    hook.epochs = (hook.epochs as number) + 1;
    // When this was the run's last epoch, onEnd's message (set after this) says so instead.
    if (t.done) return;
    const trainPart = r.train ? `, training ${pct(r.train.accuracy)} (training mode)` : '';
    train.status(
      `step ${r.step} · epoch ${r.epoch} · held-out accuracy ${pct(r.val.accuracy)}, loss ${r.val.loss.toFixed(3)}${trainPart} · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    void scheduleClassify();
  };
  const controls = trainControls(step, fail);
  train.controlsSlot.append(controls.element);

  /** A fresh run with `s` (after the epoch in progress, if any), optionally from a checkpoint. */
  const restart = async (s: TrainSettings, from?: Checkpoint): Promise<void> => {
    restarting++;
    let loadError: unknown = null;
    controls.pause();
    train.status('restarting after the epoch in progress…');
    await controls.idle();
    try {
      await exclusive(async () => {
        await trainer.dispose();
        if (s.seed !== data.seed) {
          data.train.dispose();
          data.val.dispose();
          data = await loadData(s.seed);
        }
        settings = s;
        hash.set(s);
        train.form.show(s);
        draw.mcSelect.value = String(s.mc);
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
    hook.step = trainer.step;
    hook.epochs = 0;
    hook.runEnd = null;
    train.clear();
    if (!(await refreshHeldOut(trainer, true))) return;
    train.status(
      from && !loadError
        ? `loaded a model trained for ${from.step} steps: held-out accuracy ${pct(hook.heldOutAccuracy as number)}`
        : 'untrained: press Play or Step',
    );
    await scheduleClassify();
    if (loadError) throw loadError;
  };
  train.resetButton.addEventListener('click', () => void restart(settings).catch(fail));

  // Classification of the pad: requests made while one runs are merged into the next run.
  let classifyQueued = false;
  let classifying = false;
  const waiters: ((c: Classification | null) => void)[] = [];
  const scheduleClassify = (): Promise<Classification | null> => {
    const p = new Promise<Classification | null>((resolve) => waiters.push(resolve));
    classifyQueued = true;
    hook.classifying = true;
    if (!classifying) void classifyLoop();
    return p;
  };
  const prepared = (): Float32Array => (draw.centre ? mnistCentre(draw.pad.pixels) : draw.pad.pixels.slice());
  const classifyLoop = async (): Promise<void> => {
    classifying = true;
    let mine: ((c: Classification | null) => void)[] = [];
    try {
      while (classifyQueued) {
        classifyQueued = false;
        mine = waiters.splice(0);
        const input = prepared();
        const blank = !input.some((v) => v > 0);
        const c = blank ? null : await exclusive(() => classify(trainer.model, input, draw.angle, settings.mc));
        draw.show(c, hasDropout(trainer.settings));
        hook.prediction = c && {
          top: c.top,
          weightScaling: [...c.weightScaling],
          mcMean: [...c.mcMean],
          mcStd: [...c.mcStd],
          samples: c.samples,
          angle: c.angle,
        };
        hook.spread = c ? c.mcStd[c.top] : NaN;
        hook.entropy = c ? c.entropy : NaN;
        hook.classified = (hook.classified as number) + 1;
        for (const w of mine) w(c);
      }
    } catch (e) {
      fail(e);
      for (const w of [...mine, ...waiters.splice(0)]) w(null);
    } finally {
      classifying = false;
      hook.classifying = false;
    }
  };

  let heldOutIndex = 0;
  const showHeldOutDigit = (): void => {
    const i = heldOutIndex++ % data.valLabels.length;
    draw.pad.set(data.valImages.subarray(i * 784, (i + 1) * 784));
    draw.note(`Held-out digit #${i}, labelled ${data.valLabels[i]}. Draw over it or Clear to draw your own.`);
    void scheduleClassify();
  };

  const runSweep = async (): Promise<void> => {
    const input = prepared();
    if (!input.some((v) => v > 0)) {
      draw.note('Draw a digit first: the sweep turns the drawing.');
      return;
    }
    draw.sweepButton.disabled = true;
    try {
      const angles: number[] = [];
      const entropy: number[] = [];
      const spread: number[] = [];
      const top: number[] = [];
      for (const deg of SWEEP_ANGLES) {
        const c = await exclusive(() => classify(trainer.model, input, (deg * Math.PI) / 180, SWEEP_SAMPLES));
        angles.push(deg);
        entropy.push(c.entropy);
        spread.push(c.mcStd[c.top]);
        top.push(c.mcMean[c.top]);
        draw.sweep.set(angles, entropy, spread, top);
      }
      hook.sweeps = (hook.sweeps as number) + 1;
    } finally {
      draw.sweepButton.disabled = false;
    }
  };

  const checkpointBytes = (): Promise<{ bytes: Uint8Array; step: number }> =>
    exclusive(async () => {
      const step = trainer.step;
      const bytes = await encodeCheckpoint(trainer.model, { sizes: trainer.scale.sizes, settings, step, savedAt: new Date() });
      return { bytes, step };
    });
  const saveModel = async (): Promise<void> => {
    const { bytes, step } = await checkpointBytes();
    const name = `mnist-mlp-${trainer.scale.sizes.join('-')}-step${step}.safetensors`;
    downloadCheckpoint(bytes, name);
    hook.savedUrl = save.offer(name, bytes);
    hook.saves = (hook.saves as number) + 1;
    save.status(`Saved at step ${step}: the link downloads it again; load it back with the file input.`);
  };
  const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  /** Replaces the network by a checkpoint's, or says why it cannot (the current network is kept when the file is refused). */
  const loadBytes = async (bytes: Uint8Array, what: string): Promise<boolean> => {
    try {
      const ck = decodeCheckpoint(bytes);
      await restart(ck.settings, ck);
      save.status(`Loaded ${what}: a ${ck.sizes.join('-')} network trained for ${ck.step} steps.`);
      return true;
    } catch (e) {
      save.status(`Could not load ${what}: ${errorText(e)}`, true);
      hook.loadError = errorText(e);
      return false;
    }
  };
  const loadModel = async (f: File): Promise<void> => {
    if (await loadBytes(new Uint8Array(await f.arrayBuffer()), f.name)) hook.loads = (hook.loads as number) + 1;
  };
  const storedLine = (ck: Checkpoint): string =>
    `Kept in this browser: ${ck.sizes.join('-')} network at step ${ck.step}${ck.savedAt ? `, stored ${new Date(ck.savedAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}` : ''}.`;
  const showStored = (line: string | null): void => {
    save.stored(line);
    hook.storedLine = line;
  };
  const storeModel = async (): Promise<void> => {
    try {
      const { bytes } = await checkpointBytes();
      await storeCheckpoint(STORE_KEY, bytes);
      showStored(storedLine(decodeCheckpoint(bytes)));
      hook.stores = (hook.stores as number) + 1;
    } catch (e) {
      save.status(`Could not keep the model in this browser: ${errorText(e)}`, true);
    }
  };
  const restoreModel = async (): Promise<void> => {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await loadStoredCheckpoint(STORE_KEY);
    } catch (e) {
      save.status(`Could not read the model kept in this browser: ${errorText(e)}`, true);
      return;
    }
    if (!bytes) {
      showStored(null);
      save.status('No model is kept in this browser.', true);
      return;
    }
    if (await loadBytes(bytes, 'the model kept in this browser')) hook.restores = (hook.restores as number) + 1;
  };

  Object.assign(hook, {
    step: 0,
    epochs: 0,
    heldOutAccuracy: NaN,
    heldOutLoss: NaN,
    classified: 0,
    classifying: false,
    prediction: null,
    spread: NaN,
    entropy: NaN,
    saves: 0,
    loads: 0,
    stores: 0,
    restores: 0,
    storedLine: null,
    sweeps: 0,
    savedUrl: '',
    runEnd: null,
    scale,
    trainSteps: async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await controls.stepOnce();
    },
    drawDigit: (pixels: ArrayLike<number>): Promise<Classification | null> => {
      draw.pad.set(pixels);
      return scheduleClassify();
    },
    saveModel: async (): Promise<string> => {
      const { bytes } = await checkpointBytes();
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    },
  });

  // The line about a model kept here by an earlier visit (IndexedDB may be unavailable: private windows).
  try {
    const kept = await loadStoredCheckpoint(STORE_KEY);
    showStored(kept ? storedLine(decodeCheckpoint(kept)) : null);
  } catch (e) {
    showStored(null);
    save.stored(`Nothing can be kept in this browser: ${errorText(e)}`, false);
  }

  await refreshHeldOut(trainer, true);
  showHeldOutDigit();
  await scheduleClassify();
  hook.ready = true;
});
