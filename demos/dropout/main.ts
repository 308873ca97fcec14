/**
 * Dropout at the shader level: an MLP trains on MNIST step by step while the page draws, from the
 * GPU, the keep/drop mask of a hidden layer for the step's key; any cell can be traced back through
 * Philox to its key and counter (the TypeScript twin recomputes every stage, the WGSL lines of each
 * are marked); the whole mask is replayed on the CPU bit for bit; and two small models show
 * inverted dropout, the weight scaling rule, and the classic mistake of scaling by 1 − p.
 *
 * Test hook (`window.__demo`): ready; stepCount (steps trained), maskStep and maskP (the step and p
 * of the mask shown), masksVersion (counts redraws), p, layer, keptCount, keptFraction, cells,
 * replayMatch, replayCompared, selected, lastLoss, heldOutAccuracy; step(), setP(p),
 * cellInfo(row, unit), cellCenter(row, unit) (client coordinates); compare(), comparison,
 * comparisonReady, compareSeconds.
 */
import { GpuDataset } from 'webgpu-regularization';
import { liveChart } from '../shared/charts';
import { trainControls } from '../shared/controls';
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { compareRules, type RuleResult } from './compare';
import { compareView } from './compare-view';
import { deriveCell, replayMask, type CellDerivation } from './derivation';
import { derivationView } from './derivation-view';
import { GRID_COLORS, maskGrid, type Cell } from './mask-grid';
import { memoryPanel } from './memory';
import { meta } from './meta';
import { SOURCES, TEXTS } from './sources';
import type { DropoutKey } from 'webgpu-regularization';
import { DropoutTrainer } from './trainer';
import { hostThresholdSource, stageSources } from './wgsl-lines';
import './dropout.css';

/** Keep probabilities the slider offers: 0.05 … 1 in steps of 0.05. */
const P_MIN = 0.05;
const P_STEP = 0.05;
/** Held-out accuracy is measured every this many steps. */
const EVAL_EVERY = 25;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, html?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

/** p snapped to the slider's grid and range (a hand-edited hash may hold anything). */
function snapP(p: number): number {
  if (!Number.isFinite(p)) return 0.8;
  // Two decimals: 6 · 0.05 is 0.30000000000000004 in binary floating point, and p shows in the hash.
  return Math.min(1, Math.max(P_MIN, Number((Math.round(p / P_STEP) * P_STEP).toFixed(2))));
}

void mountPage(meta, SOURCES, async ({ rt, root, hook, showSource, fail }) => {
  // Software adapters (SwiftShader in headless Chromium) get a model that steps in a few tens of ms;
  // `?sizes=large` or `?sizes=small` overrides the choice (to see one layout on the other adapter).
  const forced = new URLSearchParams(location.search).get('sizes');
  const small = forced === 'large' ? false : forced === 'small' ? true : rt.info.isFallbackAdapter;
  const hidden = small ? [64, 64] : [128, 128];
  const batch = small ? 32 : 64;
  const compareSteps = small ? 300 : 1500;
  const state = hashState({ seed: 1, p: 0.8 });
  const seed0 = Number.isInteger(state.value.seed) && state.value.seed >= 0 && state.value.seed <= Number.MAX_SAFE_INTEGER ? state.value.seed : 1;
  state.set({ seed: seed0, p: snapP(state.value.p) });

  const loading = el('p', 'note', 'Loading the MNIST digits…');
  root.append(loading);
  const split = await loadDigits({ train: small ? 4000 : 8000, val: 1000, test: 0, seed: 1 });
  const train = GpuDataset.upload(rt, split.train.images, split.train.labels, 10);
  const val = GpuDataset.upload(rt, split.val.images, split.val.labels, 10);
  loading.remove();

  const makeTrainer = (): DropoutTrainer => DropoutTrainer.create(rt, train, val, { hidden, batch, seed: state.value.seed, keepProb: state.value.p, lr: 0.05 });
  let trainer = makeTrainer();

  // Every GPU job of the page runs one after another (training steps, mask draws, the comparison).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };

  // ---- Source locations of each stage (searched in the WGSL text) ----
  const file = (path: string) => ({ path, text: TEXTS[path] });
  const stages = stageSources(file('shaders/dropout.wgsl'), file('shaders/philox.wgsl'));
  const host = hostThresholdSource(file('engine/ops/dropout.ts'));

  // ---- Layout ----
  const bar = el('div', 'panel topbar');
  const pInput = el('input');
  Object.assign(pInput, { type: 'range', min: String(P_MIN), max: '1', step: String(P_STEP), value: String(state.value.p) });
  pInput.id = 'keep-p';
  const pValue = el('output', 'p-value');
  const pLabel = el('label', 'p-label');
  pLabel.append('keep probability p', pInput, pValue);
  const seedInput = el('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(state.value.seed) });
  seedInput.id = 'seed';
  const seedLabel = el('label');
  seedLabel.append('seed', seedInput);
  const layerPick = el('span', 'layer-pick', 'hidden layer');
  const layerButtons = hidden.map((_, i) => {
    const b = el('button', undefined, String(i + 1));
    b.dataset.layer = String(i);
    layerPick.append(b);
    return b;
  });
  const stepText = el('span', 'step-text');

  const gridPanel = el('div', 'panel grid-panel');
  const gridTitle = el('h2');
  const gridNote = el(
    'p',
    'note',
    "The mask the next training step applies, read back from the GPU: <code>dropout.wgsl</code> run with that step's key (seed, stream = layer, step), writing its mask. Blue units are kept (and scaled by 1/p), white ones dropped. <b>Hover a cell</b> to see why; click to pin it.",
  );
  const grid = maskGrid(batch, hidden[0], 576);
  const gridWrap = el('div', 'grid-wrap');
  const axisY = el('div', 'axis-y', `${batch} examples of the minibatch →`);
  const axisX = el('div', 'axis-x', `${hidden[0]} units of the hidden layer →`);
  const gridCol = el('div');
  gridCol.append(axisX, grid.canvas);
  gridWrap.append(axisY, gridCol);
  const legend = el(
    'div',
    'legend',
    `<span><i style="background:${GRID_COLORS.kept}"></i>kept</span><span><i style="background:${GRID_COLORS.dropped}"></i>dropped</span>` +
      `<span><i class="box" style="border-color:${GRID_COLORS.selected}"></i>one 32-bit word: 2 units</span><span><i class="box dashed" style="border-color:${GRID_COLORS.group}"></i>one Philox call: 8 units</span>`,
  );
  const keptLine = el('p', 'kept-line');
  const replayLine = el('p', 'replay-line');
  gridPanel.append(gridTitle, gridNote, gridWrap, legend, keptLine, replayLine);

  const derivPanel = el('div', 'panel derivation-panel');
  const view = derivationView(stages, host, (s) => void showSource(s.path, new Set(s.lines)));
  derivPanel.append(view.element);

  const chartsPanel = el('div', 'panel charts-panel');
  chartsPanel.append(el('h2', undefined, 'Training'));
  const chartRow = el('div', 'row');
  chartsPanel.append(chartRow);
  const lossChart = liveChart(chartRow, 'Minibatch loss', 'step', [{ label: 'loss', color: '#1f6feb' }], { width: 300, height: 190 });
  const accChart = liveChart(chartRow, 'Held-out accuracy', 'step', [{ label: 'accuracy', color: '#2da44e' }], { width: 300, height: 190 }, [0, 1]);
  const trainNote = el('p', 'note');
  chartsPanel.append(trainNote);

  const memPanel = el('div', 'panel memory-panel');

  const cmpView = compareView(compareSteps, hidden);

  // Two columns: what the GPU drew and how training goes; why a cell was kept and what that saves.
  const mainRow = el('div', 'main-row');
  const left = el('div', 'column left');
  left.append(gridPanel, chartsPanel);
  const right = el('div', 'column right');
  right.append(derivPanel, memPanel);
  mainRow.append(left, right);
  root.append(bar, mainRow, cmpView.element);

  // ---- State shown ----
  let layer = 0;
  let masks: Float32Array[] = [];
  /** The key each shown mask was drawn with (the derivation recomputes exactly these). */
  let maskKeys: DropoutKey[] = [];
  let maskStep = 0;
  let maskP = state.value.p;
  let pinned: Cell = { row: 0, unit: 0 };
  let hover: Cell | null = null;
  let comparison: RuleResult[] | null = null;
  let replay = { match: false, compared: 0 };
  let lossXs: number[] = [];
  let lossYs: number[] = [];
  let accXs: number[] = [];
  let accYs: number[] = [];

  const units = (): number => hidden[layer];
  const keptCount = (): number => masks[layer]?.reduce((s, v) => s + v, 0) ?? 0;
  const derive = (c: Cell): CellDerivation => deriveCell(c.row, c.unit, units(), maskKeys[layer]);

  const showCell = (): void => {
    const c = hover ?? pinned;
    const d = derive(c);
    view.show(d, { step: maskStep, layer: layer + 1, units: units(), keepProb: maskP, gpu: masks[layer]?.[d.index] ?? NaN }, hover === null);
  };

  const renderMasks = (): void => {
    if (!masks[layer]) return;
    grid.draw(masks[layer], hover ?? pinned);
    gridTitle.textContent = `Step ${maskStep}'s mask, hidden layer ${layer + 1}`;
    const n = masks[layer].length;
    const kept = keptCount();
    const sd = Math.sqrt((maskP * (1 - maskP)) / n);
    keptLine.innerHTML = `Kept <b>${kept.toLocaleString('en-US')}</b> of ${n.toLocaleString('en-US')} units = <b>${((100 * kept) / n).toFixed(1)}%</b>; expected p = ${(100 * maskP).toFixed(0)}% ± ${(100 * sd).toFixed(1)}% (one binomial standard deviation, √(p(1−p)/n)).`;
    replayLine.innerHTML = replay.match
      ? `<span class="ok">✓ Replay:</span> the GPU's masks of step ${maskStep} equal the TypeScript twin's (<code>dropoutMaskCpu</code>, engine/random/philox.ts) <b>bit for bit</b>: ${replay.compared.toLocaleString('en-US')} keep/drop decisions compared, every hidden layer.`
      : `<span class="bad">✗ Replay:</span> the GPU's masks and the TypeScript twin's differ (${replay.compared.toLocaleString('en-US')} compared).`;
    layerButtons.forEach((b, i) => b.classList.toggle('active', i === layer));
    stepText.textContent = `${trainer.step} step${trainer.step === 1 ? '' : 's'} trained`;
    showCell();
  };

  const applyP = (p: number): void => {
    pValue.textContent = p.toFixed(2);
    trainer.setKeepProb(p);
  };

  // Redraws the current step's masks from the GPU; coalesces bursts of slider events.
  let refreshQueued = false;
  const refresh = (): Promise<void> => {
    if (refreshQueued) return queue.then(() => undefined);
    refreshQueued = true;
    return serial(async () => {
      refreshQueued = false;
      const step = trainer.step;
      const keys = hidden.map((_, i) => trainer.keyOf(i, step));
      const drawn = await trainer.masks(step);
      let mismatches = 0;
      let compared = 0;
      drawn.forEach((m, i) => {
        const r = replayMask(m, keys[i]);
        mismatches += r.mismatches;
        compared += r.compared;
      });
      masks = drawn;
      maskKeys = keys;
      maskStep = step;
      maskP = keys[0].keepProb;
      replay = { match: mismatches === 0, compared };
      renderMasks();
      hook.masksVersion = ((hook.masksVersion as number | undefined) ?? 0) + 1;
    });
  };

  const evalHeldOut = async (): Promise<void> => {
    const m = await trainer.heldOut();
    accXs.push(trainer.step);
    accYs.push(m.accuracy);
    accChart.set(accXs, [accYs]);
    hook.heldOutAccuracy = m.accuracy;
    trainNote.textContent = `Held-out accuracy ${(100 * m.accuracy).toFixed(1)}% after ${trainer.step} steps, on 1,000 digits never trained on, with dropout off (inverted dropout needs no rescaling at inference). The minibatch loss is measured with dropout on. Batch ${batch}, momentum SGD, lr 0.05, ${train.count.toLocaleString('en-US')} training digits.`;
  };

  const trainOne = (): Promise<void> =>
    serial(async () => {
      const r = await trainer.trainStep();
      lossXs.push(r.step);
      lossYs.push(r.loss);
      lossChart.set(lossXs, [lossYs]);
      hook.lastLoss = r.loss;
      if (trainer.step % EVAL_EVERY === 0) await evalHeldOut();
    }).then(refresh);

  const controls = trainControls(trainOne, fail);
  bar.append(controls.element, pLabel, seedLabel, layerPick, stepText);

  const restart = (): Promise<void> =>
    serial(async () => {
      trainer.dispose();
      trainer = makeTrainer();
      lossXs = [];
      lossYs = [];
      accXs = [];
      accYs = [];
      lossChart.clear();
      accChart.clear();
      await evalHeldOut();
    }).then(refresh);

  // ---- Events ----
  pInput.addEventListener('input', () => {
    const p = snapP(Number(pInput.value));
    state.set({ p });
    applyP(p);
    hook.p = p;
    void refresh().catch(fail);
  });
  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!(Number.isInteger(s) && s >= 0 && s <= Number.MAX_SAFE_INTEGER)) {
      seedInput.value = String(state.value.seed);
      return;
    }
    controls.pause();
    state.set({ seed: s });
    void controls.idle().then(restart).catch(fail);
  });
  layerButtons.forEach((b, i) =>
    b.addEventListener('click', () => {
      layer = i;
      renderMasks();
    }),
  );
  grid.canvas.addEventListener('mousemove', (e) => {
    const c = grid.cellAt(e);
    if (!c || (hover && c.row === hover.row && c.unit === hover.unit)) return;
    hover = c;
    renderMasks();
  });
  grid.canvas.addEventListener('mouseleave', () => {
    hover = null;
    renderMasks();
  });
  grid.canvas.addEventListener('click', (e) => {
    const c = grid.cellAt(e);
    if (!c) return;
    pinned = c;
    hover = null;
    hook.selected = c;
    renderMasks();
  });

  const runComparison = (): Promise<RuleResult[]> => {
    const p = trainer.dropouts[0].keepProb;
    if (p === 1) {
      cmpView.progress('At p = 1 no unit is ever dropped: both models would be the same plain network. Lower p first.');
      return Promise.resolve([]);
    }
    controls.pause();
    cmpView.button.disabled = true;
    return controls
      .idle()
      .then(() =>
        serial(async () => {
          const t0 = performance.now();
          const results = await compareRules(
            rt,
            train,
            val,
            { hidden, keepProb: p, steps: compareSteps, batch, seed: state.value.seed, lr: 0.05 },
            (done, total) => cmpView.progress(`Training both models… ${done} / ${total} steps`),
          );
          comparison = results;
          hook.comparison = results;
          hook.compareSeconds = (performance.now() - t0) / 1000;
          cmpView.show(results, p, compareSteps);
          return results;
        }),
      )
      .finally(() => {
        cmpView.button.disabled = false;
      });
  };
  cmpView.button.textContent = `Train both models (${compareSteps} steps each) at the current p`;
  cmpView.progress('Not trained yet: the button trains both (a few seconds).');
  cmpView.button.addEventListener('click', () => void runComparison().catch(fail));

  // ---- Hook ----
  Object.assign(hook, {
    step: () => controls.stepOnce(),
    setP: (p: number) => {
      pInput.value = String(p);
      pInput.dispatchEvent(new Event('input'));
      return refresh();
    },
    cellInfo: (row: number, unit: number) => {
      const d = derive({ row, unit });
      return { ...d, gpu: masks[layer][d.index], step: maskStep, layer: layer + 1, keepProb: maskP };
    },
    cellCenter: (row: number, unit: number) => grid.cellCenter({ row, unit }),
    compare: runComparison,
  });
  Object.defineProperties(hook, {
    stepCount: { get: () => trainer.step, enumerable: true },
    maskStep: { get: () => maskStep, enumerable: true },
    maskP: { get: () => maskP, enumerable: true },
    keptCount: { get: keptCount, enumerable: true },
    cells: { get: () => masks[layer]?.length ?? 0, enumerable: true },
    keptFraction: { get: () => keptCount() / (masks[layer]?.length || 1), enumerable: true },
    replayMatch: { get: () => replay.match, enumerable: true },
    replayCompared: { get: () => replay.compared, enumerable: true },
    layer: { get: () => layer + 1, enumerable: true },
    comparisonReady: { get: () => comparison !== null, enumerable: true },
  });
  hook.p = state.value.p;
  hook.selected = pinned;

  applyP(state.value.p);
  memoryPanel(
    memPanel,
    hidden.map((h, i) => ({ layer: `drop${i + 1}`, rows: batch, units: h })),
  );
  await serial(evalHeldOut);
  await refresh();
  hook.ready = true;
});
