/**
 * The page's uPlot charts, configured directly where the shared `liveChart` (one x array, no gaps)
 * does not fit: training curves whose series arrive at different steps (minibatch metrics every
 * step, held-out metrics once an epoch), and the Monte-Carlo convergence with a standard-error band.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Classification } from './infer';

/** One series of a curve chart. */
export interface CurveSeries {
  label: string;
  color: string;
  /** Line width in CSS pixels (default 2). */
  width?: number;
  /** Draw a dot at every point (sparse series). */
  points?: boolean;
}

/** A chart of series against the training step; a series may skip steps (null). */
export interface CurveChart {
  push(x: number, ys: readonly (number | null)[]): void;
  clear(): void;
  readonly element: HTMLElement;
}

/** Curves against the training step, `size` CSS pixels, optional fixed y range. */
export function curveChart(
  parent: HTMLElement,
  title: string,
  series: readonly CurveSeries[],
  size: { width: number; height: number },
  yRange?: [number, number],
): CurveChart {
  const element = document.createElement('div');
  element.className = 'chart';
  parent.append(element);
  const xs: number[] = [];
  const ys: (number | null)[][] = series.map(() => []);
  const plot = new uPlot(
    {
      title,
      width: size.width,
      height: size.height,
      legend: { live: false },
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [{ label: 'minibatch step' }, {}],
      series: [
        { label: 'step' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          spanGaps: true,
          points: s.points ? { show: true, size: 5, fill: s.color } : { show: false },
        })),
      ],
    },
    [xs, ...ys] as uPlot.AlignedData,
    element,
  );
  const redraw = (): void => plot.setData([xs, ...ys] as uPlot.AlignedData);
  return {
    element,
    push(x, values) {
      // Points arrive in step order except that an epoch's held-out point can follow minibatch
      // points of the same step: merge equal steps into one column.
      const last = xs.length - 1;
      if (last >= 0 && xs[last] === x) {
        values.forEach((v, i) => {
          if (v !== null) ys[i][last] = v;
        });
      } else {
        xs.push(x);
        values.forEach((v, i) => ys[i].push(v));
      }
      redraw();
    },
    clear() {
      xs.length = 0;
      for (const y of ys) y.length = 0;
      redraw();
    },
  };
}

/** The Monte-Carlo estimate of p̄(top class) against the number of masks N. */
export interface ConvergenceChart {
  set(c: Classification | null): void;
  readonly element: HTMLElement;
}

/**
 * Lines: the estimate from the first N masks with a ±1 standard-error band (the Monte-Carlo error,
 * shrinking as 1/√N), the spread of the masks' predictions (which does not shrink: it is the
 * model's), and weight scaling's single pass (flat). x on a log₂ scale.
 */
export function convergenceChart(parent: HTMLElement, size: { width: number; height: number }): ConvergenceChart {
  const element = document.createElement('div');
  element.className = 'chart';
  parent.append(element);
  const empty: uPlot.AlignedData = [[], [], [], [], [], []];
  const plot = new uPlot(
    {
      title: 'Monte-Carlo estimate of p̄(top class) as N grows',
      width: size.width,
      height: size.height,
      legend: { live: false },
      scales: { x: { time: false, distr: 3, log: 2 }, y: { range: [0, 1] } },
      axes: [{ label: 'masks N (log scale)' }, {}],
      series: [
        { label: 'N' },
        { label: 'MC mean of first N', stroke: '#1f6feb', width: 2, points: { show: true, size: 5, fill: '#1f6feb' } },
        // The band's edges: no legend entries of their own (train.css hides .band-edge; the note names the band).
        { label: '+1 s.e.', stroke: 'rgba(31,111,235,0.35)', width: 1, class: 'band-edge' },
        { label: '−1 s.e.', stroke: 'rgba(31,111,235,0.35)', width: 1, class: 'band-edge' },
        { label: 'spread (s.d. over masks)', stroke: '#d9480f', width: 1.5, dash: [5, 4] },
        { label: 'weight scaling', stroke: '#57606a', width: 1.5, dash: [2, 3] },
      ],
      bands: [{ series: [2, 3], fill: 'rgba(31,111,235,0.15)' }],
    },
    empty,
    element,
  );
  return {
    element,
    set(c) {
      if (!c) {
        plot.setData(empty);
        return;
      }
      const { n, mean, std, stdError } = c.convergence;
      const ws = c.weightScaling[c.top];
      plot.setData([n, mean, mean.map((m, i) => m + stdError[i]), mean.map((m, i) => m - stdError[i]), std, n.map(() => ws)]);
    },
  };
}

/** Uncertainty of the drawn digit against the rotation angle. */
export interface SweepChart {
  set(angles: readonly number[], entropy: readonly number[], spread: readonly number[], topProb: readonly number[]): void;
  readonly element: HTMLElement;
}

/** Predictive entropy (bits, left axis) and the top class's probability and spread (right axis) against the angle in degrees. */
export function sweepChart(parent: HTMLElement, size: { width: number; height: number }): SweepChart {
  const element = document.createElement('div');
  element.className = 'chart';
  parent.append(element);
  const plot = new uPlot(
    {
      title: 'Uncertainty as the digit turns',
      width: size.width,
      height: size.height,
      legend: { live: false },
      scales: { x: { time: false }, bits: { range: [0, Math.log2(10)] }, p: { range: [0, 1] } },
      axes: [{ label: 'rotation (degrees)' }, { scale: 'bits', label: 'entropy (bits)' }, { scale: 'p', side: 1, grid: { show: false }, label: 'probability' }],
      series: [
        { label: 'angle' },
        { label: 'entropy H[p̄] (bits)', scale: 'bits', stroke: '#8250df', width: 2, points: { show: true, size: 4, fill: '#8250df' } },
        { label: 'p̄(top)', scale: 'p', stroke: '#1f6feb', width: 2 },
        { label: 's.d. of p(top) over masks', scale: 'p', stroke: '#d9480f', width: 1.5, dash: [5, 4] },
      ],
    },
    [[], [], [], []],
    element,
  );
  return {
    element,
    set(angles, entropy, spread, topProb) {
      plot.setData([[...angles], [...entropy], [...topProb], [...spread]]);
    },
  };
}
