/**
 * MNIST digits drawn on canvases (the noise, bagging and batch-norm pages): a 28×28 image on a
 * canvas of exactly 28×28 pixels (scaled up by CSS, pixelated): one canvas pixel per image pixel,
 * so what a test reads back with getImageData is the image itself.
 */

/** A new canvas of `width` × `height` pixels shown `zoom` times larger, with class `className`. */
export function digitCanvas(width: number, height: number, zoom: number, className = 'pixels digit'): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.className = className;
  c.width = width;
  c.height = height;
  c.style.width = `${width * zoom}px`;
  c.style.height = `${height * zoom}px`;
  return c;
}

/**
 * Draws `values` (row-major, one per pixel, ink in [0, 1]) as dark ink on white; values outside
 * [0, 1] (input noise can push them there) are clamped for display only.
 */
export function drawDigit(canvas: HTMLCanvasElement, values: ArrayLike<number>, offset = 0): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('digit-canvas: no 2D context');
  const img = ctx.createImageData(canvas.width, canvas.height);
  const n = canvas.width * canvas.height;
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, values[offset + i]));
    const g = Math.round(255 * (1 - v));
    img.data[4 * i] = g;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = g;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The canvas's red channel (gray: all channels agree), for tests comparing what is shown. */
export function canvasGray(canvas: HTMLCanvasElement): number[] {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('digit-canvas: no 2D context');
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const out: number[] = [];
  for (let i = 0; i < d.length; i += 4) out.push(d[i]);
  return out;
}
