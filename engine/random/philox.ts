/**
 * Philox4x32-R (Salmon et al., SC 2011; Random123), R rounds, the bit-exact TypeScript twin of
 * shaders/philox.wgsl: {@link philox4x32_10} of `philox4x32_10`, {@link philox4x32} of
 * `philox4x32_r` with its `PHILOX_ROUNDS` override. Counter-based: the output is a pure function of
 * a 128-bit counter and a 64-bit key, so the CPU can reproduce any random word a kernel drew
 * (tests, `dropoutMaskCpu`) without running the kernel.
 *
 * JavaScript numbers are doubles, so a 32×32→64-bit product is not exact in one multiplication:
 * `Math.imul` gives the low word, and the high word is assembled from 16-bit halves and carry
 * tests exactly as the WGSL file does (WGSL has no 64-bit integers either), which also keeps the
 * two line for line alike. (The WGSL's `philox_mulhilo_m0` drops one carry test that can never fire
 * for M0; the twin keeps the general form, and the tests compare the two on every round count.)
 */

import { ArgumentError } from '../runtime/errors';

/** Philox4x32's round multipliers M0, M1 and key increments (Weyl constants) W0, W1, as in shaders/philox.wgsl. */
export const PHILOX_M0 = 0xd2511f53;
/** See {@link PHILOX_M0}. */
export const PHILOX_M1 = 0xcd9e8d57;
/** See {@link PHILOX_M0}. */
export const PHILOX_W0 = 0x9e3779b9;
/** See {@link PHILOX_M0}. */
export const PHILOX_W1 = 0xbb67ae85;
const M0 = PHILOX_M0;
const M1 = PHILOX_M1;
const W0 = PHILOX_W0;
const W1 = PHILOX_W1;

/** A 128-bit counter as four 32-bit words (x, y, z, w in WGSL). */
export type PhiloxCounter = readonly [number, number, number, number];
/** A 64-bit key as two 32-bit words. */
export type PhiloxKey = readonly [number, number];

/**
 * The 64-bit product of two unsigned 32-bit integers as [high word, low word], from 16-bit halves
 * and two carry tests, exactly as shaders/philox.wgsl computes it (see there why).
 */
export function mulhilo32(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  // Partial products are below 2^32, hence exact in a double; sums are wrapped with >>> 0 as u32 does.
  const ll = aLo * bLo;
  const t1 = aHi * bLo;
  const s = (t1 + aLo * bHi) >>> 0;
  const lo = Math.imul(a, b) >>> 0;
  const carries = (s < t1 ? 0x10000 : 0) + (lo < ll ? 1 : 0);
  return [(aHi * bHi + (s >>> 16) + carries) >>> 0, lo];
}

/** The high 32 bits of the 64-bit product of two unsigned 32-bit integers. */
export function mulhi32(a: number, b: number): number {
  return mulhilo32(a, b)[0];
}

/** The round counts shaders/philox.wgsl's `philox4x32_r` supports (its `PHILOX_ROUNDS` override). */
export const PHILOX_MIN_ROUNDS = 1;
/** See {@link PHILOX_MIN_ROUNDS}. */
export const PHILOX_MAX_ROUNDS = 16;

/**
 * The round count of the dropout masks: every host dispatch of a kernel that draws them (through
 * `dropout_keep_at` and friends in shaders/philox.wgsl) passes this as its `PHILOX_ROUNDS` override,
 * and `dropoutMaskCpu` uses it, so GPU and CPU masks agree bit for bit.
 *
 * Why 7: it is the fewest rounds with which Philox4x32 passes all of TestU01's BigCrush in the
 * Random123 paper (Salmon et al., SC 2011); Random123's default of 10 adds a safety margin of three
 * rounds for general use. A dropout mask asks much less of its generator than BigCrush does
 * (Bernoulli draws from 16-bit halves of the words; tests/ops/dropout.test.ts checks their bias and
 * the correlation between neighbours, counters, offsets, seeds and streams), while Philox is nearly
 * all the arithmetic of a dropout pass: 7 rounds instead of 10 cut it by 30% where dropout is
 * compute-bound (the CPU-based adapters). Noise and augmentation keep 10 ({@link philox4x32_10}).
 * Never below 7 (a test holds this).
 */
export const PHILOX_ROUNDS = 7;

/** Throws an ArgumentError unless `rounds` is an integer round count shaders/philox.wgsl supports. */
export function checkPhiloxRounds(rounds: number): void {
  if (!(Number.isInteger(rounds) && rounds >= PHILOX_MIN_ROUNDS && rounds <= PHILOX_MAX_ROUNDS)) {
    throw new ArgumentError(`Philox round count must be an integer in [${PHILOX_MIN_ROUNDS}, ${PHILOX_MAX_ROUNDS}], got ${rounds}`);
  }
}

/**
 * Philox4x32-R of one counter and key, R = `rounds` (shaders/philox.wgsl `philox4x32_r` with
 * `PHILOX_ROUNDS` = R), written into `out` (four words; a new array by default). Words are taken
 * modulo 2^32. Throws an ArgumentError for a round count the WGSL does not support.
 */
export function philox4x32(
  counter: PhiloxCounter | Uint32Array,
  key: PhiloxKey | Uint32Array,
  rounds: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  checkPhiloxRounds(rounds);
  return rounds4x32(counter, key, rounds, out);
}

function rounds4x32(counter: PhiloxCounter | Uint32Array, key: PhiloxKey | Uint32Array, rounds: number, out: Uint32Array): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [hi0, lo0] = mulhilo32(M0, c0);
    const [hi1, lo1] = mulhilo32(M1, c2);
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/**
 * Philox4x32-10 of one counter and key (shaders/philox.wgsl `philox4x32_10`), written into `out`
 * (four words; a new array by default). Words are taken modulo 2^32.
 */
export function philox4x32_10(counter: PhiloxCounter | Uint32Array, key: PhiloxKey | Uint32Array, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  return rounds4x32(counter, key, 10, out);
}
