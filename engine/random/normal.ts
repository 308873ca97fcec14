/**
 * Standard normal draws from Philox4x32-10 by Box–Muller: the TypeScript twin of
 * shaders/normal.wgsl (read its header for the layout). The Philox words and the uniforms u, v are
 * the shader's bit for bit (exact conversions); the logarithm, square root, cosine and sine are
 * evaluated in f64, so each draw is the correctly rounded value of the Box–Muller formula. The
 * shader evaluates them in f32 to a few ulps, so GPU draws agree with these to float tolerance,
 * not bit for bit (tests/ops/noise.test.ts states how close).
 */
import { ArgumentError } from '../runtime/errors';
import { checkRandomKey, philoxCounterOf, philoxKeyOf, type RandomKey } from './key';
import { philox4x32_10 } from './philox';

const TWO_M24 = 2 ** -24;
const TWO_M23 = 2 ** -23;

/** A uniform number on [0, 1) in steps of 2⁻²⁴ from the top 24 bits of a word (WGSL `philox_uniform24`). */
export function uniform24(word: number): number {
  return (word >>> 8) * TWO_M24;
}

/**
 * Two independent standard normal draws from two uniform 32-bit words (WGSL `box_muller`), written
 * into `out` at `at` and `at + 1`. |z| ≤ √(48 ln 2) ≈ 5.77.
 */
export function boxMuller(wa: number, wb: number, out: Float32Array = new Float32Array(2), at = 0): Float32Array {
  const u = ((wa >>> 8) + 1) * TWO_M24;
  const v = (wb >>> 8) * TWO_M23 - 1;
  const r = Math.sqrt(-2 * Math.log(u));
  out[at] = r * Math.cos(Math.PI * v);
  out[at + 1] = r * Math.sin(Math.PI * v);
  return out;
}

/** The four standard normal draws of one Philox counter and key (WGSL `philox_normal4`). */
export function philoxNormal4(
  counter: readonly [number, number, number, number] | Uint32Array,
  key: readonly [number, number] | Uint32Array,
  out: Float32Array = new Float32Array(4),
): Float32Array {
  const w = philox4x32_10(counter, key);
  boxMuller(w[0], w[1], out, 0);
  boxMuller(w[2], w[3], out, 2);
  return out;
}

/**
 * The standard normal draws z₀ … z_(n−1) of `key`, element i keyed by its index as every kernel
 * using shaders/normal.wgsl keys it (counter i / 4, component i % 4).
 */
export function standardNormalCpu(n: number, key: RandomKey): Float32Array {
  checkRandomKey('standardNormalCpu', key);
  if (!(Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw new ArgumentError(`standardNormalCpu: n must be an integer in [0, 2^32), got ${n}`);
  const k = philoxKeyOf(key);
  const ctr = philoxCounterOf(key);
  const four = new Float32Array(4);
  const out = new Float32Array(n);
  for (let q = 0; 4 * q < n; q++) {
    ctr[0] = q;
    philoxNormal4(ctr, k, four);
    for (let j = 0; j < 4 && 4 * q + j < n; j++) out[4 * q + j] = four[j];
  }
  return out;
}
