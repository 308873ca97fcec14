// Philox4x32-10: a counter-based random number generator (Salmon, Moraes, Dror & Shaw, "Parallel
// Random Numbers: As Easy as 1, 2, 3", SC 2011; the Random123 library).
//
// A library file: functions only, no entry points. Kernels list it in `uses` (shaders/index.ts) and
// the runtime prepends it to their source. Its bit-exact TypeScript twin is engine/random/philox.ts.
//
// Counter-based means there is no state to carry from one draw to the next: the output is a pure
// function of a 128-bit counter and a 64-bit key,
//
//   philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>   (four uniform 32-bit words)
//
// so every invocation can compute "the random numbers of element i" directly, and a backward pass
// can recompute exactly the numbers its forward pass used instead of storing them.
//
// One round is a tiny Feistel network built from two 32×32→64-bit multiplications:
//
//   (hi0, lo0) = M0 · c0        (hi1, lo1) = M1 · c2
//   c' = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
//
// and between rounds the key is bumped by the Weyl constants W0, W1 (the golden ratio and √3 − 1
// as 32-bit fractions). Ten rounds is the variant Random123 recommends; it passes TestU01's
// BigCrush with a margin of several rounds.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// The high 32 bits of the 64-bit product a·b. WGSL has no 64-bit integers, so split both factors
// into 16-bit halves, a = aH·2¹⁶ + aL, and add the four partial products with their carries:
//
//   a·b = aH·bH·2³² + (aH·bL + aL·bH)·2¹⁶ + aL·bL
//
// Every partial product is below 2³², and so is each sum below (at most (2¹⁶−1)² + (2¹⁶−1)), so
// nothing overflows. The low 32 bits need no such care: u32 multiplication in WGSL wraps.
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let mid1 = a_hi * b_lo + ((a_lo * b_lo) >> 16u);  // carries of the low quarter ride along
  let mid2 = a_lo * b_hi + (mid1 & 0xFFFFu);
  return a_hi * b_hi + (mid1 >> 16u) + (mid2 >> 16u);
}

// One Philox round.
fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let hi0 = philox_mulhi(PHILOX_M0, c.x);
  let lo0 = PHILOX_M0 * c.x;
  let hi1 = philox_mulhi(PHILOX_M1, c.z);
  let lo1 = PHILOX_M1 * c.z;
  return vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

// Philox4x32-10: four independent uniform 32-bit words for one (counter, key) pair.
// Unrolled by hand so that every adapter sees straight-line code.
fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let w = vec2<u32>(PHILOX_W0, PHILOX_W1);
  var c = philox_round(counter, key);
  var k = key + w;  // vec2<u32> addition wraps modulo 2³², as the key schedule requires
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  c = philox_round(c, k); k += w;
  return philox_round(c, k);
}
