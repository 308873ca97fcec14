/**
 * The CNN's first-layer filters drawn live: each conv1 filter (5×5) as a tile of scaled-up cells, red
 * for a positive weight and blue for a negative one, white at 0, on one colour scale for the whole
 * run (twice the root mean square of the run's first reading: a filter shrinking under L2 fades
 * instead of being stretched back to full contrast); each tile's norm under it, and the bank's beside the norm it
 * started from. Two switches restart the run with L2 (α = 1e-2) and dropout (the dense layer's
 * units, keep 0.5) on or off, so that a visitor compares the filters with the same seed.
 */
import { hidpiCanvas } from '../shared/canvas';
import { el } from '../shared/dom';
import { filterNorms, filterPixels, type FilterBank } from './filters';

/** CSS pixels per weight in a tile. */
export const FILTER_CELL = 16;
/** The L2 α and the hidden keep p the switches turn on. */
export const SWITCH_L2 = 1e-2;
export const SWITCH_KEEP = 0.5;

/** Red for positive, blue for negative (the colours of the L1 vs L2 page's weight images). */
const POSITIVE = [209, 36, 47] as const;
const NEGATIVE = [31, 111, 235] as const;

/** The colour of weight `w` on the scale ±`r`: white at 0, full colour at |w| ≥ r. */
export function weightColor(w: number, r: number): [number, number, number] {
  const t = Math.min(1, Math.abs(w) / r);
  const c = w >= 0 ? POSITIVE : NEGATIVE;
  return [0, 1, 2].map((i) => Math.round(255 + t * (c[i] - 255))) as [number, number, number];
}

/** The filters as drawn, as the test hook shows them. */
export interface FiltersHook {
  /** Steps taken when they were read. */
  step: number;
  /** Each filter's kernel × kernel weights, row-major, as read back from the arena. */
  values: number[][];
  kernel: number;
  /** Each filter's norm and the whole bank's. */
  norms: number[];
  total: number;
  /** The tiles' colour scale: full colour at |w| ≥ scale. */
  scale: number;
}

/** What the page does with the box. */
export interface FilterPanel {
  readonly element: HTMLElement;
  /** Shows the box for a CNN (`cnn`) or the line saying the MLP has none; checks the switches as the settings are. */
  setModel(cnn: boolean, l2On: boolean, dropoutOn: boolean): void;
  /** Forgets the colour scale, the starting norm and the last step drawn: the next bank drawn sets them. */
  reset(): void;
  /** Draws `bank` and returns what it drew; null (nothing drawn) for a reading older than the one shown. */
  draw(bank: FilterBank): FiltersHook | null;
}

/** The box; `onSwitch` receives the switches' new state (a restart). */
export function filterPanel(onSwitch: (l2On: boolean, dropoutOn: boolean) => void): FilterPanel {
  const element = el('div', 'filters-box');
  element.append(el('h3', undefined, 'The CNN’s first-layer filters, live'));
  const mlpLine = el('p', 'note', 'The MLP has no filters: choose model = CNN above to watch its 5×5 first-layer filters learn here.');
  const body = el('div', 'filters-body');
  const what = el(
    'p',
    'note filters-what',
    'What to see: from the same seed, with L2 on the tiles stay paler and the norm ‖W₁‖ levels off within a few epochs, while with L2 off it keeps growing (the penalty pulls every weight toward 0 at each step); dropout on the dense layer slows the filters’ growth too.',
  );
  const switches = el('div', 'filter-switches');
  const box = (name: string, text: string, title: string): HTMLInputElement => {
    const label = el('label');
    label.title = title;
    const input = el('input');
    input.type = 'checkbox';
    input.name = name;
    input.addEventListener('change', () => onSwitch(l2Box.checked, dropBox.checked));
    label.append(input, text);
    switches.append(label);
    return input;
  };
  const l2Box = box('filters-l2', `L2 (α = ${SWITCH_L2.toExponential(0)})`, 'Restarts with the L2 α of the form set to 1e-2 (checked) or 0.');
  const dropBox = box(
    'filters-dropout',
    `dropout (dense, keep ${SWITCH_KEEP})`,
    'Restarts with the hidden keep p set to 0.5 (checked) or 1: in the CNN it drops the dense layer’s units.',
  );
  const tiles = el('div', 'filter-tiles');
  const line = el('p', 'filters-line', 'no reading yet');
  const legend = hidpiCanvas(120, 12, 'filter-legend', 'filter legend');
  const legendRow = el('div', 'filter-legend-row');
  const legendLeft = el('span');
  const legendRight = el('span');
  legendRow.append(legendLeft, legend.canvas, legendRight);
  body.append(what, switches, tiles, legendRow, line);
  element.append(mlpLine, body);

  let scale: number | null = null;
  let startNorm: number | null = null;
  /** Readings land in step order, but the one after an epoch may overtake a live one still in flight. */
  let shownStep = -1;
  const canvases: { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; caption: HTMLElement }[] = [];
  const drawLegend = (r: number): void => {
    const { ctx } = legend;
    for (let x = 0; x < 120; x++) {
      const [R, G, B] = weightColor(((x + 0.5) / 60 - 1) * r, r);
      ctx.fillStyle = `rgb(${R}, ${G}, ${B})`;
      ctx.fillRect(x, 0, 1, 12);
    }
    legendLeft.textContent = `−${r.toFixed(2)}`;
    legendRight.textContent = `+${r.toFixed(2)} (and beyond)`;
  };

  return {
    element,
    setModel(cnn, l2On, dropoutOn) {
      mlpLine.hidden = cnn;
      body.hidden = !cnn;
      l2Box.checked = l2On;
      dropBox.checked = dropoutOn;
    },
    reset() {
      scale = null;
      startNorm = null;
      shownStep = -1;
      line.textContent = 'no reading yet';
    },
    draw(bank) {
      if (bank.step < shownStep) return null;
      shownStep = bank.step;
      const k = bank.kernel;
      const side = k * FILTER_CELL;
      while (canvases.length > bank.count) canvases.pop()?.canvas.parentElement?.remove();
      while (canvases.length < bank.count) {
        const figure = el('figure', 'filter');
        const c = hidpiCanvas(side, side, 'filter-tile', 'filter tile');
        c.canvas.dataset.index = String(canvases.length);
        const caption = el('figcaption');
        figure.append(c.canvas, caption);
        tiles.append(figure);
        canvases.push({ ...c, caption });
      }
      const norms = filterNorms(bank);
      const values: number[][] = [];
      if (scale === null) {
        scale = Math.max(1e-6, (2 * norms.total) / Math.sqrt(bank.values.length));
        startNorm = norms.total;
        drawLegend(scale);
      }
      for (let f = 0; f < bank.count; f++) {
        const { ctx, caption } = canvases[f];
        const w = filterPixels(bank, f);
        values.push([...w]);
        for (let i = 0; i < k * k; i++) {
          const [R, G, B] = weightColor(w[i], scale);
          ctx.fillStyle = `rgb(${R}, ${G}, ${B})`;
          ctx.fillRect((i % k) * FILTER_CELL, Math.floor(i / k) * FILTER_CELL, FILTER_CELL, FILTER_CELL);
        }
        caption.textContent = `‖w‖ ${norms.each[f].toFixed(2)}`;
      }
      line.textContent = `step ${bank.step}: ‖W₁‖ = ${norms.total.toFixed(3)} (${startNorm?.toFixed(3)} at the first reading of this run)`;
      return { step: bank.step, values, kernel: k, norms: norms.each, total: norms.total, scale };
    },
  };
}
