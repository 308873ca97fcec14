// Elementwise kernels over flat f32 arrays of any length.
//
// One invocation handles one element. Long arrays need more than 65,535 workgroups, so the host
// spreads them over a 2-D grid (engine/runtime/grid.ts) and each invocation recovers its flat
// index from (x, y) with flat_index (shaders/grid.wgsl). Invocations past the end do nothing.

struct Params {
  n: u32,      // number of elements
  alpha: f32,  // the scalar of `scale` (out = alpha * a), `fill` (out = alpha) and `add_into`
}

override WG: u32 = 256;  // workgroup size (compile-time knob)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = a[i] + b[i]; }
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = a[i] * b[i]; }
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = params.alpha * a[i]; }
}

@compute @workgroup_size(WG)
fn relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = max(a[i], 0.0); }
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = params.alpha; }
}

// In-place accumulation out += alpha * a: how the tape adds a gradient into a parameter's gradient.
@compute @workgroup_size(WG)
fn add_into(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n) { out[i] = out[i] + params.alpha * a[i]; }
}
