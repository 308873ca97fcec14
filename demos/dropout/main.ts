/**
 * Dropout at the shader level: an MLP trains on MNIST step by step while the page draws, from the
 * GPU, the keep/drop mask of a hidden layer for the step's key; any cell can be traced back through
 * Philox to its key and counter (the TypeScript twin recomputes every stage, the WGSL lines of each
 * are marked); the whole mask is replayed on the CPU bit for bit; and two small models show
 * inverted dropout, the weight scaling rule, and the classic mistake of scaling by 1 − p.
 *
 * Sections: ./keep-bar.ts (p, seed, layer), ./mask-section.ts (the grid and a cell's derivation),
 * ./training-section.ts (the curves), ./memory.ts (what regenerating saves), ./compare-section.ts.
 *
 * Test hook (`window.__demo`): ready; stepCount (steps trained), maskStep and maskP (the step and p
 * of the mask shown), masksVersion (counts redraws), p, layer, keptCount, keptFraction, cells,
 * replayMatch, replayCompared, selected, lastLoss, heldOutAccuracy; step(), setP(p),
 * cellInfo(row, unit), cellCenter(row, unit) (client coordinates); compare(), comparison,
 * comparisonReady, compareSeconds.
 */
import { trainControls } from '../shared/controls';
import { loadPageDigits } from '../shared/data';
import { el } from '../shared/dom';
import { hashState } from '../shared/hash';
import { jobQueue } from '../shared/jobs';
import { mountPage } from '../shared/page';
import { bySize, pageSizes } from '../shared/sizes';
import type { RuleResult } from './compare';
import { compareSection, type CompareHook } from './compare-section';
import { maskSection, type MaskHook, type MaskSection } from './mask-section';
import { memoryPanel } from './memory';
import { meta } from './meta';
import { SOURCES, TEXTS } from './sources';
import { snapP, keepBar, safeSeed } from './keep-bar';
import { DropoutTrainer } from './trainer';
import { trainingSection, type TrainingHook } from './training-section';
import './dropout.css';

interface Hook extends MaskHook, TrainingHook, CompareHook {
  stepCount: number;
  p: number;
  step(): Promise<void>;
  setP(p: number): Promise<void>;
  cellInfo: MaskSection['cellInfo'];
  cellCenter: MaskSection['cellCenter'];
  compare(): Promise<RuleResult[]>;
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, showSource, fail }) => {
  // Software adapters get a model that steps in a few tens of ms (`?sizes=` overrides the choice).
  const size = pageSizes(rt);
  const hidden = bySize(size, [64, 64], [128, 128]);
  const batch = bySize(size, 32, 64);
  const state = hashState({ seed: 1, p: 0.8 });
  state.set({ seed: safeSeed(state.value.seed) ? state.value.seed : 1, p: snapP(state.value.p) });

  const { train, val } = await loadPageDigits(rt, root, { train: bySize(size, 4000, 8000), val: 1000, test: 0, seed: 1 });
  const makeTrainer = (): DropoutTrainer => DropoutTrainer.create(rt, train, val, { hidden, batch, seed: state.value.seed, keepProb: state.value.p, lr: 0.05 });
  let trainer = makeTrainer();
  // Every GPU job of the page runs one after another (training steps, mask draws, the comparison).
  const queue = jobQueue();

  const bar = keepBar(hidden.length, state.value, {
    p: (p) => {
      state.set({ p });
      applyP(p);
      expose({ p });
      void masks.refresh().catch(fail);
    },
    seed: (seed) => {
      controls.pause();
      state.set({ seed });
      void controls.idle().then(restart).catch(fail);
    },
    layer: (i) => masks.setLayer(i),
  });
  const masks = maskSection({
    hidden,
    batch,
    trainer: () => trainer,
    queue,
    texts: TEXTS,
    showSource: (s) => void showSource(s.path, new Set(s.lines)),
    shown: (s) => {
      bar.showState(s.layer - 1, trainer.step);
      expose(s);
    },
  });
  const training = trainingSection(`Batch ${batch}, momentum SGD, lr 0.05, ${train.count.toLocaleString('en-US')} training digits.`, expose);
  const memPanel = memoryPanel(hidden.map((h, i) => ({ layer: `drop${i + 1}`, rows: batch, units: h })));

  const applyP = (p: number): void => {
    bar.showP(p);
    trainer.setKeepProb(p);
  };
  const trainOne = (): Promise<void> =>
    queue(async () => {
      await training.step(trainer);
      expose({ stepCount: trainer.step });
    }).then(masks.refresh);
  const restart = (): Promise<void> =>
    queue(async () => {
      trainer.dispose();
      trainer = makeTrainer();
      expose({ stepCount: 0 });
      training.clear();
      await training.heldOut(trainer);
    }).then(masks.refresh);
  const controls = trainControls(trainOne, fail);
  bar.element.prepend(controls.element);

  const compare = compareSection({
    rt,
    train,
    val,
    hidden,
    batch,
    steps: bySize(size, 300, 1500),
    seed: () => state.value.seed,
    keepProb: () => trainer.dropouts[0].keepProb,
    controls,
    queue,
    expose,
    fail,
  });

  // Two columns: what the GPU drew and how training goes; why a cell was kept and what that saves.
  const mainRow = el('div', 'main-row');
  const left = el('div', 'column left');
  left.append(masks.gridPanel, training.element);
  const right = el('div', 'column right');
  right.append(masks.derivationPanel, memPanel);
  mainRow.append(left, right);
  root.append(bar.element, mainRow, compare.element);

  expose({
    stepCount: 0,
    p: state.value.p,
    step: () => controls.stepOnce(),
    setP: (p) => {
      bar.setP(p);
      return masks.refresh();
    },
    cellInfo: masks.cellInfo,
    cellCenter: masks.cellCenter,
    compare: compare.run,
  });
  applyP(state.value.p);
  await queue(() => training.heldOut(trainer));
  await masks.refresh();
  hook.ready = true;
});
