/**
 * Deterministic test data and comparisons, free of Node and Vitest imports so the browser test page
 * can use them too.
 */

/** A deterministic pseudo-random Float32Array in [lo, hi) (mulberry32; tests only). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Largest |got[i] - want[i]|. */
export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The index of the first element that differs by bit pattern (so +0 and −0 differ, and NaNs compare by payload), or -1; 0 when the lengths differ. */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** FNV-1a hash of the bytes of a typed array: lets a browser page report a million floats in 8 hex digits. */
export function fnv1a(data: ArrayBufferView): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The f64 sum of `a` and the error bound of the engine's f32 tree summation
 * (shaders/reduce_sum.wgsl): (ceil(log2 n) + ITEMS) · 2^-24 · Σ|x|, the standard pairwise bound
 * plus the ITEMS = 8 sequential additions each invocation makes before the tree.
 */
export function sumReference(a: ArrayLike<number>): { sum: number; bound: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += a[i];
    absSum += Math.abs(a[i]);
  }
  return { sum, bound: (Math.ceil(Math.log2(Math.max(a.length, 1))) + 8) * 2 ** -24 * absSum };
}

/**
 * A learnable synthetic classification set: `count` rows of `features` values in [-1, 1), labelled
 * with the index of the largest of the first `classes` features.
 */
export function syntheticArgmax(count: number, features: number, classes: number, seed: number): { x: Float32Array; y: Uint32Array } {
  const x = randomArray(count * features, seed);
  const y = new Uint32Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (x[r * features + c] > x[r * features + best]) best = c;
    y[r] = best;
  }
  return { x, y };
}
