// Standard normal draws from the counter-based generator, by the Box–Muller transform (Box &
// Muller, 1958). A library file: functions only, no entry points. It calls shaders/philox.wgsl, so
// a kernel lists both in `uses`, philox first (shaders/index.ts). Its TypeScript twin is
// engine/random/normal.ts: the same Philox words and uniforms bit for bit, the transform in f64,
// so the GPU's draws agree with it to a few f32 ulps, not bit for bit (tests/ops/noise.test.ts).
//
// ---- How element i gets its normal draw -----------------------------------------------------
//
// One Philox call gives four uniform 32-bit words, and Box–Muller turns each pair of uniforms into
// a pair of independent N(0, 1) draws, so one call serves four elements, 4q … 4q+3:
//
//   key     = (seed_lo, seed_hi)
//   counter = (q, stream, offset_lo, offset_hi)     q = i / 4
//   (w0, w1, w2, w3) = philox4x32_10(counter, key)
//   (z0, z1) = box_muller(w0, w1),  (z2, z3) = box_muller(w2, w3),  element i takes z_(i % 4)
//
// ---- Box–Muller on 24-bit uniforms ----------------------------------------------------------
//
//   u = (⌊w_a / 2⁸⌋ + 1) · 2⁻²⁴ ∈ [2⁻²⁴, 1]    never 0, so ln u is finite; exact in f32
//   v = ⌊w_b / 2⁸⌋ · 2⁻²³ − 1  ∈ [−1, 1)       exact in f32
//   r = √(−2 ln u)
//   (z_a, z_b) = (r·cos πv, r·sin πv)
//
// Only 24 bits of a word are used because an f32 holds 24 bits exactly, and WGSL leaves the
// rounding of wider u32 → f32 conversions to the implementation: these conversions are exact, so
// the CPU twin starts from the very same u and v. The smallest u, 2⁻²⁴, caps |z| at
// √(48 ln 2) ≈ 5.77: the tails beyond hold 8·10⁻⁹ of the normal's mass, far below what any
// statistical test or training run here can see.
//
// ---- Why not the builtins log, cos and sin ---------------------------------------------------
//
// WGSL only bounds their error loosely, and the software adapters use that freedom (measured on
// 2¹⁶ arguments): SwiftShader's cos and sin are off by up to 1.9·10⁻⁴ (Vulkan allows 2⁻¹¹), which
// moved draws near |z| = 4 by 8·10⁻⁴; both adapters' log is off by up to 6·10⁻⁷ ABSOLUTE near 1,
// a relative error of 0.4% in the small radii there. The two functions below use only +, −, ×,
// one division and exact bit manipulation, so every adapter lands within a few ulps of the true
// value: cos πv and sin πv by exact reduction of v to [0, ¼] (no rounding of π·v before the
// reduction) and Taylor polynomials on [0, π/4]; ln u by u = m·2ᵉ, m ∈ (√½, √2], and
// ln m = 2 atanh((m − 1)/(m + 1)), whose argument is small, so it has a relative error of a few
// ulps even at u → 1. The augmentation kernel uses sincos_pi for its rotations too.

// A uniform number on [0, 1) in steps of 2⁻²⁴ from the top 24 bits of a Philox word (exact in f32).
fn philox_uniform24(w: u32) -> f32 {
  return f32(w >> 8u) * 5.9604644775390625e-8;  // 2⁻²⁴
}

// (cos πt, sin πt) for t ∈ [−1, 1], within about 2·10⁻⁷ of the true values; exactly (1, 0) at t = 0.
fn sincos_pi(t: f32) -> vec2<f32> {
  let a = abs(t);
  let back = a > 0.5;
  let b = select(a, 1.0 - a, back);    // ∈ [0, ½], exact (Sterbenz); cos changes sign
  let swap = b > 0.25;
  let c = select(b, 0.5 - b, swap);    // ∈ [0, ¼], exact; cos and sin trade places
  let x = 3.1415927410125732421875 * c;  // ∈ [0, π/4]
  let x2 = x * x;
  // Taylor series; the first terms left out are below 2·10⁻⁹ on [0, π/4].
  let s = x * (1.0 + x2 * (-0.1666666716337204 + x2 * (0.008333333767950535 + x2 * (-0.00019841270113829523 + x2 * 0.0000027557318844628753))));
  let k = 1.0 + x2 * (-0.5 + x2 * (0.0416666679084301 + x2 * (-0.0013888889225199819 + x2 * (0.000024801587642286904 - x2 * 2.755731998149713e-7))));
  let cs = select(vec2<f32>(k, s), vec2<f32>(s, k), swap);
  return vec2<f32>(select(cs.x, -cs.x, back), select(cs.y, -cs.y, t < 0.0));
}

// ln u for a normal (not subnormal) f32 u > 0, to a few ulps of the result, also near u = 1.
fn ln_accurate(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  let e0 = f32(i32(bits >> 23u) - 127);
  let m0 = bitcast<f32>((bits & 0x007FFFFFu) | 0x3F800000u);  // u = m0·2^e0, m0 ∈ [1, 2)
  // m ∈ (√½, √2]: selected rather than branched, so a SIMD batch of invocations never diverges here.
  let big = m0 > 1.41421356;
  let m = select(m0, 0.5 * m0, big);
  let e = select(e0, e0 + 1.0, big);
  let s = (m - 1.0) / (m + 1.0);  // |s| ≤ 0.1716; m − 1 is exact
  let s2 = s * s;
  let ln_m = 2.0 * s * (1.0 + s2 * (0.3333333432674408 + s2 * (0.20000000298023224 + s2 * (0.1428571492433548 + s2 * (0.1111111119389534 + s2 * 0.09090909361839294)))));
  // ln 2 split in two (fdlibm's logf): e·ln2_hi is exact for the |e| ≤ 126 of normal floats.
  return e * 0.69313812255859375 + (e * 0.00000905800061445916071534156799316 + ln_m);
}

// Two independent standard normal draws from two uniform words.
fn box_muller(wa: u32, wb: u32) -> vec2<f32> {
  let u = f32((wa >> 8u) + 1u) * 5.9604644775390625e-8;  // (k + 1)·2⁻²⁴ ∈ [2⁻²⁴, 1]
  let v = f32(wb >> 8u) * 1.1920928955078125e-7 - 1.0;   // k·2⁻²³ − 1 ∈ [−1, 1)
  return sqrt(-2.0 * ln_accurate(u)) * sincos_pi(v);
}

// The four standard normal draws of one Philox counter: elements 4q … 4q+3 when counter.x = q.
fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let w = philox4x32_10(counter, key);
  return vec4<f32>(box_muller(w.x, w.y), box_muller(w.z, w.w));
}
