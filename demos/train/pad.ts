/**
 * A 28×28 drawing pad that draws like MNIST's scanned pen strokes: each pixel takes the coverage of
 * a round brush swept along the pointer's path (full ink within 0.85 px of the path, fading to none
 * at 1.9 px), so strokes are about three pixels wide with soft edges. Mouse, pen and touch all come
 * as pointer events.
 */

/** Pixels per side. */
export const SIDE = 28;
const CORE = 0.85;
const EDGE = 1.9;

/** The pad's pixels (784 values in [0, 1], row-major; 1 is ink) and its canvas. */
export interface Pad {
  readonly canvas: HTMLCanvasElement;
  readonly pixels: Float32Array;
  /** Replaces the drawing (e.g. with a held-out digit). */
  set(pixels: ArrayLike<number>): void;
  clear(): void;
}

/**
 * A pad drawn at `cssSize` pixels; `onChange(strokeEnded)` is called as the drawing changes
 * (false during a stroke, true when the pointer is lifted).
 */
export function drawingPad(cssSize: number, onChange: (strokeEnded: boolean) => void): Pad {
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  canvas.className = 'pixels pad';
  canvas.style.width = `${cssSize}px`;
  canvas.style.height = `${cssSize}px`;
  canvas.setAttribute('aria-label', 'drawing pad: draw a digit');
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('drawing pad: no 2D context');
  const pixels = new Float32Array(SIDE * SIDE);
  const image = ctx.createImageData(SIDE, SIDE);

  const render = (): void => {
    for (let i = 0; i < pixels.length; i++) {
      // Dark ink on paper for drawing; the network sees the same values as MNIST (1 = ink).
      const g = Math.round(255 * (1 - pixels[i]));
      image.data.set([g, g, g, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
  };

  /** Ink along the segment a → b (pixel coordinates, pixel i covering [i, i + 1)). */
  const stroke = (ax: number, ay: number, bx: number, by: number): void => {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - EDGE));
    const x1 = Math.min(SIDE - 1, Math.ceil(Math.max(ax, bx) + EDGE));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - EDGE));
    const y1 = Math.min(SIDE - 1, Math.ceil(Math.max(ay, by) + EDGE));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
        const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
        const v = Math.max(0, Math.min(1, (EDGE - d) / (EDGE - CORE)));
        const i = y * SIDE + x;
        if (v > pixels[i]) pixels[i] = v;
      }
    }
  };

  let last: { x: number; y: number } | null = null;
  const at = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * SIDE, y: ((e.clientY - r.top) / r.height) * SIDE };
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    stroke(last.x, last.y, last.x, last.y);
    render();
    onChange(false);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    stroke(last.x, last.y, p.x, p.y);
    last = p;
    render();
    onChange(false);
  });
  const end = (): void => {
    if (!last) return;
    last = null;
    onChange(true);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  render();
  return {
    canvas,
    pixels,
    set(values) {
      if (values.length !== pixels.length) throw new Error(`drawing pad: expected ${pixels.length} pixel values, got ${values.length}`);
      for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(1, values[i]));
      render();
    },
    clear() {
      pixels.fill(0);
      render();
    },
  };
}

/**
 * MNIST's own preprocessing of a drawing: the ink's bounding box scaled to fit 20×20 (keeping the
 * aspect ratio), then placed so that its centre of mass is the image centre; bilinear resampling.
 * A blank drawing is returned as it is.
 */
export function mnistCentre(pixels: Float32Array): Float32Array {
  let mass = 0;
  let cx = 0;
  let cy = 0;
  let minX = SIDE;
  let maxX = -1;
  let minY = SIDE;
  let maxY = -1;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = pixels[y * SIDE + x];
      if (v <= 0.05) continue;
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  if (mass === 0) return pixels.slice();
  cx /= mass;
  cy /= mass;
  const extent = Math.max(maxX - minX + 1, maxY - minY + 1);
  // Bounded so that a dot is not blown up to a blob, nor a large drawing shrunk to hairlines.
  const s = Math.max(0.6, Math.min(2, 20 / extent));
  const out = new Float32Array(SIDE * SIDE);
  const sample = (x: number, y: number): number => (x >= 0 && y >= 0 && x < SIDE && y < SIDE ? pixels[y * SIDE + x] : 0);
  for (let v = 0; v < SIDE; v++) {
    for (let u = 0; u < SIDE; u++) {
      // Output pixel centre → input position, then bilinear between input pixel centres.
      const ix = cx + (u + 0.5 - SIDE / 2) / s - 0.5;
      const iy = cy + (v + 0.5 - SIDE / 2) / s - 0.5;
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      out[v * SIDE + u] = (1 - fy) * ((1 - fx) * sample(x0, y0) + fx * sample(x0 + 1, y0)) + fy * ((1 - fx) * sample(x0, y0 + 1) + fx * sample(x0 + 1, y0 + 1));
    }
  }
  return out;
}
