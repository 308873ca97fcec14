/**
 * Noise, augmentation and label smoothing (chapter 7.4–7.5) on real MNIST digits: the augmented
 * minibatch as the GPU makes it; a training-set-size slider that shows the overfitting gap; input,
 * hidden and weight noise trained side by side; label smoothing in both conventions with
 * reliability diagrams and logit sizes. Every model is a small MLP trained on demand with the
 * library's `fit` and the regularizers as a user would write them.
 *
 * Test hook (`window.__demo`): ready; augVersion (counts redraws of the grid); augData() (the GPU's
 * augmented batch), augOriginal(), augPixels() (the augmented canvases' gray values), augStep, seed;
 * setAugStep(s); trainSize() (trains at the slider's n), sizeResults; trainNoise(), noiseResults,
 * noiseDone; trainSmoothing(), smoothingResults, smoothingDone.
 */
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { augmentPanel, settingsOf } from './augment-panel';
import { DigitSets } from './datasets';
import type { RunScale } from './gated-run';
import { meta } from './meta';
import { noisePanel } from './noise-panel';
import type { RunGroup } from './run-group';
import { SIZES, sizePanel } from './size-panel';
import { smoothingPanel } from './smoothing-panel';
import { SOURCES } from './sources';
import './noise.css';

/** Runs a group to its end: play, then wait until every model has trained all its steps. */
async function trainToEnd(group: RunGroup): Promise<void> {
  group.controls.play();
  while (!group.done) {
    // A macrotask between checks: the controls' loop advances between setTimeout callbacks.
    await new Promise((r) => setTimeout(r, 100));
    await group.controls.idle();
    if (!group.controls.playing && !group.done) throw new Error('training stopped before the end (paused, or a step failed)');
  }
}

void mountPage(meta, SOURCES, async ({ rt, root, hook, fail }) => {
  const small = rt.info.isFallbackAdapter;
  const scale: RunScale = { sizes: [784, 64, 10], batch: 32, steps: small ? 200 : 1000, chunk: 50, lr: 0.002 };
  const state = hashState({ seed: 1, n: 500, eps: 0.1, shift: 2, rot: 10, zoom: 10, noise: 0, step: 0, sin: 0.3, shid: 0.5, eta: 0.001 });
  const validSeed = (s: number): boolean => Number.isInteger(s) && s >= 0 && s <= 0xffffffff;
  if (!validSeed(state.value.seed)) state.set({ seed: 1 });

  const loading = document.createElement('p');
  loading.className = 'note';
  loading.textContent = 'Loading the MNIST digits…';
  root.append(loading);
  const split = await loadDigits({ train: small ? 4000 : 8000, val: small ? 500 : 1000, test: 0, seed: 1 });
  const sets = new DigitSets(rt, split);
  loading.remove();

  // Every GPU job of the page runs one after another (augmented batches, training chunks, readbacks).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };
  const seed = (): number => state.value.seed;

  // ---- Top bar: the seed of every run and batch ----
  const bar = document.createElement('div');
  bar.className = 'panel topbar';
  const seedInput = document.createElement('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(seed()), id: 'seed' });
  const seedLabel = document.createElement('label');
  seedLabel.append('seed', seedInput);
  const about = document.createElement('span');
  about.className = 'note';
  about.textContent = `Every model here: ${scale.sizes.join('-')} ReLU, Adam lr ${scale.lr}, batch ${scale.batch}, ${scale.steps} steps, scored on ${split.val.count.toLocaleString('en-US')} held-out digits${small ? ' (small sizes: this is a software adapter)' : ''}. The seed fixes the initial weights, the minibatch order and every random draw.`;
  bar.append(seedLabel, about);

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
  root.append(bar, aug.element, size.element, noise.element, smoothing.element);
  state.set({ n: size.n });

  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!validSeed(s)) {
      seedInput.value = String(seed());
      return;
    }
    state.set({ seed: s });
    void Promise.all([aug.refresh(), noise.group.reset(), smoothing.group.reset()]).catch(fail);
  });

  Object.assign(hook, {
    augData: () => Array.from(aug.shown?.augmented ?? []),
    augOriginal: () => Array.from(aug.shown?.original ?? []),
    augPixels: () => aug.shownPixels(),
    setAugStep: (s: number) => aug.setStep(s),
    trainSize: () => size.trainCurrent(),
    trainNoise: () => trainToEnd(noise.group),
    trainSmoothing: () => trainToEnd(smoothing.group),
    sizes: SIZES,
    steps: scale.steps,
  });
  Object.defineProperties(hook, {
    augVersion: { get: () => aug.version, enumerable: true },
    augStep: { get: () => aug.shown?.step ?? -1, enumerable: true },
    augSeed: { get: () => aug.shown?.seed ?? -1, enumerable: true },
    n: { get: () => size.n, enumerable: true },
    sizeResults: { get: () => size.results(), enumerable: true },
    noiseResults: { get: () => noise.results(), enumerable: true },
    noiseDone: { get: () => noise.group.done, enumerable: true },
    smoothingResults: { get: () => smoothing.results(), enumerable: true },
    smoothingDone: { get: () => smoothing.group.done, enumerable: true },
  });

  await Promise.all([noise.group.reset(), smoothing.group.reset()]);
  await aug.refresh();
  hook.ready = true;
});
