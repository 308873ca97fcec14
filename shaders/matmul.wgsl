// C = op(A) · op(B) (+ bias per column, then ReLU), op = identity or transpose.
//
// MEASUREMENTS (filled in below)
//
// Register blocking without workgroup memory. Each invocation computes a TM × 4 block of C: TM rows
// and one vec4 of columns, in TM vec4 accumulators. A workgroup is a row of WG invocations that
// all share the same TM rows, so every load of A has the same address in all invocations of the
// workgroup (a uniform load: one scalar load, not a gather, on SIMD-per-lane CPU drivers), while
// each invocation loads its own columns of B. No barriers, no workgroup memory: on the software
// adapters here both cost more than they save (../shared/ENVIRONMENT.md).
//
// Two entry points over the same blocking:
//   matmul_vec4    B and C are read and written as vec4: needs N % 4 == 0 (and K % 4 == 0 when B
//                  is transposed, so that rows of Bᵀ are vec4 rows too).
//   matmul_scalar  any shape: the four columns are loaded one by one (clamped at the right edge).
// Both handle edges in the same kernel: rows past M load row M-1 and skip the store, columns past
// N are dropped, and a K that is not a multiple of 4 finishes with a scalar tail.
//
// Storage: op(A) is M × K, stored M × K row-major, or K × M when TRANS_A; op(B) is K × N, stored
// K × N, or N × K when TRANS_B. C is M × N row-major. Transposes are pipeline constants (they
// change the addressing in the inner loop); sizes and the epilogue are uniforms.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  has_bias: u32,  // 1: add bias[col] to every row
  relu: u32,      // 1: max(·, 0) after the bias
}

override WG: u32 = 64;           // invocations per workgroup (one row of them)
override TM: u32 = 4;            // rows of C per invocation, at most TM_MAX
override TRANS_A: bool = false;  // A is stored K × M
override TRANS_B: bool = false;  // B is stored N × K

const TM_MAX = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;
@group(0) @binding(6) var<storage, read_write> c4: array<vec4<f32>>;

// op(A)[row, k]. `row` and `k` are the same in every invocation of a workgroup.
fn load_a(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * params.m + row]; }
  return a[row * params.k + k];
}

// The first row of the workgroup's block. A z dimension takes over when M / TM exceeds the
// 65,535 workgroups allowed per dimension.
fn first_row(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (wid.y + wid.z * groups.y) * TM;
}

// Bias of four columns (zero where absent or past N), then ReLU, then the store.
fn epilogue(v: vec4<f32>, bias4: vec4<f32>) -> vec4<f32> {
  var r = v + bias4;
  if (params.relu != 0u) { r = max(r, vec4<f32>(0.0)); }
  return r;
}

fn load_bias(col: u32) -> vec4<f32> {
  if (params.has_bias == 0u) { return vec4<f32>(0.0); }
  let last = params.n - 1u;
  return vec4<f32>(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
}

// Rows r0 .. r0+3 of op(A), columns k .. k+3, as the columns of a matrix: column r is
// op(A)[r0 + r, k .. k+3]. Vec4 loads either way; with TRANS_A they load four rows of Aᵀ
// (r0 is a multiple of 4 and M % 4 == 0, so they are aligned) and the block is transposed in registers.
fn a_block(r0: u32, k: u32) -> mat4x4<f32> {
  let last = params.m - 1u;
  if (TRANS_A) {
    let m4 = params.m / 4u;
    let g = min(r0, last) / 4u;  // rows past M (never stored) read the last aligned group
    return transpose(mat4x4<f32>(a4[k * m4 + g], a4[(k + 1u) * m4 + g], a4[(k + 2u) * m4 + g], a4[(k + 3u) * m4 + g]));
  }
  let k4 = params.k / 4u;
  let kq = k / 4u;
  return mat4x4<f32>(
    a4[min(r0, last) * k4 + kq],
    a4[min(r0 + 1u, last) * k4 + kq],
    a4[min(r0 + 2u, last) * k4 + kq],
    a4[min(r0 + 3u, last) * k4 + kq],
  );
}

// Rows k .. k+3 of op(B), columns 4·col4 .. 4·col4+3, as the columns of a matrix, so that
// (block · a) = Σ_j a[j] · op(B)[k + j, cols] is one row's update for four k.
fn b_block(k: u32, col4: u32) -> mat4x4<f32> {
  if (TRANS_B) {
    let k4 = params.k / 4u;
    let kq = k / 4u;
    let n0 = col4 * 4u;
    return transpose(mat4x4<f32>(b4[n0 * k4 + kq], b4[(n0 + 1u) * k4 + kq], b4[(n0 + 2u) * k4 + kq], b4[(n0 + 3u) * k4 + kq]));
  }
  let n4 = params.n / 4u;
  return mat4x4<f32>(b4[k * n4 + col4], b4[(k + 1u) * n4 + col4], b4[(k + 2u) * n4 + col4], b4[(k + 3u) * n4 + col4]);
}

@compute @workgroup_size(WG)
fn matmul_vec4(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let n4 = params.n / 4u;
  let col4 = wid.x * WG + lid.x;
  if (col4 >= n4) { return; }
  let row0 = first_row(wid, groups);

  var acc: array<vec4<f32>, TM_MAX>;
  for (var kk = 0u; kk < params.k; kk += 4u) {
    let bm = b_block(kk, col4);
    for (var g = 0u; g < TM / 4u; g++) {
      let am = a_block(row0 + 4u * g, kk);
      for (var r = 0u; r < 4u; r++) {
        acc[4u * g + r] += bm * am[r];
      }
    }
  }

  let bias4 = load_bias(col4 * 4u);
  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row < params.m) { c4[row * n4 + col4] = epilogue(acc[i], bias4); }
  }
}

// op(B)[k, col] with col clamped to N - 1 (the clamped columns are computed and not stored).
fn load_b(k: u32, col: u32) -> f32 {
  let cc = min(col, params.n - 1u);
  if (TRANS_B) { return b[cc * params.k + k]; }
  return b[k * params.n + cc];
}

@compute @workgroup_size(WG)
fn matmul_scalar(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let col0 = (wid.x * WG + lid.x) * 4u;
  if (col0 >= params.n) { return; }
  let row0 = first_row(wid, groups);
  let last_row = params.m - 1u;

  var acc: array<vec4<f32>, TM_MAX>;
  for (var kk = 0u; kk < params.k; kk++) {
    let bk = vec4<f32>(load_b(kk, col0), load_b(kk, col0 + 1u), load_b(kk, col0 + 2u), load_b(kk, col0 + 3u));
    for (var i = 0u; i < TM; i++) {
      acc[i] = fma(vec4<f32>(load_a(min(row0 + i, last_row), kk)), bk, acc[i]);
    }
  }

  let bias4 = load_bias(col0);
  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    let v = epilogue(acc[i], bias4);
    for (var j = 0u; j < 4u; j++) {
      if (col0 + j < params.n) { c[row * params.n + col0 + j] = v[j]; }
    }
  }
}
