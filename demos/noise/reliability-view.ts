/**
 * A reliability diagram and a confidence histogram on canvases: for each bin of top probability, a
 * bar as tall as the bin's accuracy, the diagonal where accuracy equals confidence, and a marker at
 * the bin's mean confidence (a bar below its marker: over-confident; above: under-confident).
 */
import { hidpiCanvas } from '../shared/canvas';
import { pct, setHtml } from '../shared/dom';
import type { Calibration } from './calibration';

/** Sizes in CSS pixels. */
const W = 228;
const H = 230;
const HIST_H = 92;
const PAD = { left: 36, right: 8, top: 8, bottom: 30 };

/** The two canvases of one model. */
export interface ReliabilityView {
  readonly element: HTMLElement;
  draw(c: Calibration | null): void;
}

/** A titled reliability diagram and histogram in `color`. */
export function reliabilityView(title: string, color: string): ReliabilityView {
  const element = document.createElement('div');
  element.className = 'reliability';
  const h = document.createElement('h3');
  h.textContent = title;
  const diag = hidpiCanvas(W, H, 'reliability-diagram', 'reliability-view');
  const hist = hidpiCanvas(W, HIST_H, 'confidence-hist', 'reliability-view');
  const caption = document.createElement('p');
  caption.className = 'note rel-caption';
  element.append(h, diag.canvas, hist.canvas, caption);
  const draw = (c: Calibration | null): void => {
    drawDiagram(diag.ctx, c, color);
    drawHistogram(hist.ctx, c, color);
    setHtml(
      caption,
      c ? `mean confidence <b>${pct(c.meanConfidence)}</b>, accuracy ${pct(c.accuracy)}: ${overUnder(c)}; ECE ${pct(c.ece)}` : 'not trained yet',
    );
  };
  draw(null);
  return { element, draw };
}

/** Whether the model claims more than it achieves on average (mean confidence against accuracy). */
function overUnder(c: Calibration): string {
  const d = c.meanConfidence - c.accuracy;
  if (Math.abs(d) < 0.01) return 'about as sure as it is right';
  return d > 0 ? `over-confident by ${(100 * d).toFixed(1)} points` : `under-confident by ${(100 * -d).toFixed(1)} points`;
}

function frame(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  yLabel: string,
  xLabel: string,
  yTicks: readonly number[],
  yMax: number,
): { x: (v: number) => number; y: (v: number) => number } {
  ctx.clearRect(0, 0, width, height);
  const pw = width - PAD.left - PAD.right;
  const ph = height - PAD.top - PAD.bottom;
  const x = (v: number): number => PAD.left + v * pw;
  const y = (v: number): number => PAD.top + ph * (1 - v / yMax);
  ctx.strokeStyle = '#d6dbe1';
  ctx.fillStyle = '#5b6573';
  ctx.font = '10px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) {
    ctx.beginPath();
    ctx.moveTo(x(0), y(t) + 0.5);
    ctx.lineTo(x(1), y(t) + 0.5);
    ctx.stroke();
    ctx.fillText(t.toFixed(yMax === 1 ? 1 : 2), x(0) - 4, y(t));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let t = 0; t <= 1.0001; t += 0.2) ctx.fillText(t.toFixed(1), x(t), y(0) + 3);
  ctx.fillText(xLabel, x(0.5), y(0) + 15);
  ctx.save();
  ctx.translate(10, y(yMax / 2));
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, -6);
  ctx.restore();
  return { x, y };
}

function drawDiagram(ctx: CanvasRenderingContext2D, c: Calibration | null, color: string): void {
  const { x, y } = frame(ctx, W, H, 'accuracy', 'confidence (top probability)', [0, 0.2, 0.4, 0.6, 0.8, 1], 1);
  if (c) {
    for (const b of c.bins) {
      if (b.count === 0) continue;
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.75;
      ctx.fillRect(x(b.lo) + 1, y(b.accuracy), x(b.hi) - x(b.lo) - 2, y(0) - y(b.accuracy));
      ctx.globalAlpha = 1;
      // The gap between what the model claims (its mean confidence) and what it achieves.
      ctx.fillStyle = 'rgba(180, 35, 24, 0.28)';
      const top = Math.min(y(b.accuracy), y(b.confidence));
      ctx.fillRect(x(b.lo) + 1, top, x(b.hi) - x(b.lo) - 2, Math.abs(y(b.accuracy) - y(b.confidence)));
      ctx.strokeStyle = '#b42318';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x(b.lo) + 1, y(b.confidence));
      ctx.lineTo(x(b.hi) - 1, y(b.confidence));
      ctx.stroke();
    }
  }
  ctx.strokeStyle = '#1b1f24';
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(x(0), y(0));
  ctx.lineTo(x(1), y(1));
  ctx.stroke();
  ctx.setLineDash([]);
}

function drawHistogram(ctx: CanvasRenderingContext2D, c: Calibration | null, color: string): void {
  const fractions = c ? c.histogram.map((n) => n / c.count) : [];
  const top = Math.max(0.25, Math.ceil(Math.max(0, ...fractions) * 4) / 4);
  const { x, y } = frame(ctx, W, HIST_H, 'share', 'confidence', [0, top], top);
  ctx.fillStyle = color;
  const n = fractions.length;
  fractions.forEach((f, i) => {
    if (f > 0) ctx.fillRect(x(i / n) + 0.5, y(f), x((i + 1) / n) - x(i / n) - 1, y(0) - y(f));
  });
}
