// Elementwise math functions and the fused backward rules of the activations.
//
// Forward: out = f(x). Backward: out = g * f'(x), written in terms of the forward output y, which
// the tape keeps anyway (relu: y > 0; tanh: 1 - y²; sigmoid: y (1 - y)): one pass, no temporaries.
// tanh and sigmoid are written in forms that cannot overflow (exp of a non-positive number only).

struct Params {
  n: u32,  // number of elements
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;   // forward: the input; backward: the forward output y
@group(0) @binding(2) var<storage, read> g: array<f32>;   // backward: the gradient of the output
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

fn stable_sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

@compute @workgroup_size(WG)
fn tanh_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = stable_tanh(x[i]); }
}

@compute @workgroup_size(WG)
fn sigmoid_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = stable_sigmoid(x[i]); }
}

@compute @workgroup_size(WG)
fn exp_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = exp(x[i]); }
}

@compute @workgroup_size(WG)
fn log_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = log(x[i]); }
}

@compute @workgroup_size(WG)
fn relu_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = select(0.0, g[i], x[i] > 0.0); }
}

@compute @workgroup_size(WG)
fn tanh_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = g[i] * (1.0 - x[i] * x[i]); }
}

@compute @workgroup_size(WG)
fn sigmoid_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = g[i] * x[i] * (1.0 - x[i]); }
}
