// Fused optimizer updates over a parameter arena: ONE dispatch updates every parameter of a model.
//
// The arena (engine/optim/arena.ts) keeps all parameters in one buffer `w`, their gradients in one
// buffer `g`, and each optimizer state in one buffer of the same layout. Every parameter (a
// "segment") starts on a 64-element chunk boundary (256 bytes, the storage offset alignment), and
// the tail of its last chunk is padding. One small table tells an element which segment it is in:
//   chunks[c] = { end, alpha } of the parameter that owns chunk c (elements 64c .. 64c+63):
//   the first element past that parameter, and its coefficient α.
// So finding an element's per-tensor α costs one load from a table of 8 bytes per 64 elements
// (1/32 of the parameter traffic, and cached), with no search. Both alternatives tried side by side,
// a binary search over segment ends and a chunk → segment index → segment record pair of loads,
// were slower on both software adapters.
// Padding lanes (index ≥ end) are written back unchanged, so padding that starts at zero stays
// zero whatever the kernel computes.
//
// One invocation updates VPI consecutive vec4s (4 elements each) with one chunk lookup. VPI divides
// the 16 vec4s of a chunk, so an invocation's vec4s all lie in one chunk (one parameter), and the
// arena's length is a multiple of 16 vec4s, so no invocation runs past it. VPI is chosen per adapter
// (engine/optim/optimizers.ts), picked by timing the choices side by side on an MLP's arena: the
// CPU adapters pay per invocation, so they want several vec4s each (SwiftShader most, lavapipe a
// few; more than that made AdamW slower there). A real GPU wants VPI = 1, so that neighbouring
// invocations read neighbouring vec4s. The update bench suite measures the kernels.
// Per-call values (ε, μ, β₁, β₂, δ, bias corrections) are uniforms, so a training step compiles
// nothing.
//
// The rules, with ε the learning rate and α the segment's decay coefficient (0 for biases unless
// asked for):
//   sgd       w ← (1 − εα)·w − ε·g                       coupled L2, eq. 7.5 of the chapter
//   momentum  u ← μ·u + g + α·w;   w ← w − ε·u            velocity accumulates the raw gradient
//                                                        (PyTorch's convention, no dampening)
//   adam      g' = g + α·w (coupled L2: the decay goes through the adaptive moments)
//             m ← β₁m + (1 − β₁)g';  v ← β₂v + (1 − β₂)g'²
//             w ← w − ε·m̂/(√v̂ + δ),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)
//   adamw     moments of the raw g, then w ← w − ε·(m̂/(√v̂ + δ) + α·w): decoupled decay
//             (Loshchilov & Hutter), scaled by the learning rate as in PyTorch's AdamW.
// The bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ are computed on the host in f64 from the step counter t.

struct Params {
  n4: u32,        // vec4s in the arena (its padded length / 4)
  lr: f32,        // ε
  momentum: f32,  // μ (momentum)
  beta1: f32,     // β₁ (adam, adamw)
  beta2: f32,     // β₂
  eps: f32,       // δ, added to √v̂
  bc1: f32,       // 1 − β₁ᵗ
  bc2: f32,       // 1 − β₂ᵗ
}

struct Chunk {
  end: u32,    // first element index past the parameter that owns the chunk
  alpha: f32,  // that parameter's decay coefficient
}

override WG: u32 = 256;
override VPI: u32 = 1;  // vec4s per invocation: 1, 2, 4, 8 or 16

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> chunks: array<Chunk>;
@group(0) @binding(3) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> m: array<vec4<f32>>;         // adam: first moment
@group(0) @binding(6) var<storage, read_write> v: array<vec4<f32>>;         // adam: second moment
@group(0) @binding(7) var<storage, read_write> velocity: array<vec4<f32>>;  // momentum: u

// The chunk record of vec4 number i.
fn chunk_of(i: u32) -> Chunk {
  return chunks[i >> VEC4_PER_CHUNK_SHIFT];
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let seg = chunk_of(first);
  let shrink = 1.0 - params.lr * seg.alpha;
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let w0 = w[i];
    w[i] = select(w0, shrink * w0 - params.lr * g[i], live_lanes(i, seg.end));
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let seg = chunk_of(first);
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let live = live_lanes(i, seg.end);
    let w0 = w[i];
    let u0 = velocity[i];
    let u = params.momentum * u0 + (g[i] + seg.alpha * w0);
    velocity[i] = select(u0, u, live);
    w[i] = select(w0, w0 - params.lr * u, live);
  }
}

// The Adam moments and the step m̂/(√v̂ + δ) for the effective gradient gg; writes m and v.
fn adam_direction(i: u32, gg: vec4<f32>, live: vec4<bool>) -> vec4<f32> {
  let m0 = m[i];
  let v0 = v[i];
  let m1 = params.beta1 * m0 + (1.0 - params.beta1) * gg;
  let v1 = params.beta2 * v0 + (1.0 - params.beta2) * gg * gg;
  m[i] = select(m0, m1, live);
  v[i] = select(v0, v1, live);
  return (m1 / params.bc1) / (sqrt(v1 / params.bc2) + params.eps);
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let seg = chunk_of(first);
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let live = live_lanes(i, seg.end);
    let w0 = w[i];
    let d = adam_direction(i, g[i] + seg.alpha * w0, live);
    w[i] = select(w0, w0 - params.lr * d, live);
  }
}

@compute @workgroup_size(WG)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let seg = chunk_of(first);
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let live = live_lanes(i, seg.end);
    let w0 = w[i];
    let d = adam_direction(i, g[i], live);
    w[i] = select(w0, w0 - params.lr * (d + seg.alpha * w0), live);
  }
}
