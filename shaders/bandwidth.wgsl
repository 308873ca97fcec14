// Streaming kernels that do (almost) nothing but move memory: the adapter's bandwidth ceiling,
// measured in the same run as a memory-bound kernel so the kernel can be quoted as a fraction of it
// (bench/suites/dropout.ts). Each invocation moves one vec4, the widest load WGSL has.
//
//   copy   y = x            reads 16 bytes, writes 16 bytes per vec4 (the traffic of dropout)
//   axpy   y ← a·x + y      reads 32 bytes, writes 16 bytes per vec4 (BLAS axpy, in place)

struct Params {
  n4: u32,  // vec4s
  a: f32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n4) { y[i] = x[i]; }
}

@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < params.n4) { y[i] = params.a * x[i] + y[i]; }
}
