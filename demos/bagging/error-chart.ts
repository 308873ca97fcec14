/**
 * The chart of eq. 7.50 against k: the book's curve v/k + (k − 1)c/k as a line, one particular
 * ensemble (the first k members) as a thin line, the measured ensemble error as dots drawn over
 * both, and v (one member) and c (the floor as k → ∞) as dashed levels. uPlot directly, because
 * the shared live chart draws only lines and the measurement should read as points on the curve.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { KRow } from './stats';

/** Colours, also used in the page's text. */
export const CHART_COLORS = { measured: '#1f6feb', curve: '#e8590c', firstK: '#8c959f', v: '#cf222e', c: '#1a7f37', reference: '#8250df' } as const;

/** A chart that is redrawn with the rows of every k. */
export interface ErrorChart {
  readonly element: HTMLElement;
  /** Shows the rows, v and c, and (if given) a reference level such as a single weight-scaled pass. */
  set(rows: readonly KRow[], v: number, c: number, reference?: number): void;
}

const hidePath = (): null => null;

/** Zoomed on the data (v, c and every point are in it), so that the fall from v toward c is visible. */
function yRange(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const span = Math.max(max - min, 0.02 * Math.max(Math.abs(max), 1e-3));
  return [Math.max(0, min - 0.15 * span), max + 0.12 * span];
}

/** A chart `width` × `height` CSS pixels; `referenceLabel` names the optional extra level. */
export function errorChart(parent: HTMLElement, title: string, memberWord: string, width: number, referenceLabel?: string): ErrorChart {
  const element = document.createElement('div');
  element.className = 'chart error-chart';
  parent.append(element);
  const series: uPlot.Series[] = [
    { label: 'k' },
    { label: 'v/k + (k − 1)c/k (eq. 7.50)', stroke: CHART_COLORS.curve, width: 2 },
    { label: `the first k ${memberWord} only`, stroke: CHART_COLORS.firstK, width: 1, points: { show: true, size: 5 } },
    {
      label: `measured: mean over all ensembles of k ${memberWord}`,
      stroke: CHART_COLORS.measured,
      paths: hidePath,
      points: { show: true, size: 10, fill: CHART_COLORS.measured, stroke: CHART_COLORS.measured },
    },
    { label: 'v', stroke: CHART_COLORS.v, width: 1.5, dash: [6, 4], points: { show: false } },
    { label: 'c', stroke: CHART_COLORS.c, width: 1.5, dash: [6, 4], points: { show: false } },
  ];
  if (referenceLabel) series.push({ label: referenceLabel, stroke: CHART_COLORS.reference, width: 1.5, dash: [2, 3], points: { show: false } });
  const empty = series.map(() => [] as number[]);
  const plot = new uPlot(
    {
      title,
      width,
      height: 260,
      scales: { x: { time: false, range: (_u, min, max) => [Math.min(min, 1) - 0.25, Math.max(max, 2) + 0.25] }, y: { range: yRange } },
      axes: [
        { label: 'k (members averaged)', values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
        { label: 'mean squared error ‖p̄ − y‖²', size: 60 },
      ],
      legend: { live: false },
      series,
    },
    empty as uPlot.AlignedData,
    element,
  );
  return {
    element,
    set(rows, v, c, reference) {
      const xs = rows.map((r) => r.k);
      const level = (x: number): number[] => rows.map(() => x);
      const data: (number | null)[][] = [
        xs,
        rows.map((r) => r.predicted),
        rows.map((r) => r.firstK),
        rows.map((r) => r.subsetMean),
        level(v),
        rows.map(() => (Number.isFinite(c) ? c : null)),
      ];
      if (referenceLabel) data.push(level(reference ?? NaN).map((x) => (Number.isFinite(x) ? x : null)));
      plot.setData(data as uPlot.AlignedData);
    },
  };
}
