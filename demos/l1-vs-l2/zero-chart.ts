/**
 * The exact-zero count over training, with uPlot: a red line for weights that are exactly 0, a grey
 * one for weights within 10⁻³ of 0 but not 0, and the stretches trained with each L1 method shaded
 * and named (so a switch of the toggle shows where it happened).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One point: the counts after `step` steps, and the method those steps used. */
export interface ZeroChartPoint {
  step: number;
  zeros: number;
  near: number;
  method: string;
}

/** The chart and its update. */
export interface ZeroChart {
  readonly element: HTMLElement;
  set(points: readonly ZeroChartPoint[]): void;
}

/** Shading of the stretches trained with subgradient L1 (proximal stays white). */
const SUBGRADIENT_FILL = 'rgba(140, 149, 159, 0.13)';

/** A `width` × `height` chart; `nearLabel` names the grey line. */
export function zeroChart(parent: HTMLElement, width: number, height: number, nearLabel: string): ZeroChart {
  const element = document.createElement('div');
  element.className = 'chart zero-chart';
  parent.append(element);
  let points: readonly ZeroChartPoint[] = [];
  const compact = (v: number): string => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(v));
  const plot = new uPlot(
    {
      title: 'Exact zeros, first layer',
      width,
      height,
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.25)] } },
      axes: [{ label: 'step' }, { size: 48, values: (_u, vals) => vals.map(compact) }],
      series: [{ label: 'step' }, { label: 'exactly 0', stroke: '#d1242f', width: 2 }, { label: nearLabel, stroke: '#8c959f', width: 2 }],
      hooks: {
        drawClear: [
          (u) => {
            // Shade each stretch trained with the subgradient; write the method's name over each stretch.
            const ctx = u.ctx;
            const { top, height: h } = u.bbox;
            ctx.save();
            ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
            let i = 1;
            while (i < points.length) {
              const m = points[i].method;
              let j = i;
              while (j + 1 < points.length && points[j + 1].method === m) j++;
              const x0 = u.valToPos(points[i - 1].step, 'x', true);
              const x1 = u.valToPos(points[j].step, 'x', true);
              if (m === 'subgradient') {
                ctx.fillStyle = SUBGRADIENT_FILL;
                ctx.fillRect(x0, top, x1 - x0, h);
              }
              ctx.fillStyle = '#5b6573';
              ctx.textAlign = 'center';
              if (x1 - x0 > 60 * devicePixelRatio) ctx.fillText(m, (x0 + x1) / 2, top + 14 * devicePixelRatio);
              i = j + 1;
            }
            ctx.restore();
          },
        ],
      },
    },
    [[], [], []],
    element,
  );
  return {
    element,
    set(next) {
      points = next;
      plot.setData([next.map((p) => p.step), next.map((p) => p.zeros), next.map((p) => p.near)]);
    },
  };
}
