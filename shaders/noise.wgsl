// Gaussian noise drawn inside the shader (chapter 7.3 of Goodfellow et al., noise robustness).
//
//   add_noise       y = x + σ·z                   input or hidden-unit noise, a new tensor
//   perturb_arena   w ← w + sign·σ_p·z  in place  weight noise ε_W ~ N(0, η I) (eq. 7.31) over a
//                                                 whole parameter arena, one dispatch
//   perturb_arena_keep                            the same, and the values before it into `kept`
//                                                 (every element, padding included), so that one
//                                                 buffer copy restores them bit for bit
//
// z is the standard normal draw of the element's index under the key (seed, stream, offset),
// from shaders/normal.wgsl (element i is component i % 4 of Philox counter i / 4). Nothing random
// is stored: perturb_arena with sign = −1 regenerates the very z it added with sign = +1 and takes
// it away again, so that path needs no copy of the weights. (Not bit for bit: the
// rounding of (w + e) is not undone by subtracting e; the error is at most half an ulp of each of
// the two results.) Regenerating costs a second round of Philox and Box–Muller per element, which
// dominates the pass on the software adapters: weight noise in training keeps the values instead
// (perturb_arena_keep) and restores them with a buffer copy, one draw per element per step.
//
// perturb_arena reads the arena's per-chunk table (engine/optim/arena.ts, shaders/update_chain.wgsl):
// chunks[c] = { end, sigma } of the parameter that owns the 64 elements 64c … 64c+63, with σ_p the
// parameter's noise scale. A chunk with σ_p = 0 (a bias, say) is skipped entirely: no Philox call,
// no store, so its values stay bit-identical. Padding lanes (index ≥ end) are written back
// unchanged. One invocation handles one vec4, which is exactly one Philox call (four draws) and
// never straddles a chunk.

struct Params {
  n: u32,          // add_noise: elements; perturb_arena: vec4s in the arena
  sigma: f32,      // add_noise: σ
  sign: f32,       // perturb_arena: +1 adds the noise, −1 takes it away
  seed_lo: u32,    // key
  seed_hi: u32,
  stream: u32,     // counter words 1 … 3
  offset_lo: u32,
  offset_hi: u32,
}

struct Chunk {
  end: u32,  // first element index past the parameter that owns the chunk
  sigma: f32,  // that parameter's σ_p
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> chunks: array<Chunk>;
@group(0) @binding(4) var<storage, read_write> w4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> kept: array<vec4<f32>>;

// The four draws of elements 4q … 4q+3.
fn normals(q: u32) -> vec4<f32> {
  return philox_normal4(vec4<u32>(q, params.stream, params.offset_lo, params.offset_hi), vec2<u32>(params.seed_lo, params.seed_hi));
}

// y[i] = x[i] + σ·z for an element of the tensor (the last run of four may stick out).
fn add_at(i: u32, z: f32) {
  if (i < params.n) { y[i] = x[i] + params.sigma * z; }
}

@compute @workgroup_size(WG)
fn add_noise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (4u * q >= params.n) { return; }
  let z = normals(q);
  // Written out, so the draws are read with constant indices.
  let i = 4u * q;
  add_at(i, z.x);
  add_at(i + 1u, z.y);
  add_at(i + 2u, z.z);
  add_at(i + 3u, z.w);
}

// w0 + sign·σ_p·z of vec4 i, with the padding lanes (index ≥ the owner's end) left as they are.
fn perturbed(i: u32, w0: vec4<f32>, seg: Chunk) -> vec4<f32> {
  let live = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(seg.end);
  return select(w0, w0 + (params.sign * seg.sigma) * normals(i), live);
}

@compute @workgroup_size(WG)
fn perturb_arena(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let seg = chunks[i >> 4u];  // 16 vec4s per 64-element chunk
  if (seg.sigma == 0.0) { return; }
  w4[i] = perturbed(i, w4[i], seg);
}

@compute @workgroup_size(WG)
fn perturb_arena_keep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let w0 = w4[i];
  kept[i] = w0;
  let seg = chunks[i >> 4u];
  if (seg.sigma == 0.0) { return; }
  w4[i] = perturbed(i, w0, seg);
}
