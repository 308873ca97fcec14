/**
 * Noise, augmentation and label smoothing (chapter 7.4–7.5) on real MNIST digits: the augmented
 * minibatch as the GPU makes it; a training-set-size slider that shows the overfitting gap; input,
 * hidden and weight noise trained side by side; label smoothing in both conventions with
 * reliability diagrams and logit sizes; a CNN with and without augmentation. Every model (small MLPs,
 * the regularizers' `cnn`) trains on demand with the library's `fit` and the regularizers as given.
 *
 * Test hook (`window.__demo`): ready; augVersion (counts redraws of the grid); augData() (the GPU's
 * augmented batch), augOriginal(), augPixels() (the augmented canvases' gray values), augStep, augSeed;
 * setAugStep(s); n, sizes, trainSize() (trains at the slider's n), sizeResults; steps; trainNoise(),
 * noiseResults, noiseDone; trainSmoothing(), smoothingResults, smoothingDone; cnnAugSteps,
 * trainCnnAug(), cnnAugResults, cnnAugDone.
 */
import { loadPageDigits } from '../shared/data';
import { hashState } from '../shared/hash';
import { jobQueue } from '../shared/jobs';
import { exposeLive } from '../shared/live-hook';
import { mountPage } from '../shared/page';
import { bySize, pageSizes } from '../shared/sizes';
import { augmentPanel, settingsOf } from './augment-panel';
import { cnnAugmentSection, type CnnAugResult } from './cnn-augment-section';
import { DigitSets } from './datasets';
import type { RunScale } from './gated-run';
import { meta } from './meta';
import { noisePanel } from './noise-panel';
import { trainToEnd } from './run-group';
import { seedBar, validSeed } from './seed-bar';
import { SIZES, sizePanel, type SizeResult } from './size-panel';
import { smoothingPanel, type SmoothingResult } from './smoothing-panel';
import { SOURCES } from './sources';
import './noise.css';

/** What the end-to-end test reads (tests/browser/concept-noise.test.ts). */
interface Hook {
  augVersion: number;
  augData(): number[];
  augOriginal(): number[];
  augPixels(): number[];
  augStep: number;
  augSeed: number;
  setAugStep(s: number): Promise<void>;
  n: number;
  sizes: readonly number[];
  trainSize(): Promise<SizeResult>;
  sizeResults: SizeResult[];
  steps: number;
  trainNoise(): Promise<void>;
  noiseResults: { name: string; step: number; val: number; train: number }[];
  noiseDone: boolean;
  trainSmoothing(): Promise<void>;
  smoothingResults: SmoothingResult[];
  smoothingDone: boolean;
  cnnAugSteps: number;
  trainCnnAug(): Promise<void>;
  cnnAugResults: CnnAugResult[];
  cnnAugDone: boolean;
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, fail }) => {
  const sizes = pageSizes(rt);
  const scale: RunScale = { sizes: [784, 64, 10], batch: 32, steps: bySize(sizes, 200, 1000), chunk: 50, lr: 0.002 };
  const state = hashState({ seed: 1, n: 500, eps: 0.1, shift: 2, rot: 10, zoom: 10, noise: 0, step: 0, sin: 0.3, shid: 0.5, eta: 0.001 });
  if (!validSeed(state.value.seed)) state.set({ seed: 1 });

  const digits = await loadPageDigits(rt, root, { train: bySize(sizes, 4000, 8000), val: bySize(sizes, 500, 1000), test: 0, seed: 1 });
  const { split } = digits;
  const sets = new DigitSets(rt, digits);

  // Every GPU job of the page runs one after another (augmented batches, training chunks, readbacks).
  const serial = jobQueue();
  const seed = (): number => state.value.seed;

  const size = sizePanel(
    (n) => sets.get(n),
    sets.available,
    state.value.n,
    scale,
    seed,
    serial,
    (n) => {
      state.set({ n });
      void aug.refresh().catch(fail);
    },
    fail,
  );
  const data = () => sets.get(size.n);
  const aug = augmentPanel(
    data,
    seed,
    scale.batch,
    { maxShift: state.value.shift, rotationDeg: state.value.rot, zoomPct: state.value.zoom, noiseStd: state.value.noise, step: state.value.step },
    serial,
    (c) => state.set({ shift: c.maxShift, rot: c.rotationDeg, zoom: c.zoomPct, noise: c.noiseStd, step: c.step }),
    fail,
  );
  const noise = noisePanel(
    data,
    scale,
    seed,
    { inputStd: state.value.sin, hiddenStd: state.value.shid, eta: state.value.eta },
    () => settingsOf(aug.controls),
    serial,
    (l) => state.set({ sin: l.inputStd, shid: l.hiddenStd, eta: l.eta }),
    fail,
  );
  const smoothing = smoothingPanel(data, scale, seed, state.value.eps, serial, (eps) => state.set({ eps }), fail);
  const cnnAug = cnnAugmentSection(data, scale, sizes, seed, () => settingsOf(aug.controls), noise.group, serial, fail);
  const bar = seedBar(
    seed,
    `Every MLP here: ${scale.sizes.join('-')} ReLU, Adam lr ${scale.lr}, batch ${scale.batch}, ${scale.steps} steps, scored on ${split.val.count.toLocaleString('en-US')} held-out digits${sizes === 'small' ? ' (small sizes: this is a software adapter)' : ''}. The seed fixes the initial weights, the minibatch order and every random draw.`,
    (s) => {
      state.set({ seed: s });
      void Promise.all([aug.refresh(), noise.group.reset(), smoothing.group.reset(), cnnAug.group.reset()]).catch(fail);
    },
  );
  root.append(bar, aug.element, size.element, noise.element, cnnAug.element, smoothing.element);
  state.set({ n: size.n });

  expose({
    augData: () => Array.from(aug.shown?.augmented ?? []),
    augOriginal: () => Array.from(aug.shown?.original ?? []),
    augPixels: () => aug.shownPixels(),
    setAugStep: (s: number) => aug.setStep(s),
    trainSize: () => size.trainCurrent(),
    trainNoise: () => trainToEnd(noise.group),
    trainSmoothing: () => trainToEnd(smoothing.group),
    trainCnnAug: () => trainToEnd(cnnAug.group),
    cnnAugSteps: cnnAug.scale.steps,
    sizes: SIZES,
    steps: scale.steps,
  });
  exposeLive<Hook>(hook, {
    augVersion: () => aug.version,
    augStep: () => aug.shown?.step ?? -1,
    augSeed: () => aug.shown?.seed ?? -1,
    n: () => size.n,
    sizeResults: () => size.results(),
    noiseResults: () => noise.results(),
    noiseDone: () => noise.group.done,
    smoothingResults: () => smoothing.results(),
    smoothingDone: () => smoothing.group.done,
    cnnAugResults: () => cnnAug.results(),
    cnnAugDone: () => cnnAug.group.done,
  });

  await Promise.all([noise.group.reset(), smoothing.group.reset(), cnnAug.group.reset()]);
  await aug.refresh();
  hook.ready = true;
});
