/**
 * Philox4x32-10 (Salmon et al., SC 2011; Random123), the bit-exact TypeScript twin of
 * shaders/philox.wgsl. Counter-based: the output is a pure function of a 128-bit counter and a
 * 64-bit key, so the CPU can reproduce any random word a kernel drew (tests, `dropoutMaskCpu`)
 * without running the kernel.
 *
 * JavaScript numbers are doubles, so a 32×32→64-bit product is not exact in one multiplication:
 * `Math.imul` gives the low word, and the high word is assembled from 16-bit halves and carry
 * tests exactly as the WGSL file does (WGSL has no 64-bit integers either), which also keeps the
 * two line for line alike.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

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

/**
 * Philox4x32-10 of one counter and key, written into `out` (four words; a new array by default).
 * Words are taken modulo 2^32.
 */
export function philox4x32_10(counter: PhiloxCounter | Uint32Array, key: PhiloxKey | Uint32Array, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
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
