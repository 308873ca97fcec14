/**
 * The mask and why: the keep/drop mask of the next training step read back from the GPU as a grid
 * (with the kept count against p, and the CPU replay of every layer's mask), and beside it the
 * derivation of the cell under the pointer or pinned by a click, stage by stage, each stage linked
 * to the WGSL lines that compute it.
 */
import type { DropoutKey } from 'webgpu-regularization';
import { el, html, setHtml } from '../shared/dom';
import { coalesced, type JobQueue } from '../shared/jobs';
import { deriveCell, replayMask, type CellDerivation } from './derivation';
import { derivationView } from './derivation-view';
import { GRID_COLORS, maskGrid, type Cell } from './mask-grid';
import type { DropoutTrainer } from './trainer';
import { stageSources, type StageSource } from './wgsl-lines';

/** What the test hook reads about the mask shown. */
export interface MaskHook {
  /** The step and keep probability of the mask shown. */
  maskStep: number;
  maskP: number;
  /** Counts redraws from the GPU. */
  masksVersion: number;
  /** 1-based hidden layer shown. */
  layer: number;
  keptCount: number;
  keptFraction: number;
  cells: number;
  replayMatch: boolean;
  replayCompared: number;
  selected: Cell;
}

/** What the section needs from the page. */
export interface MaskSectionOptions {
  hidden: readonly number[];
  batch: number;
  trainer: () => DropoutTrainer;
  queue: JobQueue;
  /** The page's source texts by path (the stage lines are searched in them). */
  texts: Readonly<Record<string, string>>;
  showSource(s: StageSource): void;
  /** After every render: the hook's fields. */
  shown(state: MaskHook): void;
}

/** The section: the grid panel and the derivation panel (main places them in two columns). */
export interface MaskSection {
  readonly gridPanel: HTMLElement;
  readonly derivationPanel: HTMLElement;
  /** Redraws the current step's masks from the GPU (bursts of calls share one redraw). */
  refresh(): Promise<void>;
  setLayer(i: number): void;
  /** A cell's derivation and the GPU's value for it, in the layer shown. */
  cellInfo(row: number, unit: number): CellDerivation & { gpu: number; step: number; layer: number; keepProb: number };
  /** The centre of a cell in client coordinates. */
  cellCenter(row: number, unit: number): { x: number; y: number };
}

export function maskSection(o: MaskSectionOptions): MaskSection {
  const { hidden, batch } = o;
  const gridPanel = el('div', 'panel grid-panel');
  const gridTitle = el('h2');
  const gridNote = html(
    'p',
    'note',
    "The mask the next training step applies, read back from the GPU: <code>dropout.wgsl</code> run with that step's key (seed, stream = layer, step), writing its mask. Blue units are kept (and scaled by 1/p), white ones dropped. <b>Hover a cell</b> to see why; click to pin it.",
  );
  const grid = maskGrid(batch, hidden[0], 576);
  const gridWrap = el('div', 'grid-wrap');
  const gridCol = el('div');
  gridCol.append(el('div', 'axis-x', `${hidden[0]} units of the hidden layer →`), grid.canvas);
  gridWrap.append(el('div', 'axis-y', `${batch} examples of the minibatch →`), gridCol);
  const legend = html(
    'div',
    'legend',
    `<span><i style="background:${GRID_COLORS.kept}"></i>kept</span><span><i style="background:${GRID_COLORS.dropped}"></i>dropped</span>` +
      `<span><i class="box" style="border-color:${GRID_COLORS.selected}"></i>one 32-bit word: 2 units</span><span><i class="box dashed" style="border-color:${GRID_COLORS.group}"></i>one Philox call: 8 units</span>`,
  );
  const keptLine = el('p', 'kept-line');
  const replayLine = el('p', 'replay-line');
  gridPanel.append(gridTitle, gridNote, gridWrap, legend, keptLine, replayLine);

  const { stages, host } = stageSources(o.texts);
  const view = derivationView(stages, host, o.showSource);
  const derivationPanel = el('div', 'panel derivation-panel');
  derivationPanel.append(view.element);

  let layer = 0;
  let masks: Float32Array[] = [];
  /** The key each shown mask was drawn with (the derivation recomputes exactly these). */
  let maskKeys: DropoutKey[] = [];
  let maskStep = 0;
  let maskP = 1;
  let version = 0;
  let pinned: Cell = { row: 0, unit: 0 };
  let hover: Cell | null = null;
  let replay = { match: false, compared: 0 };

  const units = (): number => hidden[layer];
  const keptCount = (): number => masks[layer]?.reduce((s, v) => s + v, 0) ?? 0;
  const derive = (c: Cell): CellDerivation => deriveCell(c.row, c.unit, units(), maskKeys[layer]);

  const render = (): void => {
    if (!masks[layer]) return;
    grid.draw(masks[layer], hover ?? pinned);
    gridTitle.textContent = `Step ${maskStep}'s mask, hidden layer ${layer + 1}`;
    const n = masks[layer].length;
    const kept = keptCount();
    const sd = Math.sqrt((maskP * (1 - maskP)) / n);
    setHtml(
      keptLine,
      `Kept <b>${kept.toLocaleString('en-US')}</b> of ${n.toLocaleString('en-US')} units = <b>${((100 * kept) / n).toFixed(1)}%</b>; expected p = ${(100 * maskP).toFixed(0)}% ± ${(100 * sd).toFixed(1)}% (one binomial standard deviation, √(p(1−p)/n)).`,
    );
    setHtml(
      replayLine,
      replay.match
        ? `<span class="ok">✓ Replay:</span> the GPU's masks of step ${maskStep} equal the TypeScript twin's (<code>dropoutMaskCpu</code>, engine/random/philox.ts) <b>bit for bit</b>: ${replay.compared.toLocaleString('en-US')} keep/drop decisions compared, every hidden layer.`
        : `<span class="bad">✗ Replay:</span> the GPU's masks and the TypeScript twin's differ (${replay.compared.toLocaleString('en-US')} compared).`,
    );
    const c = hover ?? pinned;
    const d = derive(c);
    view.show(d, { step: maskStep, layer: layer + 1, units: units(), keepProb: maskP, gpu: masks[layer][d.index] }, hover === null);
    o.shown({
      maskStep,
      maskP,
      masksVersion: version,
      layer: layer + 1,
      keptCount: kept,
      keptFraction: kept / n,
      cells: n,
      replayMatch: replay.match,
      replayCompared: replay.compared,
      selected: pinned,
    });
  };

  const refresh = coalesced(o.queue, async () => {
    const trainer = o.trainer();
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
    version++;
    render();
  });

  grid.canvas.addEventListener('mousemove', (e) => {
    const c = grid.cellAt(e);
    if (!c || (hover && c.row === hover.row && c.unit === hover.unit)) return;
    hover = c;
    render();
  });
  grid.canvas.addEventListener('mouseleave', () => {
    hover = null;
    render();
  });
  grid.canvas.addEventListener('click', (e) => {
    const c = grid.cellAt(e);
    if (!c) return;
    pinned = c;
    hover = null;
    render();
  });

  return {
    gridPanel,
    derivationPanel,
    refresh,
    setLayer(i) {
      layer = i;
      render();
    },
    cellInfo(row, unit) {
      const d = derive({ row, unit });
      return { ...d, gpu: masks[layer][d.index], step: maskStep, layer: layer + 1, keepProb: maskP };
    },
    cellCenter: (row, unit) => grid.cellCenter({ row, unit }),
  };
}
