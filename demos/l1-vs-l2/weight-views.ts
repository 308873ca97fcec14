/**
 * Two views of the first layer's weights, drawn on canvases straight from the values read back:
 * a histogram (the exact zeros stacked in red on the middle bin) and each hidden unit's 784
 * incoming weights as a 28×28 image (red positive, blue negative, white only where exactly 0: any
 * non-zero weight, however small, gets at least a faint tint, so the two L1 methods look different
 * even where their values are close).
 */
import { hidpiCanvas } from '../shared/canvas';

/** Colours shared with the legend. */
export const WEIGHT_COLORS = { positive: [209, 36, 47], negative: [31, 111, 235], zero: '#d1242f', bars: '#6ea8fe' } as const;

/** A histogram on a canvas. */
export interface WeightHistogram {
  readonly canvas: HTMLCanvasElement;
  draw(w: Float32Array): void;
}

/** Bins of the histogram (odd: one bin is centred on 0). */
const BINS = 41;

/**
 * A `width` × `height` histogram of weights over [−R, R], R the largest |w|. Heights are on a
 * square-root scale: the zero spike of proximal L1 would flatten every other bar on a linear one.
 */
export function weightHistogram(width: number, height: number): WeightHistogram {
  const { canvas, ctx } = hidpiCanvas(width, height, 'histogram', 'weight histogram');
  const left = 44;
  const bottom = 22;
  const top = 20;
  const plotW = width - left - 8;
  const plotH = height - bottom - top;
  return {
    canvas,
    draw(w) {
      let r = 0;
      for (const x of w) r = Math.max(r, Math.abs(x));
      r = r > 0 ? r : 1;
      const counts = new Array<number>(BINS).fill(0);
      let zeros = 0;
      for (const x of w) {
        if (x === 0) {
          zeros++;
          continue;
        }
        counts[Math.min(BINS - 1, Math.floor(((x + r) / (2 * r)) * BINS))]++;
      }
      const mid = (BINS - 1) / 2;
      const peak = Math.max(1, ...counts.map((c, i) => c + (i === mid ? zeros : 0)));
      const y = (c: number): number => top + plotH - Math.sqrt(c / peak) * plotH;
      ctx.clearRect(0, 0, width, height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      const bw = plotW / BINS;
      counts.forEach((c, i) => {
        ctx.fillStyle = WEIGHT_COLORS.bars;
        ctx.fillRect(left + i * bw + 0.5, y(c), bw - 1, top + plotH - y(c));
        if (i === mid && zeros > 0) {
          ctx.fillStyle = WEIGHT_COLORS.zero;
          ctx.fillRect(left + i * bw + 0.5, y(c + zeros), bw - 1, y(c) - y(c + zeros));
        }
      });
      ctx.strokeStyle = '#8c959f';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(left, top + plotH + 0.5);
      ctx.lineTo(left + plotW, top + plotH + 0.5);
      ctx.moveTo(left - 0.5, top);
      ctx.lineTo(left - 0.5, top + plotH);
      ctx.stroke();
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillStyle = '#5b6573';
      ctx.textAlign = 'center';
      ctx.fillText(`−${r.toFixed(2)}`, left + 10, height - 6);
      ctx.fillText('0', left + plotW / 2, height - 6);
      ctx.fillText(r.toFixed(2), left + plotW - 10, height - 6);
      ctx.textAlign = 'right';
      for (const frac of [0, 0.25, 1]) {
        const c = Math.round(frac * peak);
        ctx.fillText(c.toLocaleString('en-US'), left - 4, y(c) + 4);
      }
      ctx.textAlign = 'left';
      ctx.fillStyle = zeros > 0 ? WEIGHT_COLORS.zero : '#5b6573';
      ctx.fillText(`exactly 0: ${zeros.toLocaleString('en-US')} of ${w.length.toLocaleString('en-US')}`, left + 4, 12);
    },
  };
}

/** The grid of first-layer weight images. */
export interface WeightImages {
  readonly element: HTMLElement;
  /** Draws the [784, units] weights: one 28×28 image per unit, one colour scale for all. */
  draw(w: Float32Array): void;
}

/** `units` canvases of 28×28 pixels shown at `scale`×. */
export function weightImages(units: number, scale: number): WeightImages {
  const element = document.createElement('div');
  element.className = 'weight-images';
  const canvases = Array.from({ length: units }, () => {
    const c = document.createElement('canvas');
    c.width = 28;
    c.height = 28;
    c.className = 'pixels';
    c.style.width = `${28 * scale}px`;
    c.style.height = `${28 * scale}px`;
    element.append(c);
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('weightImages: the browser gave no 2D canvas context');
    return ctx;
  });
  return {
    element,
    draw(w) {
      if (w.length !== 784 * units) throw new Error(`weightImages: ${w.length} weights for 784 × ${units}`);
      let s = 0;
      for (const x of w) s = Math.max(s, Math.abs(x));
      s = s > 0 ? s : 1;
      canvases.forEach((ctx, u) => {
        const img = ctx.createImageData(28, 28);
        for (let i = 0; i < 784; i++) {
          const x = w[i * units + u];
          let rgb = [255, 255, 255];
          if (x !== 0) {
            // A floor of 0.15 marks every non-zero weight; the square root lifts the small ones.
            const t = 0.15 + 0.85 * Math.sqrt(Math.abs(x) / s);
            const c = x > 0 ? WEIGHT_COLORS.positive : WEIGHT_COLORS.negative;
            rgb = c.map((v) => Math.round(255 + (v - 255) * t));
          }
          img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
        }
        ctx.putImageData(img, 0, 0);
      });
    },
  };
}
