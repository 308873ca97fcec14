/**
 * The key of a counter-based random feature: (seed, stream, offset). Kernels that draw from
 * Philox4x32-10 (shaders/philox.wgsl) take it as five u32 uniforms named `seed_lo`, `seed_hi`,
 * `stream`, `offset_lo`, `offset_hi`, and use
 *
 *   key     = (seed_lo, seed_hi)
 *   counter = (index, stream, offset_lo, offset_hi)
 *
 * so the same key and index give the same bits on every adapter and on the CPU.
 */
import { ArgumentError } from '../runtime/errors';

const TWO_32 = 2 ** 32;

/** What identifies one random draw: the same key gives the same numbers, bit for bit. */
export interface RandomKey {
  /** The seed: an integer in [0, 2⁵³), the Philox key. */
  seed: number;
  /** The training step, or any integer in [0, 2⁵³) the caller advances between calls. */
  offset: number;
  /** Which random feature (e.g. one per layer), so features sharing a seed and step differ. Default 0. */
  stream?: number;
}

/** The five u32 uniforms of a key, by the member names the WGSL structs use. */
export interface KeyUniforms {
  seed_lo: number;
  seed_hi: number;
  stream: number;
  offset_lo: number;
  offset_hi: number;
}

function checkInteger(op: string, what: string, v: unknown, max: number): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max))
    throw new ArgumentError(`${op}: ${what} must be an integer in [0, ${max}], got ${String(v)}`);
}

/** Throws ArgumentError naming the bad value unless seed and offset are integers in [0, 2⁵³) and stream a u32. */
export function checkRandomKey(op: string, key: RandomKey): void {
  checkInteger(op, 'seed', key.seed, Number.MAX_SAFE_INTEGER);
  checkInteger(op, 'offset', key.offset, Number.MAX_SAFE_INTEGER);
  checkInteger(op, 'stream', key.stream ?? 0, 0xffffffff);
}

/** The key's uniforms (checked first). */
export function keyUniforms(op: string, key: RandomKey): KeyUniforms {
  checkRandomKey(op, key);
  return {
    seed_lo: key.seed >>> 0,
    seed_hi: Math.floor(key.seed / TWO_32),
    stream: key.stream ?? 0,
    offset_lo: key.offset >>> 0,
    offset_hi: Math.floor(key.offset / TWO_32),
  };
}

/** The Philox key words (seed_lo, seed_hi) of a key. */
export function philoxKeyOf(key: RandomKey): [number, number] {
  return [key.seed >>> 0, Math.floor(key.seed / TWO_32)];
}

/** The Philox counter words (index, stream, offset_lo, offset_hi) of a key; word 0 is the caller's to set. */
export function philoxCounterOf(key: RandomKey, index = 0): [number, number, number, number] {
  return [index >>> 0, key.stream ?? 0, key.offset >>> 0, Math.floor(key.offset / TWO_32)];
}
