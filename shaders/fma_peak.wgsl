// The adapter's arithmetic ceiling: a kernel that does nothing but fused multiply-adds.
//
// Each invocation runs 8 independent vec4 FMA chains (32 lanes of work with no dependency between
// them, enough to hide FMA latency on a CPU driver), `iters` times, then stores one value so the
// compiler cannot drop the work. The loop count is a uniform so it cannot be folded either.
// FLOPs per dispatch = invocations · iters · 8 chains · 4 lanes · 2 (multiply and add).
// The benchmarks quote matmul GFLOP/s as a fraction of this, measured in the same run.

struct Params {
  iters: u32,  // FMA rounds per chain
  seed: f32,   // varies the data so nothing is a compile-time constant
}

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn fma_peak(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  let base = vec4<f32>(f32(i & 1023u) * 1e-3 + params.seed);
  // A multiplier just below 1 and a small increment keep every chain finite for any iters.
  let m = vec4<f32>(0.999999);
  let d = vec4<f32>(1e-6);
  var x0 = base;
  var x1 = base + 0.1;
  var x2 = base + 0.2;
  var x3 = base + 0.3;
  var x4 = base + 0.4;
  var x5 = base + 0.5;
  var x6 = base + 0.6;
  var x7 = base + 0.7;
  for (var r = 0u; r < params.iters; r++) {
    x0 = fma(x0, m, d);
    x1 = fma(x1, m, d);
    x2 = fma(x2, m, d);
    x3 = fma(x3, m, d);
    x4 = fma(x4, m, d);
    x5 = fma(x5, m, d);
    x6 = fma(x6, m, d);
    x7 = fma(x7, m, d);
  }
  let s = (x0 + x1) + (x2 + x3) + (x4 + x5) + (x6 + x7);
  out[i] = s.x + s.y + s.z + s.w;
}
