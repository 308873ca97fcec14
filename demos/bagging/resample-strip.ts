/**
 * One bootstrap resample at a glance: a cell per training example, coloured by how many times the
 * resample drew it (white: never — about 36.8% of them; then once, twice, three times or more).
 */
import { hidpiCanvas } from '../shared/canvas';

/** Colours by draw count 0, 1, 2, 3+ (also the legend's). */
export const DRAW_COLORS = ['#ffffff', '#a5c8ff', '#4d8ff0', '#0b3d91'] as const;

const CELL = 2;
const PITCH = CELL + 1;

/** A canvas of `counts.length` cells in rows of `columns`. */
export function resampleStrip(counts: Uint16Array, columns = 50): HTMLCanvasElement {
  const rows = Math.ceil(counts.length / columns);
  const w = columns * PITCH + 1;
  const h = rows * PITCH + 1;
  const { canvas, ctx } = hidpiCanvas(w, h, 'resample-strip', 'resampleStrip');
  ctx.fillStyle = '#d0d7de';
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < counts.length; i++) {
    ctx.fillStyle = DRAW_COLORS[Math.min(counts[i], 3)];
    ctx.fillRect((i % columns) * PITCH + 1, Math.floor(i / columns) * PITCH + 1, CELL, CELL);
  }
  return canvas;
}
