// Binary ops with NumPy broadcasting, and strided copies (broadcast-to, transpose).
//
// The host coalesces every shape to at most four dimensions (engine/ops/strided.ts): adjacent
// dimensions that are contiguous in every operand merge into one. An operand's stride is 0 along a
// dimension it is broadcast over, so the same index arithmetic serves add, expand and transpose.
// One invocation computes one output element; long outputs use a 2-D grid (engine/runtime/grid.ts).

struct Params {
  n: u32,                 // number of output elements
  alpha: f32,             // scale of copy_strided (out = alpha * a[...])
  shape: vec4<u32>,       // output shape, leading dimensions padded with 1
  a_strides: vec4<u32>,   // element strides of a along each output dimension (0 = broadcast)
  b_strides: vec4<u32>,   // same for b
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let idx = unravel4(i, params.shape);
  out[i] = a[dot(idx, params.a_strides)] + b[dot(idx, params.b_strides)];
}

@compute @workgroup_size(WG)
fn sub(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let idx = unravel4(i, params.shape);
  out[i] = a[dot(idx, params.a_strides)] - b[dot(idx, params.b_strides)];
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let idx = unravel4(i, params.shape);
  out[i] = a[dot(idx, params.a_strides)] * b[dot(idx, params.b_strides)];
}

@compute @workgroup_size(WG)
fn div(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let idx = unravel4(i, params.shape);
  out[i] = a[dot(idx, params.a_strides)] / b[dot(idx, params.b_strides)];
}

// out = alpha * a[strided index]: broadcast-to (zero strides) and transpose (permuted strides).
@compute @workgroup_size(WG)
fn copy_strided(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = params.alpha * a[dot(unravel4(i, params.shape), params.a_strides)];
}
