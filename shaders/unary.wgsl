// Elementwise math functions and their fused backward rules.
//
// Forward: out = f(x). Backward: out = g * f'(x), one pass, no temporaries. Where f' is a function
// of the forward output y, which the tape keeps anyway, the kernel reads y (relu: y > 0;
// tanh: 1 - y²; sigmoid: y (1 - y); sqrt: 1 / 2y; rsqrt: -y³ / 2); abs and square read the input x.
// tanh and sigmoid are written in forms that cannot overflow (exp of a non-positive number only).

struct Params {
  n: u32,      // number of elements
  alpha: f32,  // rsqrt_fwd: the ε added under the root; unused elsewhere
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;   // forward: the input; backward: y, or x (abs, square)
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
fn abs_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = abs(x[i]); }
}

// -1, 0 or 1 (0 at ±0).
@compute @workgroup_size(WG)
fn sign_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = sign(x[i]); }
}

// WGSL leaves sqrt and inverseSqrt of a negative number indeterminate (not necessarily NaN).
@compute @workgroup_size(WG)
fn sqrt_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = sqrt(x[i]); }
}

@compute @workgroup_size(WG)
fn rsqrt_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = inverseSqrt(x[i] + params.alpha); }
}

@compute @workgroup_size(WG)
fn square_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = x[i] * x[i]; }
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

// x is the input here: g · sign(x), 0 at the kink.
@compute @workgroup_size(WG)
fn abs_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = g[i] * sign(x[i]); }
}

@compute @workgroup_size(WG)
fn sqrt_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = g[i] / (2.0 * x[i]); }
}

// d/dx (x + ε)^(-1/2) = -(x + ε)^(-3/2) / 2 = -y³ / 2, whatever ε was.
@compute @workgroup_size(WG)
fn rsqrt_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) {
    let y = x[i];
    out[i] = -0.5 * g[i] * y * y * y;
  }
}

// x is the input here.
@compute @workgroup_size(WG)
fn square_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = 2.0 * g[i] * x[i]; }
}
