/**
 * Draws a {@link LossSurface} on a canvas: the loss shaded (bilinear between grid points), its
 * contours (marching squares on the grid), the L1 penalty's level set |a| + |b| = const through the
 * current point (the diamond of the 2-D picture above, on two real weights), the current point,
 * and the grid's minima of the data loss and of data loss + α·(|a| + |b|).
 */
import type { LossSurface } from './loss-surface';
import { hidpiCanvas } from '../shared/canvas';

/** Colours (the legend uses them too). */
export const SURFACE_COLORS = {
  contour: '#1f6feb',
  penalty: '#2da44e',
  current: '#f08c00',
  dataMin: '#1b1f24',
  regMin: '#d1242f',
} as const;

/** A canvas that shows one surface. */
export interface SurfaceView {
  readonly canvas: HTMLCanvasElement;
  draw(s: LossSurface, alpha: number): void;
}

/** Contour levels drawn. */
const LEVELS = 12;

/** The grid index of the minimum of `f` over the grid. */
function argmin(n: number, f: (k: number) => number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (f(k) < f(best)) best = k;
  return best;
}

/** A square canvas of `size` CSS pixels. */
export function surfaceView(size: number): SurfaceView {
  const { canvas, ctx } = hidpiCanvas(size, size, 'plane surface', 'surfaceView');
  const pad = 34;
  const plot = size - pad - 8;

  return {
    canvas,
    draw(s, alpha) {
      const n = s.size;
      const x0 = s.xs[0];
      const x1 = s.xs[n - 1];
      const y0 = s.ys[0];
      const y1 = s.ys[n - 1];
      const px = (a: number): number => pad + ((a - x0) / (x1 - x0)) * plot;
      const py = (b: number): number => 8 + plot - ((b - y0) / (y1 - y0)) * plot;
      const L = (i: number, j: number): number => s.losses[j * n + i];
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of s.losses) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const range = hi - lo || 1;

      ctx.clearRect(0, 0, size, size);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, size, size);
      // Shading: white at the grid's lowest loss, blue-grey at its highest.
      const res = 4;
      for (let yy = 0; yy < plot; yy += res) {
        for (let xx = 0; xx < plot; xx += res) {
          const gi = ((xx + res / 2) / plot) * (n - 1);
          const gj = ((plot - yy - res / 2) / plot) * (n - 1);
          const i = Math.min(n - 2, Math.floor(gi));
          const j = Math.min(n - 2, Math.floor(gj));
          const u = gi - i;
          const v = gj - j;
          const val = (1 - u) * (1 - v) * L(i, j) + u * (1 - v) * L(i + 1, j) + (1 - u) * v * L(i, j + 1) + u * v * L(i + 1, j + 1);
          const t = (val - lo) / range;
          ctx.fillStyle = `rgb(${Math.round(255 - 70 * t)}, ${Math.round(255 - 50 * t)}, ${Math.round(255 - 20 * t)})`;
          ctx.fillRect(pad + xx, 8 + yy, res, res);
        }
      }

      // Contours by marching squares: each cell's edges crossed by the level, joined in pairs.
      ctx.save();
      ctx.beginPath();
      ctx.rect(pad, 8, plot, plot);
      ctx.clip();
      ctx.strokeStyle = SURFACE_COLORS.contour;
      ctx.lineWidth = 1;
      for (let l = 1; l <= LEVELS; l++) {
        const level = lo + (range * l) / (LEVELS + 1);
        ctx.beginPath();
        for (let j = 0; j < n - 1; j++) {
          for (let i = 0; i < n - 1; i++) {
            const corners: [number, number, number][] = [
              [s.xs[i], s.ys[j], L(i, j)],
              [s.xs[i + 1], s.ys[j], L(i + 1, j)],
              [s.xs[i + 1], s.ys[j + 1], L(i + 1, j + 1)],
              [s.xs[i], s.ys[j + 1], L(i, j + 1)],
            ];
            const hits: [number, number][] = [];
            for (let e = 0; e < 4; e++) {
              const [ax, ay, av] = corners[e];
              const [bx, by, bv] = corners[(e + 1) % 4];
              if (av < level !== bv < level) {
                const t = (level - av) / (bv - av);
                hits.push([ax + t * (bx - ax), ay + t * (by - ay)]);
              }
            }
            for (let h = 0; h + 1 < hits.length; h += 2) {
              ctx.moveTo(px(hits[h][0]), py(hits[h][1]));
              ctx.lineTo(px(hits[h + 1][0]), py(hits[h + 1][1]));
            }
          }
        }
        ctx.stroke();
      }

      // Axes a = 0, b = 0 where they fall inside the window.
      ctx.strokeStyle = '#8c959f';
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      if (x0 < 0 && x1 > 0) {
        ctx.moveTo(px(0), 8);
        ctx.lineTo(px(0), 8 + plot);
      }
      if (y0 < 0 && y1 > 0) {
        ctx.moveTo(pad, py(0));
        ctx.lineTo(pad + plot, py(0));
      }
      ctx.stroke();
      ctx.setLineDash([]);

      // The L1 level set through the current point: the diamond |a| + |b| = r.
      const r = Math.abs(s.current[0]) + Math.abs(s.current[1]);
      ctx.strokeStyle = SURFACE_COLORS.penalty;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(px(r), py(0));
      ctx.lineTo(px(0), py(r));
      ctx.lineTo(px(-r), py(0));
      ctx.lineTo(px(0), py(-r));
      ctx.closePath();
      ctx.stroke();

      // Minima on the grid: of the data loss (×), and of data loss + α(|a| + |b|) (ring).
      const kData = argmin(n * n, (k) => s.losses[k]);
      const kReg = argmin(n * n, (k) => s.losses[k] + alpha * (Math.abs(s.xs[k % n]) + Math.abs(s.ys[Math.floor(k / n)])));
      const dm = { x: px(s.xs[kData % n]), y: py(s.ys[Math.floor(kData / n)]) };
      ctx.strokeStyle = SURFACE_COLORS.dataMin;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(dm.x - 5, dm.y - 5);
      ctx.lineTo(dm.x + 5, dm.y + 5);
      ctx.moveTo(dm.x - 5, dm.y + 5);
      ctx.lineTo(dm.x + 5, dm.y - 5);
      ctx.stroke();
      const rm = { x: px(s.xs[kReg % n]), y: py(s.ys[Math.floor(kReg / n)]) };
      ctx.strokeStyle = SURFACE_COLORS.regMin;
      ctx.beginPath();
      ctx.arc(rm.x, rm.y, 7, 0, 2 * Math.PI);
      ctx.stroke();

      // The current point.
      ctx.fillStyle = SURFACE_COLORS.current;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(px(s.current[0]), py(s.current[1]), 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.restore();

      // Frame and tick labels (the grid's ends and middle).
      ctx.strokeStyle = '#8c959f';
      ctx.lineWidth = 1;
      ctx.strokeRect(pad + 0.5, 8.5, plot - 1, plot - 1);
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillStyle = '#5b6573';
      const f = (v: number): string => v.toFixed(3);
      ctx.textAlign = 'center';
      ctx.fillText(f(x0), pad + 14, size - 12);
      ctx.fillText(`a = ${f(s.current[0])}`, pad + plot / 2, size - 12);
      ctx.fillText(f(x1), pad + plot - 14, size - 12);
      ctx.save();
      ctx.translate(12, 8 + plot / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(`b = ${f(s.current[1])}`, 0, 0);
      ctx.fillText(f(y0), -plot / 2 + 14, 0);
      ctx.fillText(f(y1), plot / 2 - 14, 0);
      ctx.restore();
    },
  };
}
