/**
 * uPlot line charts for this page, configured directly: dashed series (the network without batch
 * norm), a log-scale x axis (batch sizes), a fixed y range where one helps reading.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line. */
export interface LineSpec {
  label: string;
  color: string;
  dash?: number[];
  /** Points only (no line), e.g. a marker. */
  points?: boolean;
  width?: number;
}

/** Chart options. */
export interface LinesOptions {
  width: number;
  height: number;
  xLabel: string;
  yLabel?: string;
  logX?: boolean;
  yRange?: [number, number];
}

/** A chart whose data is replaced at once. */
export interface Lines {
  readonly element: HTMLElement;
  set(xs: readonly number[], ys: readonly (readonly (number | null)[])[]): void;
}

/** A line chart of `series` against x. */
export function lines(parent: HTMLElement, title: string, series: readonly LineSpec[], o: LinesOptions): Lines {
  const element = document.createElement('div');
  element.className = 'chart';
  parent.append(element);
  const plot = new uPlot(
    {
      title,
      // Labels only: the values under the cursor would be a row of "--" most of the time.
      legend: { live: false },
      width: o.width,
      height: o.height,
      scales: { x: o.logX ? { time: false, distr: 3, log: 2 } : { time: false }, y: o.yRange ? { range: o.yRange } : {} },
      axes: [{ label: o.xLabel }, o.yLabel ? { label: o.yLabel } : {}],
      series: [
        { label: o.xLabel },
        ...series.map((s) =>
          s.points
            ? { label: s.label, stroke: s.color, width: 0, points: { show: true, size: 10, fill: s.color } }
            : { label: s.label, stroke: s.color, width: s.width ?? 1.5, dash: s.dash, points: { show: false } },
        ),
      ],
    },
    [[], ...series.map(() => [])],
    element,
  );
  return {
    element,
    set(xs, ys) {
      plot.setData([xs as number[], ...(ys as (number | null)[][])]);
    },
  };
}
