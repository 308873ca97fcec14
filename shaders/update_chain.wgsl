// A chain of gradient transformations (the Optax idea) fused into ONE dispatch over a parameter
// arena (engine/optim/chain.ts builds the chain; engine/optim/arena.ts describes the layout).
//
// A chain such as clip → L2 → momentum → decoupled decay → proximal L1 is a list of small steps
// for a library like Optax, each reading and writing every parameter. Here every step of the common
// chains is a few arithmetic operations per element, so they run one after another on the element
// while it is in registers: one read of w, g and the optimizer state, one write of w and the state.
//
// Per element, with ε the learning rate and the coefficients of the element's parameter:
//
//   g  ← c·g_raw + l2·w + l1·sign(w)        c: the global-norm clip factor (1 when clipping is off)
//                                           l2: coupled L2 (eq. 7.5: the penalty's gradient α·w)
//                                           l1: L1 by subgradient (eq. 7.20: α·sign(w))
//   d  ← sgd:      g
//        momentum: u ← μ·u + g;  d = u      (PyTorch's convention: u starts at 0, no dampening)
//        adam:     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  d = m̂/(√v̂ + δ)
//   w  ← w − ε·(d + wd·w)                   wd: decoupled weight decay (AdamW), scaled by ε
//   w  ← sign(w)·max(|w| − ε·prox, 0)       proximal L1 after any update: exact zeros
//
// A coefficient that is 0 costs nothing but the multiply. Coefficients live in a per-chunk table
// (one record per 64 elements, the arena's layout; see shaders/optim.wgsl for why a chunk table),
// so parameters can have their own coefficients and the host can change one (a slider, a schedule)
// by rewriting a few bytes, without touching the optimizer's state.
//
// Clipping by global norm needs ‖g‖ over every parameter before any update: the host records a
// sum of squares of the arena's gradients (a reduction) into `gnorm2` first, and every invocation
// turns it into c = min(1, max_norm / ‖g‖). With clipping off, `gnorm2` is bound to a dummy.
//
// Padding lanes (index ≥ end) are written back unchanged, as in shaders/optim.wgsl.

struct Params {
  n4: u32,         // vec4s in the arena
  lr: f32,         // ε
  momentum: f32,   // μ
  beta1: f32,      // β₁
  beta2: f32,      // β₂
  eps: f32,        // δ
  bc1: f32,        // 1 − β₁ᵗ
  bc2: f32,        // 1 − β₂ᵗ
  max_norm: f32,   // global-norm clip threshold; 0 = no clipping
}

struct Coefs {
  end: u32,    // first element past the parameter that owns the chunk
  l2: f32,     // coupled L2
  l1: f32,     // L1 subgradient
  wd: f32,     // decoupled decay
  prox: f32,   // proximal L1 (threshold ε·prox)
}

override WG: u32 = 256;
override VPI: u32 = 1;  // vec4s per invocation: 1, 2, 4, 8 or 16

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> coefs: array<Coefs>;
@group(0) @binding(2) var<storage, read> gnorm2: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> m: array<vec4<f32>>;         // adam: first moment
@group(0) @binding(6) var<storage, read_write> v: array<vec4<f32>>;         // adam: second moment
@group(0) @binding(7) var<storage, read_write> velocity: array<vec4<f32>>;  // momentum: u

// c = min(1, max_norm / ‖g‖), or 1 when clipping is off.
fn clip_factor() -> f32 {
  if (params.max_norm <= 0.0) { return 1.0; }
  let norm = sqrt(gnorm2[0]);
  return select(1.0, params.max_norm / norm, norm > params.max_norm);
}

// The gradient after clipping and the coupled penalties.
fn effective_grad(i: u32, w0: vec4<f32>, c: Coefs, clip: f32) -> vec4<f32> {
  return clip * g[i] + c.l2 * w0 + c.l1 * sign(w0);
}

// The step after the direction d: decoupled decay, then the proximal L1 threshold.
fn finish(w0: vec4<f32>, d: vec4<f32>, c: Coefs) -> vec4<f32> {
  let w1 = w0 - params.lr * (d + c.wd * w0);
  let tau = params.lr * c.prox;
  // Zeros are +0.0 (a select, not sign·max, which would give −0.0 for negative w), as in soft_threshold.wgsl.
  let shrunk = select(vec4<f32>(0.0), sign(w1) * (abs(w1) - vec4<f32>(tau)), abs(w1) > vec4<f32>(tau));
  return select(w1, shrunk, tau > 0.0);
}

@compute @workgroup_size(WG)
fn chain_sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let c = coefs[first >> VEC4_PER_CHUNK_SHIFT];
  let clip = clip_factor();
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let w0 = w[i];
    w[i] = select(w0, finish(w0, effective_grad(i, w0, c, clip), c), live_lanes(i, c.end));
  }
}

@compute @workgroup_size(WG)
fn chain_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let c = coefs[first >> VEC4_PER_CHUNK_SHIFT];
  let clip = clip_factor();
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let live = live_lanes(i, c.end);
    let w0 = w[i];
    let u0 = velocity[i];
    let u = params.momentum * u0 + effective_grad(i, w0, c, clip);
    velocity[i] = select(u0, u, live);
    w[i] = select(w0, finish(w0, u, c), live);
  }
}

@compute @workgroup_size(WG)
fn chain_adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_vec4(gid, groups);
  if (first >= params.n4) { return; }
  let c = coefs[first >> VEC4_PER_CHUNK_SHIFT];
  let clip = clip_factor();
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    let live = live_lanes(i, c.end);
    let w0 = w[i];
    let gg = effective_grad(i, w0, c, clip);
    let m0 = m[i];
    let v0 = v[i];
    let m1 = params.beta1 * m0 + (1.0 - params.beta1) * gg;
    let v1 = params.beta2 * v0 + (1.0 - params.beta2) * gg * gg;
    m[i] = select(m0, m1, live);
    v[i] = select(v0, v1, live);
    let d = (m1 / params.bc1) / (sqrt(v1 / params.bc2) + params.eps);
    w[i] = select(w0, finish(w0, d, c), live);
  }
}
