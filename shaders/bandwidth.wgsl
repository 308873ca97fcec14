// Streaming kernels that do (almost) nothing but move memory: the adapter's bandwidth ceiling,
// measured in the same run as a memory-bound kernel so the kernel can be quoted as a fraction of it
// (bench/suites/dropout.ts). They move vec4s, the widest load WGSL has, V consecutive ones per
// invocation: fewer invocations mean less per-invocation overhead on CPU-based adapters, and a
// ceiling is only honest if it is the fastest streaming kernel we have (V = 4 beat V = 1 on
// lavapipe in interleaved runs).
//
//   copy   y = x            reads 16 bytes, writes 16 bytes per vec4 (the traffic of dropout)
//   axpy   y ← a·x + y      reads 32 bytes, writes 16 bytes per vec4 (BLAS axpy, in place)

struct Params {
  n4: u32,  // vec4s
  a: f32,
}

override WG: u32 = 256;
override V: u32 = 4;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

// The first vec4 of this invocation's V (grids spill into y past 65,535 workgroups).
fn first_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return V * (gid.x + gid.y * groups.x * WG);
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_index(gid, groups);
  for (var j = 0u; j < V; j++) {
    let i = first + j;
    if (i < params.n4) { y[i] = x[i]; }
  }
}

@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_index(gid, groups);
  for (var j = 0u; j < V; j++) {
    let i = first + j;
    if (i < params.n4) { y[i] = params.a * x[i] + y[i]; }
  }
}
