/**
 * CPU references for the image augmentation kernel (shaders/augment.wgsl): the warp in f64, written
 * from the definition (inverse mapping about the centre, bilinear sampling, zero outside), and an
 * integer translation by index arithmetic alone. Tests only: the oracle, not a second backend.
 */
import type { AugmentParams } from '../../engine/ops/augment';

/**
 * Example b of `x` ([batch, h·w], row-major) under `t`, in f64: output pixel p takes the input at
 * F·R(−angle)·(p − c − (dx, dy)) / scale + c, c = ((w − 1)/2, (h − 1)/2), F the horizontal mirror,
 * bilinearly interpolated between the four nearest pixels, pixels outside the image being 0.
 */
export function warpExampleCpu(x: ArrayLike<number>, b: number, h: number, w: number, t: AugmentParams): Float64Array {
  const out = new Float64Array(h * w);
  const base = b * h * w;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  const pixel = (ix: number, iy: number): number => (ix >= 0 && iy >= 0 && ix < w && iy < h ? x[base + iy * w + ix] : 0);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const ox = col - cx - t.dx;
      const oy = row - cy - t.dy;
      let rx = (cos * ox + sin * oy) / t.scale;
      const ry = (cos * oy - sin * ox) / t.scale;
      if (t.flip) rx = -rx;
      const sx = rx + cx;
      const sy = ry + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[row * w + col] = (1 - fy) * ((1 - fx) * pixel(x0, y0) + fx * pixel(x0 + 1, y0)) + fy * ((1 - fx) * pixel(x0, y0 + 1) + fx * pixel(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/** The whole batch under per-example transforms `params(b)`, in f64. */
export function warpBatchCpu(x: ArrayLike<number>, batch: number, h: number, w: number, params: (b: number) => AugmentParams): Float64Array {
  const out = new Float64Array(batch * h * w);
  for (let b = 0; b < batch; b++) out.set(warpExampleCpu(x, b, h, w, params(b)), b * h * w);
  return out;
}

/**
 * Example b shifted by integers (dx right, dy down), optionally mirrored first, by index arithmetic
 * only (no floating point): out[r][c] = in[r − dy][c′ − dx] with c′ = w − 1 − c when mirrored, 0
 * where that falls outside. Written into `out` at `b·h·w`, bits copied as they are.
 */
export function shiftExampleCpu(x: Float32Array, out: Float32Array, b: number, h: number, w: number, dx: number, dy: number, flip = false): void {
  const base = b * h * w;
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      // Output (col, row) reads source column col − dx, then the mirror maps it to w − 1 − that.
      const sc = flip ? w - 1 - (col - dx) : col - dx;
      const sr = row - dy;
      out[base + row * w + col] = sc >= 0 && sc < w && sr >= 0 && sr < h ? x[base + sr * w + sc] : 0;
    }
  }
}
