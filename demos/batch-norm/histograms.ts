/**
 * Histograms drawn straight on a canvas: a few hidden units' pre-activations, one row per network,
 * the two rows of a column on the same x range so that drift and scale compare at a glance. A line
 * marks 0, where the ReLU that follows cuts: the share of values right of it is the share of
 * examples for which the unit is active.
 */
import { setHtml } from '../shared/dom';
import { columnStats, histogram } from './stats';

/** Colors of the two networks. */
export const COLORS = { plain: '#d9480f', bn: '#1f6feb' } as const;

const BINS = 30;
const W = 220;
const H = 96;

/** What one cell shows (and the test reads). */
export interface CellSummary {
  unit: number;
  mean: number;
  std: number;
  /** Share of values > 0 (the unit passes the ReLU). */
  active: number;
}

/** A grid of histograms: rows are networks, columns units. */
export interface HistogramGrid {
  readonly element: HTMLElement;
  /** Draws column u from each row's [rows, units] activations; returns what each cell shows. */
  draw(rows: readonly Float32Array[], units: number, shown: readonly number[]): CellSummary[][];
}

/** Column `unit` of a [rows, units] activation matrix: its mean, std and share of values > 0. */
export function cellSummary(a: Float32Array, units: number, unit: number): CellSummary {
  const rows = a.length / units;
  const { mean, variance } = columnStats(a, units, unit);
  let active = 0;
  for (let r = 0; r < rows; r++) if (a[r * units + unit] > 0) active++;
  return { unit, mean, std: Math.sqrt(variance), active: active / rows };
}

function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/** Builds the grid for `rowTitles` (one per network) × `columns` units. */
export function histogramGrid(rowTitles: readonly { title: string; color: string }[], columns: number): HistogramGrid {
  const element = document.createElement('div');
  element.className = 'hist-grid';
  element.style.gridTemplateColumns = `9rem repeat(${columns}, ${W}px)`;
  const heads: HTMLElement[] = [];
  element.append(document.createElement('div'));
  for (let c = 0; c < columns; c++) {
    const h = document.createElement('div');
    h.className = 'hist-head';
    heads.push(h);
    element.append(h);
  }
  const cells = rowTitles.map((r) => {
    const t = document.createElement('div');
    t.className = 'hist-row-title';
    setHtml(t, `<span style="color:${r.color}">■</span> ${r.title}`);
    element.append(t);
    return Array.from({ length: columns }, () => {
      const box = document.createElement('div');
      box.className = 'hist-cell';
      const canvas = histCanvas();
      const label = document.createElement('div');
      label.className = 'hist-label';
      box.append(canvas, label);
      element.append(box);
      return { canvas, label };
    });
  });

  return {
    element,
    draw(data, units, shown) {
      const out: CellSummary[][] = data.map(() => []);
      shown.forEach((unit, c) => {
        // One x range per column: the central 99% of both networks' values together, and 0.
        const rowsN = data[0].length / units;
        const all = new Float32Array(rowsN * data.length);
        data.forEach((a, r) => {
          for (let i = 0; i < rowsN; i++) all[r * rowsN + i] = a[i * units + unit];
        });
        all.sort();
        let lo = Math.min(0, quantile(all, 0.005));
        let hi = Math.max(0, quantile(all, 0.995));
        const pad = 0.05 * (hi - lo || 1);
        lo -= pad;
        hi += pad;
        setHtml(heads[c], `unit ${unit} <span class="note">x from ${lo.toFixed(2)} to ${hi.toFixed(2)}</span>`);
        data.forEach((a, r) => {
          const counts = histogram(a, units, unit, lo, hi, BINS);
          const s = cellSummary(a, units, unit);
          out[r].push(s);
          drawCell(cells[r][c].canvas, counts, lo, hi, rowTitles[r].color, s.mean);
          cells[r][c].label.textContent = `mean ${s.mean.toFixed(2)} · std ${s.std.toFixed(2)} · ${(100 * s.active).toFixed(0)}% > 0`;
        });
      });
      return out;
    },
  };
}

/** Draws `values` as a histogram of `bins` bins over [lo, hi] on `canvas` (sized by {@link histCanvas}), with a tick at `marker`. */
export function drawValues(canvas: HTMLCanvasElement, values: readonly number[], lo: number, hi: number, bins: number, color: string, marker: number): void {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)))]++;
  drawCell(canvas, counts, lo, hi, color, marker);
}

/** A canvas of the histograms' size, sharp on high-density screens. */
export function histCanvas(): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = W * devicePixelRatio;
  canvas.height = H * devicePixelRatio;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  return canvas;
}

function drawCell(canvas: HTMLCanvasElement, counts: readonly number[], lo: number, hi: number, color: string, mean: number): void {
  const g = canvas.getContext('2d')!;
  const dpr = devicePixelRatio;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  g.fillStyle = '#f6f8fa';
  g.fillRect(0, 0, W, H);
  const max = Math.max(1, ...counts);
  const bw = W / counts.length;
  g.fillStyle = color;
  g.globalAlpha = 0.75;
  counts.forEach((n, i) => {
    const h = ((H - 6) * n) / max;
    g.fillRect(i * bw + 0.5, H - h, bw - 1, h);
  });
  g.globalAlpha = 1;
  const xOf = (v: number): number => ((v - lo) / (hi - lo)) * W;
  // The ReLU's cut.
  g.strokeStyle = '#1b1f24';
  g.setLineDash([3, 3]);
  g.beginPath();
  g.moveTo(xOf(0), 0);
  g.lineTo(xOf(0), H);
  g.stroke();
  g.setLineDash([]);
  // The mean.
  g.strokeStyle = color;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(xOf(mean), 0);
  g.lineTo(xOf(mean), 8);
  g.stroke();
  g.lineWidth = 1;
  g.fillStyle = '#5b6573';
  g.font = '10px system-ui, sans-serif';
  g.fillText('0', xOf(0) + 3, 11);
}
