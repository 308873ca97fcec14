/**
 * The training and validation loss of the early-stopped run, with what early stopping is doing
 * drawn over them: the patience window after the best evaluation so far (shaded: if no later
 * evaluation beats the best before its right edge, training stops there) and the best point, which
 * becomes the "restored" marker once training has stopped.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { CurvePoint } from './mnist-run';

/** What the overlay shows. */
export interface CurveMarks {
  bestStep: number | null;
  /** Steps the window spans: patience · evalEvery. */
  window: number;
  stoppedStep: number | null;
  restored: boolean;
}

const TRAIN = '#2da44e';
const VAL = '#cf222e';
const BEST = '#1f6feb';

/** The loss chart; `update` redraws it. */
export function lossCurves(parent: HTMLElement, size: { width: number; height: number }): { update(points: readonly CurvePoint[], marks: CurveMarks): void } {
  let marks: CurveMarks = { bestStep: null, window: 0, stoppedStep: null, restored: false };
  const overlay: uPlot.Plugin = {
    hooks: {
      drawClear: (u) => {
        // Under the curves: the patience window.
        if (marks.bestStep === null) return;
        const c = u.ctx;
        const x0 = u.valToPos(marks.bestStep, 'x', true);
        const x1 = u.valToPos(marks.bestStep + marks.window, 'x', true);
        const left = Math.max(x0, u.bbox.left);
        const right = Math.min(x1, u.bbox.left + u.bbox.width);
        if (right <= left) return;
        c.save();
        c.fillStyle = 'rgba(255, 196, 0, 0.18)';
        c.fillRect(left, u.bbox.top, right - left, u.bbox.height);
        c.restore();
      },
      draw: (u) => {
        if (marks.bestStep === null) return;
        const c = u.ctx;
        const dpr = uPlot.pxRatio;
        c.save();
        c.font = `${12 * dpr}px system-ui, sans-serif`;
        const x = u.valToPos(marks.bestStep, 'x', true);
        c.strokeStyle = BEST;
        c.lineWidth = 2 * dpr;
        c.beginPath();
        c.moveTo(x, u.bbox.top);
        c.lineTo(x, u.bbox.top + u.bbox.height);
        c.stroke();
        c.fillStyle = BEST;
        const label = marks.restored ? `↺ restored: step ${marks.bestStep}` : `best so far: step ${marks.bestStep}`;
        c.fillText(label, x + 5 * dpr, u.bbox.top + 14 * dpr);
        c.fillStyle = '#8a6d00';
        c.fillText('patience window', x + 5 * dpr, u.bbox.top + 30 * dpr);
        if (marks.stoppedStep !== null) {
          const xs = u.valToPos(marks.stoppedStep, 'x', true);
          c.strokeStyle = '#5b6573';
          c.setLineDash([4 * dpr, 4 * dpr]);
          c.lineWidth = dpr;
          c.beginPath();
          c.moveTo(xs, u.bbox.top);
          c.lineTo(xs, u.bbox.top + u.bbox.height);
          c.stroke();
          c.fillStyle = '#5b6573';
          const text = `stopped: ${marks.stoppedStep}`;
          c.fillText(text, xs - c.measureText(text).width - 4 * dpr, u.bbox.top + u.bbox.height - 8 * dpr);
        }
        c.restore();
      },
    },
  };
  const plot = new uPlot(
    {
      title: 'Loss on 500 training digits and on 500 validation digits',
      width: size.width,
      height: size.height,
      plugins: [overlay],
      legend: { live: false },
      scales: {
        x: { time: false, range: (_u, _min, max) => [0, Math.max(max ?? 0, (marks.bestStep ?? 0) + marks.window, 10)] },
        y: { range: (_u, _min, max) => [0, Math.min(Math.max(max, 0.5) * 1.05, 2.5)] },
      },
      axes: [{ label: 'training step' }, { label: 'cross-entropy' }],
      series: [
        { label: 'step' },
        { label: 'training loss', stroke: TRAIN, width: 2 },
        { label: 'validation loss', stroke: VAL, width: 2, points: { show: true, size: 5 } },
      ],
    },
    [[], [], []],
    parent,
  );
  return {
    update(points, m) {
      marks = m;
      plot.setData([points.map((p) => p.step), points.map((p) => p.trainLoss), points.map((p) => p.valLoss)]);
    },
  };
}
