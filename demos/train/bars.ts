/**
 * The per-class prediction of the drawn digit as a bar chart on a canvas: for each digit, weight
 * scaling's single pass (grey) beside the Monte-Carlo mean (blue) with an error bar of ±1 standard
 * deviation over the masks (the spread of the sampled sub-networks, not the error of the mean).
 */
import type { Classification } from './infer';

/** A bar chart that redraws from a classification. */
export interface BarChart {
  readonly canvas: HTMLCanvasElement;
  set(c: Classification | null): void;
}

const WS = '#8c959f';
const MC = '#1f6feb';
const INK = '#1b1f24';
const MUTED = '#5b6573';

/** A `width` × `height` CSS-pixel bar chart. */
export function barChart(width: number, height: number): BarChart {
  const canvas = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = 'bars';
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('bar chart: no 2D context');
  const pad = { left: 34, right: 8, top: 26, bottom: 22 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const y = (p: number): number => pad.top + plotH * (1 - p);

  const draw = (c: Classification | null): void => {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    // Axes and grid.
    ctx.strokeStyle = '#e6e9ed';
    ctx.fillStyle = MUTED;
    ctx.lineWidth = 1;
    for (const p of [0, 0.25, 0.5, 0.75, 1]) {
      ctx.beginPath();
      ctx.moveTo(pad.left, Math.round(y(p)) + 0.5);
      ctx.lineTo(width - pad.right, Math.round(y(p)) + 0.5);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(p.toFixed(2), pad.left - 4, y(p));
    }
    // Legend.
    ctx.textAlign = 'left';
    ctx.fillStyle = WS;
    ctx.fillRect(pad.left, 8, 10, 10);
    ctx.fillStyle = INK;
    ctx.fillText('weight scaling (1 pass)', pad.left + 14, 13);
    ctx.fillStyle = MC;
    ctx.fillRect(pad.left + 150, 8, 10, 10);
    ctx.fillStyle = INK;
    ctx.fillText(`MC mean ± s.d. (${c ? c.samples : 'N'} masks)`, pad.left + 164, 13);
    const slot = plotW / 10;
    const bw = slot * 0.34;
    for (let k = 0; k < 10; k++) {
      const x0 = pad.left + k * slot + slot * 0.12;
      ctx.textAlign = 'center';
      ctx.fillStyle = c && k === c.top ? INK : MUTED;
      ctx.font = c && k === c.top ? 'bold 12px system-ui, sans-serif' : '11px system-ui, sans-serif';
      ctx.fillText(String(k), pad.left + (k + 0.5) * slot, height - pad.bottom / 2);
      if (!c) continue;
      const ws = c.weightScaling[k];
      const m = c.mcMean[k];
      const sd = c.mcStd[k];
      ctx.fillStyle = WS;
      ctx.fillRect(x0, y(ws), bw, y(0) - y(ws));
      ctx.fillStyle = MC;
      ctx.fillRect(x0 + bw + 1, y(m), bw, y(0) - y(m));
      if (sd > 0) {
        const cx = x0 + bw + 1 + bw / 2;
        ctx.strokeStyle = INK;
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        ctx.moveTo(cx, y(Math.min(1, m + sd)));
        ctx.lineTo(cx, y(Math.max(0, m - sd)));
        for (const e of [Math.min(1, m + sd), Math.max(0, m - sd)]) {
          ctx.moveTo(cx - 3, y(e));
          ctx.lineTo(cx + 3, y(e));
        }
        ctx.stroke();
      }
    }
  };
  draw(null);
  return { canvas, set: draw };
}
