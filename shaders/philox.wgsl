// Philox4x32-R: a counter-based random number generator (Salmon, Moraes, Dror & Shaw, "Parallel
// Random Numbers: As Easy as 1, 2, 3", SC 2011; the Random123 library), R rounds.
//
// A library file: functions only, no entry points. Kernels list it in `uses` (shaders/index.ts) and
// the runtime prepends it to their source. Its bit-exact TypeScript twin is engine/random/philox.ts.
//
// Counter-based means there is no state to carry from one draw to the next: the output is a pure
// function of a 128-bit counter and a 64-bit key,
//
//   philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>   (four uniform 32-bit words)
//   philox4x32_r(counter, key)    the same with R = PHILOX_ROUNDS rounds, a pipeline constant
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
// as 32-bit fractions). The paper reports that Philox4x32 passes TestU01's BigCrush from 7 rounds
// on, and Random123 makes 10 its default, a safety margin of 3 rounds. philox4x32_10 is that
// default (noise and augmentation use it); the dropout masks use philox4x32_r, whose round count
// the host picks (see PHILOX_ROUNDS below).

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
// scalarizes vector shifts (several times the cost of a multiplication), which made dropout
// clearly faster there; lavapipe runs both forms at the same speed.
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

// philox_mulhilo(PHILOX_M0, b) with one carry test fewer: M0's halves are 0xD251 and 0x1F53, so
// the middle sum s = 0xD251·bL + 0x1F53·bH ≤ (0xD251 + 0x1F53)·0xFFFF = 0xF1A30E5C never wraps.
// (M1's halves add up to more than 2¹⁶, so M1 keeps the general form.) Every round has one such
// product; the tests compare every round count with the TypeScript twin's general form.
fn philox_mulhilo_m0(b: u32) -> vec2<u32> {
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let ll = 0x1F53u * b_lo;
  let s = 0xD251u * b_lo + 0x1F53u * b_hi;
  let lo = PHILOX_M0 * b;
  return vec2<u32>(0xD251u * b_hi + (s >> 16u) + select(0u, 1u, lo < ll), lo);
}

// The high 32 bits of the 64-bit product a·b.
fn philox_mulhi(a: u32, b: u32) -> u32 {
  return philox_mulhilo(a, b).x;
}

// One Philox round.
fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let p0 = philox_mulhilo_m0(c.x);
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

// ---- Philox4x32-R: the round count as a pipeline constant ------------------------------------
//
// PHILOX_ROUNDS is an `override`, so a pipeline fixes it at creation and the compiler sees a
// constant: the rounds below are straight-line code, the rounds past PHILOX_ROUNDS are dead code.
// Supported: 1 … 16 (the host checks: `checkPhiloxRounds` in engine/random/philox.ts). Every host
// dispatch passes the TypeScript constant `PHILOX_ROUNDS` of that file, which says why the default
// is 7 (the fewest rounds that pass BigCrush); the default here is the same, for a kernel loaded
// without it. philox4x32_10 above stays ten rounds whatever this is.
override PHILOX_ROUNDS: u32 = 7u;

// The rounds after the first `done` (1 ≤ done ≤ PHILOX_ROUNDS) of Philox4x32-R, R = PHILOX_ROUNDS:
// c is the state after `done` rounds under `key`, and round r (from 0) uses key + r·W. `done` must
// be a constant where this is called, so that both conditions fold and the rounds left are
// straight-line code. Kernels that compute the first rounds more cheaply (their counter words
// are uniform, see shaders/dropout.wgsl) finish with this.
fn philox4x32_r_from(state: vec4<u32>, key: vec2<u32>, done: u32) -> vec4<u32> {
  let w = vec2<u32>(PHILOX_W0, PHILOX_W1);
  var c = state;
  if (PHILOX_ROUNDS > 1u && done <= 1u) { c = philox_round(c, key + 1u * w); }
  if (PHILOX_ROUNDS > 2u && done <= 2u) { c = philox_round(c, key + 2u * w); }
  if (PHILOX_ROUNDS > 3u && done <= 3u) { c = philox_round(c, key + 3u * w); }
  if (PHILOX_ROUNDS > 4u && done <= 4u) { c = philox_round(c, key + 4u * w); }
  if (PHILOX_ROUNDS > 5u && done <= 5u) { c = philox_round(c, key + 5u * w); }
  if (PHILOX_ROUNDS > 6u && done <= 6u) { c = philox_round(c, key + 6u * w); }
  if (PHILOX_ROUNDS > 7u && done <= 7u) { c = philox_round(c, key + 7u * w); }
  if (PHILOX_ROUNDS > 8u && done <= 8u) { c = philox_round(c, key + 8u * w); }
  if (PHILOX_ROUNDS > 9u && done <= 9u) { c = philox_round(c, key + 9u * w); }
  if (PHILOX_ROUNDS > 10u && done <= 10u) { c = philox_round(c, key + 10u * w); }
  if (PHILOX_ROUNDS > 11u && done <= 11u) { c = philox_round(c, key + 11u * w); }
  if (PHILOX_ROUNDS > 12u && done <= 12u) { c = philox_round(c, key + 12u * w); }
  if (PHILOX_ROUNDS > 13u && done <= 13u) { c = philox_round(c, key + 13u * w); }
  if (PHILOX_ROUNDS > 14u && done <= 14u) { c = philox_round(c, key + 14u * w); }
  if (PHILOX_ROUNDS > 15u && done <= 15u) { c = philox_round(c, key + 15u * w); }
  return c;
}

// Philox4x32-R of one (counter, key) pair, R = PHILOX_ROUNDS (vec2<u32> arithmetic wraps modulo
// 2³², as the key schedule requires).
fn philox4x32_r(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  return philox4x32_r_from(philox_round(counter, key), key, 1u);
}

// ---- Dropout masks: the shared contract -------------------------------------------------------
//
// SHARED CONTRACT: every kernel that applies a dropout mask (the standalone dropout kernel,
// shaders/dropout.wgsl, and any fused epilogue, e.g. in a matmul) decides "is flat element i
// kept?" with these functions, so the masks are bit-identical across kernels, adapters and the CPU
// twin (`dropoutMaskCpu` in engine/ops/dropout.ts). Their signatures and semantics are fixed; only
// the default of PHILOX_ROUNDS may change, and every host dispatch passes the TypeScript constant
// `PHILOX_ROUNDS` (engine/random/philox.ts) as the override of the same name.
//
// Arguments, exactly as the dropout kernel's uniforms carry them (engine/ops/dropout.ts):
//   seed       (seed_lo, seed_hi): the Philox key
//   ctr        (stream, offset_lo, offset_hi): counter words 1 … 3
//   threshold  keep iff the element's 16-bit uniform < threshold (round(p·2¹⁶), 0 … 2¹⁶)
// Mapping: counter q = i / 8 gives four words; element i takes word (i % 8) / 2, its low 16 bits
// if i is even, its high 16 bits if i is odd.

// The four Philox words of group q: the random bits of elements 8q … 8q+7.
fn dropout_words8(q: u32, seed: vec2<u32>, ctr: vec3<u32>) -> vec4<u32> {
  return philox4x32_r(vec4<u32>(q, ctr.x, ctr.y, ctr.z), seed);
}

// Whether element 8q + j (j < 8) is kept, from the words of its group q (dropout_words8).
fn dropout_keep_in(words: vec4<u32>, j: u32, threshold: u32) -> bool {
  return ((words[j / 2u] >> (16u * (j % 2u))) & 0xFFFFu) < threshold;
}

// SHARED CONTRACT: whether flat element i is kept. One Philox call per call: a kernel deciding
// several elements of one group of eight should call dropout_words8 once and dropout_keep_in per
// element (the same decisions).
fn dropout_keep_at(i: u32, seed: vec2<u32>, ctr: vec3<u32>, threshold: u32) -> bool {
  return dropout_keep_in(dropout_words8(i / 8u, seed, ctr), i % 8u, threshold);
}
