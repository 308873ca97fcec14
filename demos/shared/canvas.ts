/**
 * A canvas sharp on high-density screens: its backing store is `devicePixelRatio` times its CSS
 * size, and the returned context is scaled so that drawing code works in CSS pixels.
 */

/** A `width` × `height` (CSS pixels) canvas with class `className`, and its 2-D context in CSS pixels. */
export function hidpiCanvas(width: number, height: number, className: string, where: string): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.className = className;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error(`${where}: the browser gave no 2-D canvas context`);
  ctx.scale(dpr, dpr);
  return { canvas, ctx };
}
