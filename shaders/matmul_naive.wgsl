// The baseline matmul: one output per invocation, C[row, col] = Σ_k op(A)[row, k] · op(B)[k, col],
// scalar loads straight from storage, no blocking, no reuse. The benchmarks measure
// shaders/matmul.wgsl against it; nothing in the engine uses it for real work.
//
// Storage as in shaders/matmul.wgsl: op(A) is M × K, stored K × M when TRANS_A; op(B) is K × N,
// stored N × K when TRANS_B.

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

override WG_X: u32 = 16;  // columns per workgroup
override WG_Y: u32 = 16;  // rows per workgroup
override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let col = gid.x;
  if (row >= params.m || col >= params.n) { return; }
  var sum = 0.0;
  for (var k = 0u; k < params.k; k++) {
    var x: f32;
    var y: f32;
    if (TRANS_A) { x = a[k * params.m + row]; } else { x = a[row * params.k + k]; }
    if (TRANS_B) { y = b[col * params.k + k]; } else { y = b[k * params.n + col]; }
    sum = fma(x, y, sum);
  }
  c[row * params.n + col] = sum;
}
