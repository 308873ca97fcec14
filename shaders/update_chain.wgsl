// The optimizer update over a whole parameter arena in ONE dispatch: a chain of gradient
// transformations (the Optax idea), applied per element in the order the caller wrote them
// (engine/optim/chain.ts builds the chain, engine/optim/program.ts checks its order and lays it out,
// engine/optim/arena.ts describes the layout). This file holds the only copy of each update rule.
//
// For a library like Optax each transformation is a pass over every parameter. Here each is a few
// arithmetic operations per element, so they run one after another on the element while it is in
// registers: one read of w, g and the optimizer state, one write of w and the state.
//
// Per element, with ε the learning rate and each slot's coefficient α for the element's parameter:
//
//   u  ← c·g                                 c = min(1, max_norm/‖g‖) (clipByGlobalNorm), else 1
//   u  ← u + α·w       for a PRE slot coupledL2       (eq. 7.5: the penalty's gradient)
//   u  ← u + α·sign(w) for a PRE slot l1Subgradient   (eq. 7.20)
//   s  ← sgd:      ε·u
//        momentum: v ← μ·v + u;  s = ε·v                     (PyTorch's convention: v starts at 0)
//        adam:     m ← β₁m + (1 − β₁)u;  v ← β₂v + (1 − β₂)u²;  s = ε·m̂/(√v̂ + δ)
//   w  ← w_old − s
//   w  ← w − ε·α·w_old                 for a POST slot decoupledWeightDecay (AdamW's decay)
//   w  ← sign(w)·max(|w| − ε·α, 0)     for a POST slot proximalL1 (exact zeros, +0.0)
//
// The slots hold the chain's penalties in its order: PRE0, PRE1 before the direction and POST0 …
// POST3 after it. Each is an override constant naming its kind (NONE where unused), so the
// compiler folds the program into straight-line code: one pipeline per chain signature, compiled
// once, and a training step compiles nothing. Everything stays in registers (no arrays).
//
// Coefficients live in a per-chunk table, one record per 64 elements (the arena's layout): every
// parameter starts on a chunk, so an element finds its parameter's coefficients with one load from a
// table of 28 bytes per 64 elements, cached, with no search. Both alternatives tried side by side, a
// binary search over the parameters' ends and a chunk → parameter index → parameter record pair of
// loads, were slower on both software adapters. The host changes a coefficient (a slider, a
// schedule) by rewriting a few bytes, without touching the optimizer's state.
//
// Clipping by global norm needs ‖g‖ over every parameter before any update: the host records a sum
// of squares of the arena's gradients (a reduction) into `gnorm2` first. With clipping off,
// `gnorm2` is bound to a dummy and never read.
//
// One invocation updates VPI consecutive vec4s (4 elements each) with one table lookup. VPI
// divides the 16 vec4s of a chunk, so an invocation's vec4s all lie in one parameter; it is chosen
// per adapter (engine/optim/optimizer.ts): the CPU adapters pay per invocation and want several,
// a real GPU wants 1 so that neighbouring invocations read neighbouring memory. Padding lanes
// (index ≥ end) are written back unchanged, so padding that starts at zero stays zero. Per-call
// values (ε, μ, β₁, β₂, δ, bias corrections 1 − βᵗ computed on the host in f64) are uniforms.

struct Params {
  n4: u32,         // vec4s in the arena (or in the one parameter of a per-tensor dispatch)
  lr: f32,         // ε
  momentum: f32,   // μ
  beta1: f32,      // β₁
  beta2: f32,      // β₂
  eps: f32,        // δ
  bc1: f32,        // 1 − β₁ᵗ
  bc2: f32,        // 1 − β₂ᵗ
  max_norm: f32,   // global-norm clip threshold; 0 = no clipping
}

// One record per chunk: where its parameter ends, and the parameter's coefficient in every slot.
struct Coefs {
  end: u32,     // first element past the parameter that owns the chunk
  pre0: f32,
  pre1: f32,
  post0: f32,
  post1: f32,
  post2: f32,
  post3: f32,
}

// The kinds of a slot (engine/optim/program.ts, SLOT_CODE).
const NONE = 0u;
const COUPLED_L2 = 1u;
const L1_SUBGRADIENT = 2u;
const DECOUPLED_DECAY = 3u;
const PROXIMAL_L1 = 4u;

override WG: u32 = 256;
override VPI: u32 = 1;  // vec4s per invocation: 1, 2, 4, 8 or 16
override PRE0: u32 = NONE;
override PRE1: u32 = NONE;
override POST0: u32 = NONE;
override POST1: u32 = NONE;
override POST2: u32 = NONE;
override POST3: u32 = NONE;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> coefs: array<Coefs>;
@group(0) @binding(2) var<storage, read> gnorm2: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> m: array<vec4<f32>>;         // adam: first moment
@group(0) @binding(6) var<storage, read_write> v: array<vec4<f32>>;         // adam: second moment
@group(0) @binding(7) var<storage, read_write> velocity: array<vec4<f32>>;  // momentum: v

// c = min(1, max_norm / ‖g‖), or 1 when clipping is off.
fn clip_factor() -> f32 {
  if (params.max_norm <= 0.0) { return 1.0; }
  let norm = sqrt(gnorm2[0]);
  return select(1.0, params.max_norm / norm, norm > params.max_norm);
}

// One slot before the direction: a penalty added to the update u.
fn on_update(kind: u32, alpha: f32, u: vec4<f32>, w0: vec4<f32>) -> vec4<f32> {
  switch (kind) {
    case COUPLED_L2: { return u + alpha * w0; }
    case L1_SUBGRADIENT: { return u + alpha * sign(w0); }
    default: { return u; }
  }
}

// The update of the element: the clipped gradient, then the slots before the direction in order.
fn update_of(i: u32, w0: vec4<f32>, c: Coefs, clip: f32) -> vec4<f32> {
  var u = clip * g[i];
  u = on_update(PRE0, c.pre0, u, w0);
  u = on_update(PRE1, c.pre1, u, w0);
  return u;
}

// One slot after the direction: acts on the new weights w (w0: the weights before the step).
fn on_weights(kind: u32, alpha: f32, w1: vec4<f32>, w0: vec4<f32>) -> vec4<f32> {
  switch (kind) {
    case DECOUPLED_DECAY: { return w1 - params.lr * alpha * w0; }
    case PROXIMAL_L1: {
      // Zeros are +0.0 (a select, not sign·max, which would give −0.0 for negative w), as in soft_threshold.wgsl.
      let tau = vec4<f32>(params.lr * alpha);
      return select(vec4<f32>(0.0), sign(w1) * (abs(w1) - tau), abs(w1) > tau);
    }
    default: { return w1; }
  }
}

// The new weights: w0 − step, then the slots after the direction in order.
fn weights_after(w0: vec4<f32>, step: vec4<f32>, c: Coefs) -> vec4<f32> {
  var w1 = w0 - step;
  w1 = on_weights(POST0, c.post0, w1, w0);
  w1 = on_weights(POST1, c.post1, w1, w0);
  w1 = on_weights(POST2, c.post2, w1, w0);
  w1 = on_weights(POST3, c.post3, w1, w0);
  return w1;
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
    let u = update_of(i, w0, c, clip);
    w[i] = select(w0, weights_after(w0, params.lr * u, c), live_lanes(i, c.end));
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
    let v0 = velocity[i];
    let v1 = params.momentum * v0 + update_of(i, w0, c, clip);
    velocity[i] = select(v0, v1, live);
    w[i] = select(w0, weights_after(w0, params.lr * v1, c), live);
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
    let u = update_of(i, w0, c, clip);
    let m0 = m[i];
    let v0 = v[i];
    let m1 = params.beta1 * m0 + (1.0 - params.beta1) * u;
    let v1 = params.beta2 * v0 + (1.0 - params.beta2) * u * u;
    m[i] = select(m0, m1, live);
    v[i] = select(v0, v1, live);
    let step = params.lr * ((m1 / params.bc1) / (sqrt(v1 / params.bc2) + params.eps));
    w[i] = select(w0, weights_after(w0, step, c), live);
  }
}
