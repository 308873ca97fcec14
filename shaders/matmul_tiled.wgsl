// C = op(A) · op(B) (+ bias per column, then ReLU), op = identity or transpose: the candidates of
// the matmul autotuner (engine/tune/matmul.ts) that are not in shaders/matmul.wgsl.
//
//   matmul_tiled  the classic GPU layout: a workgroup of WG_X × WG_Y invocations computes a
//                 BM × BN block of C (BM = WG_Y·TM rows, BN = WG_X·4 columns). Per step of BK
//                 values of k, the workgroup copies a BM × BK tile of op(A) and a BK × BN tile of
//                 op(B) into workgroup memory (neighbouring invocations read neighbouring
//                 addresses, whatever the transposes), waits at a barrier, and each invocation
//                 accumulates its TM rows × 4 columns from there. Rows of an invocation are WG_Y
//                 apart and columns WG_X apart, so neighbouring invocations read neighbouring
//                 words of workgroup memory. Real GPUs need this layout: it reads each element of
//                 A and B from memory BN (resp. BM) times fewer than a dot product per output.
//   matmul_block  no workgroup memory: each invocation computes TM rows × 4 adjacent columns,
//                 k unrolled by 4, invocations arranged WG_X (columns) × WG_Y (rows) so that a
//                 workgroup covers a square-ish block of C and its loads of A and B are shared
//                 by many invocations in the cache.
//
// Both take any shape and every transpose combination: loads outside op(A) or op(B) read zero
// (matmul_tiled) or a clamped element (matmul_block) and outputs outside C are not stored.
//
// Shape specialization: SPEC_M, SPEC_N, SPEC_K (0 = read the size from the uniforms). When the
// host sets them to the product's sizes, every size is a constant of the pipeline: loop bounds,
// strides and edge tests fold when the pipeline is compiled, which software adapters' JIT
// compilers turn into much simpler address arithmetic. The host still passes the uniforms.
//
// Storage, as in shaders/matmul.wgsl: op(A) is M × K, stored M × K row-major, or K × M when
// TRANS_A; op(B) is K × N, stored K × N, or N × K when TRANS_B. C is M × N row-major.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  has_bias: u32,  // 1: add bias[col] to every row
  relu: u32,      // 1: max(·, 0) after the bias
}

override WG_X: u32 = 16;         // invocations along the columns of C (4 columns each)
override WG_Y: u32 = 16;         // invocations along the rows of C
override TM: u32 = 4;            // rows of C per invocation, at most TM_MAX
override BK: u32 = 16;           // matmul_tiled: values of k per tile
override TRANS_A: bool = false;  // A is stored K × M
override TRANS_B: bool = false;  // B is stored N × K
override SPEC_M: u32 = 0u;       // nonzero: M as a pipeline constant
override SPEC_N: u32 = 0u;
override SPEC_K: u32 = 0u;

const TM_MAX = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;

// The tiles of matmul_tiled: tile_a[kk · BM + r] = op(A)[row0 + r, k0 + kk],
// tile_b[kk · BN + j] = op(B)[k0 + kk, col0 + j].
var<workgroup> tile_a: array<f32, BK * WG_Y * TM>;
var<workgroup> tile_b: array<f32, BK * WG_X * 4u>;

fn dim_m() -> u32 { return select(params.m, SPEC_M, SPEC_M != 0u); }
fn dim_n() -> u32 { return select(params.n, SPEC_N, SPEC_N != 0u); }
fn dim_k() -> u32 { return select(params.k, SPEC_K, SPEC_K != 0u); }

// op(A)[row, k] and op(B)[k, col], in range (callers check or clamp).
fn load_a(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * dim_m() + row]; }
  return a[row * dim_k() + k];
}
fn load_b(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[col * dim_k() + k]; }
  return b[k * dim_n() + col];
}

// The fused epilogue of one output: + bias (when there is one), then ReLU if asked, then the store.
fn store(row: u32, col: u32, v: f32) {
  var r = v;
  if (params.has_bias != 0u) { r += bias[col]; }
  if (params.relu != 0u) { r = max(r, 0.0); }
  c[row * dim_n() + col] = r;
}

// The first row block of a workgroup; a z dimension takes over past 65,535 row blocks.
fn row_block(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.y + wid.z * groups.y;
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_tiled(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let m = dim_m();
  let n = dim_n();
  let kdim = dim_k();
  let bm = WG_Y * TM;
  let bn = WG_X * 4u;
  let threads = WG_X * WG_Y;
  let row0 = row_block(wid, groups) * bm;
  let col0 = wid.x * bn;

  var acc: array<vec4<f32>, TM_MAX>;
  for (var k0 = 0u; k0 < kdim; k0 += BK) {
    // Copy the tiles; consecutive invocations take consecutive addresses of the stored matrix.
    for (var e = li; e < BK * bm; e += threads) {
      var kk: u32;
      var r: u32;
      if (TRANS_A) { kk = e / bm; r = e % bm; } else { kk = e % BK; r = e / BK; }
      let row = row0 + r;
      let k = k0 + kk;
      var v = 0.0;
      if (row < m && k < kdim) { v = load_a(row, k); }
      tile_a[kk * bm + r] = v;
    }
    for (var e = li; e < BK * bn; e += threads) {
      var kk: u32;
      var j: u32;
      if (TRANS_B) { kk = e % BK; j = e / BK; } else { kk = e / bn; j = e % bn; }
      let col = col0 + j;
      let k = k0 + kk;
      var v = 0.0;
      if (col < n && k < kdim) { v = load_b(k, col); }
      tile_b[kk * bn + j] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let bo = kk * bn + lid.x;
      let bv = vec4<f32>(tile_b[bo], tile_b[bo + WG_X], tile_b[bo + 2u * WG_X], tile_b[bo + 3u * WG_X]);
      let ao = kk * bm + lid.y;
      for (var i = 0u; i < TM; i++) {
        acc[i] = fma(vec4<f32>(tile_a[ao + i * WG_Y]), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let row = row0 + lid.y + i * WG_Y;
    if (row >= m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + j * WG_X;
      if (col < n) { store(row, col, acc[i][j]); }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_block(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let m = dim_m();
  let n = dim_n();
  let kdim = dim_k();
  let row0 = (row_block(wid, groups) * WG_Y + lid.y) * TM;
  let col0 = (wid.x * WG_X + lid.x) * 4u;
  if (row0 >= m || col0 >= n) { return; }
  let last_row = m - 1u;
  let last_col = n - 1u;
  let c1 = min(col0 + 1u, last_col);
  let c2 = min(col0 + 2u, last_col);
  let c3 = min(col0 + 3u, last_col);

  var acc: array<vec4<f32>, TM_MAX>;
  var k = 0u;
  for (; k + 4u <= kdim; k += 4u) {
    // Column j of bm is op(B)[k + j, col0 .. col0+3].
    let bm = mat4x4<f32>(
      vec4<f32>(load_b(k, col0), load_b(k, c1), load_b(k, c2), load_b(k, c3)),
      vec4<f32>(load_b(k + 1u, col0), load_b(k + 1u, c1), load_b(k + 1u, c2), load_b(k + 1u, c3)),
      vec4<f32>(load_b(k + 2u, col0), load_b(k + 2u, c1), load_b(k + 2u, c2), load_b(k + 2u, c3)),
      vec4<f32>(load_b(k + 3u, col0), load_b(k + 3u, c1), load_b(k + 3u, c2), load_b(k + 3u, c3)),
    );
    for (var i = 0u; i < TM; i++) {
      let row = min(row0 + i, last_row);
      acc[i] += bm * vec4<f32>(load_a(row, k), load_a(row, k + 1u), load_a(row, k + 2u), load_a(row, k + 3u));
    }
  }
  for (; k < kdim; k++) {
    let bk = vec4<f32>(load_b(k, col0), load_b(k, c1), load_b(k, c2), load_b(k, c3));
    for (var i = 0u; i < TM; i++) {
      acc[i] = fma(vec4<f32>(load_a(min(row0 + i, last_row), k)), bk, acc[i]);
    }
  }

  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row >= m) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (col0 + j < n) { store(row, col0 + j, acc[i][j]); }
    }
  }
}
