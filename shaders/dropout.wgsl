// Dropout with its random mask drawn inside the shader (chapter 7.12 of Goodfellow et al.).
//
//   y = x ⊙ m / p    ("inverted" dropout: training divides by p, so inference needs no rescaling)
//   y = x ⊙ m        (scale = 1: for the weight scaling inference rule, which multiplies by p later)
//
// where p is the KEEP probability and each mᵢ ∈ {0, 1} is an independent Bernoulli(p) draw.
//
// No mask is ever stored. The mask is a pure function of a key and the element index, computed
// with the counter-based generator Philox4x32-R (shaders/philox.wgsl), R = PHILOX_ROUNDS rounds, a
// pipeline constant the host sets (7 by default: PHILOX_ROUNDS in engine/random/philox.ts says
// why). The backward pass,
// dx = dy ⊙ m / p, is this same kernel run on dy with the same key: it regenerates exactly the
// mask the forward pass used, instead of keeping n bytes alive between the two.
//
// ---- How element i gets its random bits ----------------------------------------------------
//
// One Philox call turns a 128-bit counter and a 64-bit key into four 32-bit uniform words, and each
// word is split into two 16-bit uniforms, so one call decides eight elements, 8q … 8q+7:
//
//   key     = (seed_lo, seed_hi)                  the user's seed (an integer below 2⁵³)
//   counter = (q, stream, offset_lo, offset_hi)   q = i / 8, the element's group of eight
//                                                 stream: which random feature (a layer, say)
//                                                 offset: the training step, or any number the
//                                                 caller advances between calls (below 2⁵³)
//   word    = philox4x32_r(counter, key)[(i % 8) / 2]
//   uᵢ      = word & 0xFFFF if i is even, word >> 16 if i is odd
//   mᵢ      = 1 if uᵢ < threshold, else 0
//
// So adjacent elements 2k, 2k+1 are the two halves of one word (the statistical tests check that
// they are uncorrelated). Different (seed, stream, offset) give unrelated masks; the same ones give
// the same mask, bit for bit, on every adapter and on the CPU (the twin in engine/random/philox.ts
// and `dropoutMaskCpu` in engine/ops/dropout.ts). This mapping is the shared contract of every
// kernel that applies a dropout mask (`dropout_keep_at` and `dropout_words8` in shaders/philox.wgsl,
// whose words this kernel computes with its first two rounds folded, see below), so a mask applied
// inside another kernel's epilogue is this one.
//
// ---- Why 16 bits, and why a threshold on the integer ----------------------------------------
//
// Philox is the whole cost of this kernel on the CPU-based adapters (WGSL has no 64-bit integers,
// so each of its 2R 32×32→64 products takes about fifteen 32-bit operations), and 16 bits per
// element are enough: u is uniform on {0, …, 2¹⁶ − 1}, so P(u < t) = t / 2¹⁶ exactly, and the host
// picks t = round(p·2¹⁶), within 2⁻¹⁷ of p (a p below 2⁻¹⁷ rounds to 0 and drops every unit; the
// design asks for 2⁻¹⁶). p = 1 gives t = 2¹⁶: every element is kept. Halving the Philox calls per
// element made forward + backward clearly faster on both software adapters than one 32-bit word per
// element (interleaved runs; the dropout bench suite measures it).
//
// ---- Entry points ---------------------------------------------------------------------------
//
//   dropout4        n a multiple of 4: x and y as vec4 arrays, 16-byte loads and stores; each
//                   invocation makes two Philox calls (two independent chains, which CPU-based
//                   adapters overlap) for sixteen elements, four vec4s
//   dropout         any n: the same elements, the same masks, as scalars (the tail is checked),
//                   one call for eight elements per invocation
//   dropout4_mask,  the same, and also write m (0.0 or 1.0) to `mask`: only for demos and tests,
//   dropout_mask    since it costs 4 extra bytes per element that the default path never stores

struct Params {
  n: u32,          // elements
  threshold: u32,  // keep iff the element's 16-bit uniform < threshold (0 … 2¹⁶)
  scale: f32,      // 1/p for inverted dropout, 1 for none (rounded to f32 on the host)
  seed_lo: u32,    // key
  seed_hi: u32,
  stream: u32,     // counter words 1 … 3
  offset_lo: u32,
  offset_hi: u32,
  // The uniform parts of Philox rounds 1 and 2, computed on the host (see words8_of).
  r1_x: u32,
  r1_y: u32,
  r1_z: u32,
  r2_x: u32,
  r2_z: u32,
  r2_w: u32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> mask4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> mask: array<f32>;

// The invocation's flat index (grids spill into y past 65,535 workgroups).
fn invocation_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// ---- The first two rounds, folded -----------------------------------------------------------
//
// Only counter word 0 (q) varies between elements; words 1 … 3 (stream, offset) and the key are
// uniforms. So half of the first two Philox rounds is the same for every element. With
// p = M0·q (varies) and the keys k (round 1) and k' = k + W (round 2):
//
//   round 1: M1·offset_lo is uniform, so c1.x and c1.y are:
//            c1 = (hi(M1·offset_lo) ^ stream ^ k0,  lo(M1·offset_lo),  hi(p) ^ offset_hi ^ k1,  lo(p))
//               = (r1_x,  r1_y,  hi(p) ^ r1_z,  lo(p))
//   round 2: M0·c1.x = M0·r1_x is uniform, M1·c1.z varies:
//            c2 = (hi(M1·c1.z) ^ r1_y ^ k0',  lo(M1·c1.z),  hi(M0·r1_x) ^ c1.w ^ k1',  lo(M0·r1_x))
//               = (hi(M1·c1.z) ^ r2_x,  lo(M1·c1.z),  c1.w ^ r2_z,  r2_w)
//
// The host computes the six r-words once per dispatch with the TypeScript twin (dropoutUniforms
// in engine/ops/dropout.ts), and the kernel finishes with the remaining rounds (philox4x32_r_from).
// The words are exactly dropout_words8's, the shared contract in shaders/philox.wgsl (the tests
// compare the two). On a CPU-based adapter, where each SIMD batch of invocations would otherwise
// redo the uniform products, this saves two of the 2R products per batch.

// The four words of group q from p = M0·q as (high, low): the random bits of elements 8q … 8q+7.
fn words8_of(p: vec2<u32>) -> vec4<u32> {
  let c1 = vec4<u32>(params.r1_x, params.r1_y, p.x ^ params.r1_z, p.y);
  if (PHILOX_ROUNDS == 1u) { return c1; }
  let m = philox_mulhilo(PHILOX_M1, c1.z);
  let c2 = vec4<u32>(m.x ^ params.r2_x, m.y, c1.w ^ params.r2_z, params.r2_w);
  return philox4x32_r_from(c2, vec2<u32>(params.seed_lo, params.seed_hi), 2u);
}

// The four words of group q (dropout_words8(q, seed, (stream, offset)) of the shared contract).
fn words8(q: u32) -> vec4<u32> {
  return words8_of(philox_mulhilo_m0(q));
}

// The keep decisions of four consecutive elements from two words: (w0 low, w0 high, w1 low, w1 high).
fn keep4(w0: u32, w1: u32) -> vec4<bool> {
  let u = (vec4<u32>(w0, w0, w1, w1) >> vec4<u32>(0u, 16u, 0u, 16u)) & vec4<u32>(0xFFFFu);
  return u < vec4<u32>(params.threshold);
}

// x·scale where kept, 0 where dropped (select, not a multiply by m: a dropped inf or NaN gives 0).
fn apply4(v: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  return select(vec4<f32>(0.0), v * params.scale, keep);
}

// The keep decisions of elements 16j … 16j+15, vec4s 4j … 4j+3. Both Philox calls come before
// any memory access, so nothing serializes the two chains.
fn keep16(j: u32) -> array<vec4<bool>, 4> {
  // M0·(2j + 1) = M0·2j + M0: the second product from the first with an add and a carry.
  let pa = philox_mulhilo_m0(2u * j);
  let lo_b = pa.y + PHILOX_M0;
  let pb = vec2<u32>(pa.x + select(0u, 1u, lo_b < pa.y), lo_b);
  let a = words8_of(pa);
  let b = words8_of(pb);
  return array<vec4<bool>, 4>(keep4(a.x, a.y), keep4(a.z, a.w), keep4(b.x, b.y), keep4(b.z, b.w));
}

// The keep decision of element 8q + j from the words of counter q.
fn keep1(w: vec4<u32>, j: u32) -> bool {
  return ((w[j / 2u] >> (16u * (j % 2u))) & 0xFFFFu) < params.threshold;
}

// The entry points without a mask never mention `mask4` or `mask`, so they need no such binding.

@compute @workgroup_size(WG)
fn dropout4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = invocation_index(gid, groups);
  let n4 = params.n / 4u;
  if (4u * j >= n4) { return; }
  // The four vec4s written out, not looped over: `keep` is indexed by constants only, so it stays
  // in registers (a private array indexed by a loop variable is kept in memory on SwiftShader;
  // tests/lint/accumulators.test.ts checks every kernel for it).
  let keep = keep16(j);
  let v = 4u * j;
  y4[v] = apply4(x4[v], keep[0]);
  if (v + 1u < n4) { y4[v + 1u] = apply4(x4[v + 1u], keep[1]); }
  if (v + 2u < n4) { y4[v + 2u] = apply4(x4[v + 2u], keep[2]); }
  if (v + 3u < n4) { y4[v + 3u] = apply4(x4[v + 3u], keep[3]); }
}

@compute @workgroup_size(WG)
fn dropout4_mask(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = invocation_index(gid, groups);
  let n4 = params.n / 4u;
  if (4u * j >= n4) { return; }
  let keep = keep16(j);
  let v = 4u * j;
  write_masked4(v, keep[0]);
  if (v + 1u < n4) { write_masked4(v + 1u, keep[1]); }
  if (v + 2u < n4) { write_masked4(v + 2u, keep[2]); }
  if (v + 3u < n4) { write_masked4(v + 3u, keep[3]); }
}

// dropout4_mask's output and mask of vec4 v.
fn write_masked4(v: u32, keep: vec4<bool>) {
  y4[v] = apply4(x4[v], keep);
  mask4[v] = select(vec4<f32>(0.0), vec4<f32>(1.0), keep);
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = invocation_index(gid, groups);
  if (8u * q >= params.n) { return; }
  let w = words8(q);
  for (var j = 0u; j < 8u; j++) {
    let i = 8u * q + j;
    if (i < params.n) { y[i] = select(0.0, x[i] * params.scale, keep1(w, j)); }
  }
}

@compute @workgroup_size(WG)
fn dropout_mask(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = invocation_index(gid, groups);
  if (8u * q >= params.n) { return; }
  let w = words8(q);
  for (var j = 0u; j < 8u; j++) {
    let i = 8u * q + j;
    if (i < params.n) {
      let keep = keep1(w, j);
      y[i] = select(0.0, x[i] * params.scale, keep);
      mask[i] = select(0.0, 1.0, keep);
    }
  }
}
