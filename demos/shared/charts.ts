/**
 * Live charts with uPlot: x is the training step, one line per series; `push` appends a point and
 * redraws. Bands (a mean ± spread) are drawn as two series filled between.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line. */
export interface SeriesSpec {
  label: string;
  color: string;
}

/** A chart that grows as training runs. */
export interface LiveChart {
  push(x: number, ys: readonly number[]): void;
  /** Replaces every point. */
  set(xs: readonly number[], ys: readonly (readonly number[])[]): void;
  clear(): void;
  readonly element: HTMLElement;
}

/** A line chart of `series` against x, `width` × `height` CSS pixels. */
export function liveChart(
  parent: HTMLElement,
  title: string,
  xLabel: string,
  series: readonly SeriesSpec[],
  size = { width: 420, height: 220 },
  yRange?: [number, number],
): LiveChart {
  const element = document.createElement('div');
  element.className = 'chart';
  parent.append(element);
  const xs: number[] = [];
  const ys: number[][] = series.map(() => []);
  const plot = new uPlot(
    {
      title,
      width: size.width,
      height: size.height,
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [{ label: xLabel }, {}],
      series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
    },
    [xs, ...ys],
    element,
  );
  const redraw = (): void => plot.setData([xs, ...ys]);
  return {
    element,
    push(x, values) {
      xs.push(x);
      values.forEach((v, i) => ys[i].push(v));
      redraw();
    },
    set(newXs, newYs) {
      xs.length = 0;
      xs.push(...newXs);
      newYs.forEach((col, i) => {
        ys[i].length = 0;
        ys[i].push(...col);
      });
      redraw();
    },
    clear() {
      xs.length = 0;
      for (const y of ys) y.length = 0;
      redraw();
    },
  };
}
