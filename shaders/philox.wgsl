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

// The 64-bit product a·b as (high word, low word). WGSL has no 64-bit integers, so split both
// factors into 16-bit halves, a = aH·2¹⁶ + aL, and add the partial products with their carries:
//
//   a·b = aH·bH·2³² + (aH·bL + aL·bH)·2¹⁶ + aL·bL
//
// Each partial product is below 2³². The middle sum s = aH·bL + aL·bH may wrap (it is below 2³³):
// it wrapped iff s < aH·bL, worth 2³²·2¹⁶ of the product, i.e. 2¹⁶ in the high word. The low word
// is a·b modulo 2³² (u32 multiplication wraps), which the round needs anyway, and it equals
// aL·bL + (s mod 2¹⁶)·2¹⁶ modulo 2³²: that sum carried into the high word iff lo < aL·bL.
//
// Written for the software adapters: this form needs two right shifts where the textbook one
// (adding the carries of 16-bit column sums) needs four, and SwiftShader's Subzero backend
// scalarizes vector shifts (about seven times the cost of a multiplication, measured), which made
// dropout 1.2–1.5× faster there; lavapipe runs both forms at the same speed.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let ll = a_lo * b_lo;
  let t1 = a_hi * b_lo;
  let s = t1 + a_lo * b_hi;
  let lo = a * b;
  let carries = select(0u, 0x10000u, s < t1) + select(0u, 1u, lo < ll);
  return vec2<u32>(a_hi * b_hi + (s >> 16u) + carries, lo);
}

// The high 32 bits of the 64-bit product a·b.
fn philox_mulhi(a: u32, b: u32) -> u32 {
  return philox_mulhilo(a, b).x;
}

// One Philox round.
fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let p0 = philox_mulhilo(PHILOX_M0, c.x);
  let p1 = philox_mulhilo(PHILOX_M1, c.z);
  return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
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
