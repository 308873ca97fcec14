// The soft threshold, the proximal operator of τ·|w| (L1 regularization, chapter 7.1.2):
//
//   prox_τ(x) = sign(x)·max(|x| − τ, 0)
//
// It shrinks every value toward zero by τ and sets to EXACTLY zero (+0.0) every value with |x| ≤ τ.
// Fused with a gradient step it is the proximal gradient (ISTA) update w ← prox_{ε·α}(w − ε·g):
// unlike the subgradient step w − ε(g + α·sign(w)), which only oscillates around zero, it gives
// exact zeros, hence sparse weights. With a diagonal Hessian the L1-regularized optimum is
// prox applied to the unregularized optimum with the per-coordinate threshold α/Hᵢᵢ (eq. 7.23),
// hence the entry points that take a threshold per element.
//
// Entry points (flat f32 arrays of any length, one element per invocation):
//   prox             out = prox_τ(a)                        τ = params.tau
//   prox_each        out = prox_{τ·t[i]}(a)                 one threshold per element
//   prox_step        w ← prox_τ(w − ε·g)  in place
//   prox_step_each   w ← prox_{τ·t[i]}(w − ε·g)  in place
//   prox_step4, prox_step_each4
//                    the two steps on vec4s (lengths that are multiples of 4, 16-byte aligned
//                    views), VPI consecutive vec4s per invocation: the fast path of the op
// The same step over a whole parameter arena, with each parameter's own α, is the optimizer chain
// sgd → proximalL1 (shaders/update_chain.wgsl).

struct Params {
  n: u32,     // elements (vec4s for the vec4 entry points)
  tau: f32,   // the threshold, or the scale of the per-element thresholds t
  lr: f32,    // ε of the fused gradient step
}

override WG: u32 = 256;
override VPI: u32 = 1;  // vec4 entry points: vec4s per invocation (1, 2, 4, 8 or 16)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> w4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> t4: array<vec4<f32>>;

// prox_τ(x); the select (rather than sign(x)·max(...)) makes the zeros +0.0, never −0.0.
fn soft_threshold(x: f32, tau: f32) -> f32 {
  return select(0.0, sign(x) * (abs(x) - tau), abs(x) > tau);
}

fn soft_threshold4(x: vec4<f32>, tau: vec4<f32>) -> vec4<f32> {
  return select(vec4<f32>(0.0), sign(x) * (abs(x) - tau), abs(x) > tau);
}

@compute @workgroup_size(WG)
fn prox(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = soft_threshold(a[i], params.tau); }
}

@compute @workgroup_size(WG)
fn prox_each(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = soft_threshold(a[i], params.tau * t[i]); }
}

@compute @workgroup_size(WG)
fn prox_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { w[i] = soft_threshold(w[i] - params.lr * g[i], params.tau); }
}

@compute @workgroup_size(WG)
fn prox_step_each(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { w[i] = soft_threshold(w[i] - params.lr * g[i], params.tau * t[i]); }
}

@compute @workgroup_size(WG)
fn prox_step4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = flat_index(gid, groups) * VPI;
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    if (i < params.n) { w4[i] = soft_threshold4(w4[i] - params.lr * g4[i], vec4<f32>(params.tau)); }
  }
}

@compute @workgroup_size(WG)
fn prox_step_each4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = flat_index(gid, groups) * VPI;
  for (var k = 0u; k < VPI; k++) {
    let i = first + k;
    if (i < params.n) { w4[i] = soft_threshold4(w4[i] - params.lr * g4[i], params.tau * t4[i]); }
  }
}
