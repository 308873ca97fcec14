// Dropout with its random mask drawn inside the shader (chapter 7.12 of Goodfellow et al.).
//
//   y = x ⊙ m / p    ("inverted" dropout: training divides by p, so inference needs no rescaling)
//   y = x ⊙ m        (scale = 1: for the weight scaling inference rule, which multiplies by p later)
//
// where p is the KEEP probability and each mᵢ ∈ {0, 1} is an independent Bernoulli(p) draw.
//
// No mask is ever stored. The mask is a pure function of a key and the element index, computed
// with the counter-based generator Philox4x32-10 (shaders/philox.wgsl). The backward pass,
// dx = dy ⊙ m / p, is this same kernel run on dy with the same key: it regenerates exactly the
// mask the forward pass used, instead of keeping n bytes alive between the two.
//
// ---- How element i gets its random bit ------------------------------------------------------
//
// One Philox call turns a 128-bit counter and a 64-bit key into four 32-bit uniform words; one
// invocation makes one call and uses all four words, for the four elements 4q … 4q+3:
//
//   key     = (seed_lo, seed_hi)                  the user's seed (an integer below 2⁵³)
//   counter = (q, stream, offset_lo, offset_hi)   q = i / 4, the element's group of four
//                                                 stream: which random feature (a layer, say)
//                                                 offset: the training step, or any number the
//                                                 caller advances between calls (below 2⁵³)
//   word    = philox4x32_10(counter, key)[i % 4]
//   mᵢ      = 1 if word ≤ threshold, else 0
//
// Different (seed, stream, offset) give unrelated masks; the same ones give the same mask, bit
// for bit, on every adapter and on the CPU (the twin in engine/random/philox.ts and
// `dropoutMaskCpu` in engine/ops/dropout.ts).
//
// ---- Why a threshold on the integer word ----------------------------------------------------
//
// A word is uniform on {0, …, 2³² − 1}, so P(word ≤ t) = (t + 1) / 2³² exactly. The host picks
// t = round(p·2³²) − 1, so the keep probability is p to within 2⁻³³ (a p below 2⁻³³ becomes
// 2⁻³², the smallest step). Turning the word into a float in [0, 1) first would round it to 24
// bits and gain nothing. p = 1 gives t = 2³² − 1: every element is kept.
//
// ---- Entry points ---------------------------------------------------------------------------
//
//   dropout4        n a multiple of 4: x and y as vec4 arrays, 16-byte loads and stores; each
//                   invocation takes two groups of four (two independent Philox calls, which
//                   CPU-based adapters overlap: measured about 1.3× faster on lavapipe than one)
//   dropout         any n: the same elements, the same masks, as scalars (the tail is checked)
//   dropout4_mask,  the same, and also write m (0.0 or 1.0) to `mask`: only for demos and tests,
//   dropout_mask    since it costs 4 extra bytes per element that the default path never stores

struct Params {
  n: u32,          // elements
  threshold: u32,  // keep iff word ≤ threshold
  scale: f32,      // 1/p for inverted dropout, 1 for none (rounded to f32 on the host)
  seed_lo: u32,    // key
  seed_hi: u32,
  stream: u32,     // counter words 1 … 3
  offset_lo: u32,
  offset_hi: u32,
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

// The keep decisions of elements 4q … 4q+3: one Philox call.
fn keep4(q: u32) -> vec4<bool> {
  let counter = vec4<u32>(q, params.stream, params.offset_lo, params.offset_hi);
  let key = vec2<u32>(params.seed_lo, params.seed_hi);
  return philox4x32_10(counter, key) <= vec4<u32>(params.threshold);
}

// x·scale where kept, 0 where dropped (select, not a multiply by m: a dropped inf or NaN gives 0).
fn apply4(v: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  return select(vec4<f32>(0.0), v * params.scale, keep);
}

// Both Philox calls come before any memory access, so nothing serializes the two chains.
@compute @workgroup_size(WG)
fn dropout4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = 2u * invocation_index(gid, groups);
  let quads = params.n / 4u;
  if (q >= quads) { return; }
  let keep_a = keep4(q);
  let keep_b = keep4(q + 1u);
  y4[q] = apply4(x4[q], keep_a);
  if (q + 1u < quads) { y4[q + 1u] = apply4(x4[q + 1u], keep_b); }
}

@compute @workgroup_size(WG)
fn dropout4_mask(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = 2u * invocation_index(gid, groups);
  let quads = params.n / 4u;
  if (q >= quads) { return; }
  let keep_a = keep4(q);
  let keep_b = keep4(q + 1u);
  y4[q] = apply4(x4[q], keep_a);
  mask4[q] = select(vec4<f32>(0.0), vec4<f32>(1.0), keep_a);
  if (q + 1u < quads) {
    y4[q + 1u] = apply4(x4[q + 1u], keep_b);
    mask4[q + 1u] = select(vec4<f32>(0.0), vec4<f32>(1.0), keep_b);
  }
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = invocation_index(gid, groups);
  if (4u * q >= params.n) { return; }
  let keep = keep4(q);
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * q + j;
    if (i < params.n) { y[i] = select(0.0, x[i] * params.scale, keep[j]); }
  }
}

@compute @workgroup_size(WG)
fn dropout_mask(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = invocation_index(gid, groups);
  if (4u * q >= params.n) { return; }
  let keep = keep4(q);
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * q + j;
    if (i < params.n) {
      y[i] = select(0.0, x[i] * params.scale, keep[j]);
      mask[i] = select(0.0, 1.0, keep[j]);
    }
  }
}
