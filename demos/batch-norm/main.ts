/**
 * Batch norm: two MLPs with the same initial weights train side by side on the same minibatches,
 * one with batch normalization before each hidden ReLU; the page draws a few hidden units'
 * pre-activations (what enters the ReLU) at the current step and their mean and spread over
 * training. A toggle evaluates the batch-norm network with the batch's statistics (training mode)
 * or the stored running ones (inference mode) and shows which numbers were used; a batch-size
 * slider shows how much batch statistics scatter from batch to batch (the noise that regularizes)
 * and, on demand, the train/held-out gap of a short training at that batch size.
 *
 * Sections: ./top-bar.ts, ./histogram-section.ts, ./inference-section.ts, ./curves-section.ts,
 * ./spread-section.ts, ./short-run-section.ts; this file loads the digits and wires them.
 *
 * Test hook (`window.__demo`, fields in ./hook.ts): ready; stepCount; activationsStep; lastStep (both
 * networks' loss and accuracy); cells (what each histogram shows); heldOut; mode, inference (the
 * InferenceReport shown), inferenceVersion; batchSize, spread (at the slider's size), spreadVersion;
 * shortRuns, shortRunning; step(), idle() (resolves when no step or refresh is running),
 * setMode(mode), setBatchSize(b), runShort().
 */
import { trainControls } from '../shared/controls';
import { loadPageDigits } from '../shared/data';
import { el } from '../shared/dom';
import { coalesced, jobQueue } from '../shared/jobs';
import { exposeLive } from '../shared/live-hook';
import { mountPage } from '../shared/page';
import { bySize, pageSizes } from '../shared/sizes';
import { curvesSection } from './curves-section';
import type { StatsMode } from './forward';
import { histogramSection } from './histogram-section';
import type { Hook } from './hook';
import { inferenceSection } from './inference-section';
import { meta } from './meta';
import { pageState } from './page-state';
import { shortRunSection } from './short-run-section';
import { SOURCES } from './sources';
import { spreadSection } from './spread-section';
import { topBar } from './top-bar';
import { PairTrainer } from './trainer';
import './page.css';

/** Batch sizes the slider offers (powers of two: they divide the 1,024 digits of each set). */
const BATCHES = [2, 4, 8, 16, 32, 64, 128, 256];
/** Units of each hidden layer shown. */
const SHOWN = [0, 1, 2, 3];
/** The inference panel's accuracies (the slow part) and, while playing, the other panels refresh every this many steps. */
const EVAL_EVERY = 25;
/** Held-out accuracy of both networks is measured every this many steps. */
const HELD_OUT_EVERY = 5;

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, fail }) => {
  // Software adapters (SwiftShader in headless Chromium) get 1,024 training digits; a real GPU 4,096.
  const sizes = pageSizes(rt);
  const { state, seed, batch: batch0, mode: mode0, ...start } = pageState(BATCHES);
  let layer = start.layer;
  const config = { hidden: [64, 64], batch: 32, lr: 0.05, seed };

  const { split, train, val } = await loadPageDigits(rt, root, { train: bySize(sizes, 1024, 4096), val: 1024, test: 0, seed: 1 });
  const trainer = PairTrainer.create(rt, train, config);
  // Every GPU job of the page runs one after another.
  const serial = jobQueue();

  const hist = histogramSection(trainer, SHOWN, layer);
  const infData = { val, labels: split.val.labels, images: split.val.images, units: SHOWN, shownDigits: 8 };
  const inference = inferenceSection(trainer.models.bn, infData, mode0, (m) => {
    state.set({ mode: m });
    void serial(() => inference.refresh(layer, spread.batch, trainer.step)).catch(fail);
  });
  const curves = curvesSection(trainer, val);
  const refreshInference = coalesced(serial, () => inference.refresh(layer, spread.batch, trainer.step));
  const spread = spreadSection(trainer, BATCHES, batch0, SHOWN[0], (b) => {
    state.set({ batch: b });
    short.setBatch(b);
    void refreshInference().catch(fail);
  });
  const refreshViews = async (remeasure = false): Promise<void> => {
    await inference.refresh(layer, spread.batch, trainer.step, remeasure);
    await spread.refresh(layer);
  };
  const showHistograms = (): void => {
    hist.render(layer);
    bar.show(layer, trainer.step);
  };

  /** After a step: the histograms; the curve every HELD_OUT_EVERY steps; the slower panels when `views`, re-measured every EVAL_EVERY steps. */
  const afterTraining = async (views: boolean): Promise<void> => {
    await hist.refresh();
    showHistograms();
    const evalNow = trainer.step % EVAL_EVERY === 0;
    if (trainer.step % HELD_OUT_EVERY === 0) await curves.evalHeldOut();
    if (views || evalNow) await refreshViews(evalNow);
  };
  const trainOne = (): Promise<void> =>
    serial(async () => {
      const r = await trainer.trainStep();
      curves.addStep(r);
      expose({ lastStep: r });
      // Playing: the light refresh every step, the full one every EVAL_EVERY steps; a single step refreshes everything.
      await afterTraining(!controls.playing || trainer.step % EVAL_EVERY === 0);
    });
  const controls = trainControls(trainOne, fail);
  // Paused between two refreshes of the slower panels: bring them up to the step shown.
  const catchUp = async (): Promise<void> => {
    await controls.idle();
    await serial(refreshViews);
  };
  controls.element.querySelector('[data-role=pause]')!.addEventListener('click', () => void catchUp().catch(fail));
  const bar = topBar(controls.element, trainer, (l) => {
    layer = l;
    state.set({ layer });
    showHistograms();
    void serial(refreshViews).catch(fail);
  });
  const shortConfig = { hidden: config.hidden, epochs: bySize(sizes, 4, 10), seed, lr: config.lr };
  const short = shortRunSection(rt, { train, val }, shortConfig, batch0, serial, controls, fail);
  spread.element.append(...short.elements);

  const bottom = el('div', 'bottom-row');
  bottom.append(inference.element, curves.element);
  root.append(bar.element, hist.element, bottom, spread.element);

  expose({
    step: () => controls.stepOnce(),
    idle: () => controls.idle().then(() => serial.idle()),
    setMode: (m: StatsMode) => {
      inference.click(m);
      return serial.idle();
    },
    setBatchSize: (b: number) => {
      spread.setBatch(b);
      return serial.idle();
    },
    runShort: () => short.run(),
  });
  exposeLive<Hook>(hook, {
    stepCount: () => trainer.step,
    mode: () => inference.mode,
    activationsStep: () => hist.step,
    cells: () => hist.cells,
    heldOut: () => curves.heldOut,
    inference: () => inference.report,
    inferenceVersion: () => inference.version,
    batchSize: () => spread.spread?.batch,
    spread: () => spread.spread,
    spreadVersion: () => spread.version,
    shortRuns: () => short.runs,
    shortRunning: () => short.running,
  });

  await serial(() => afterTraining(true));
  hook.ready = true;
});
