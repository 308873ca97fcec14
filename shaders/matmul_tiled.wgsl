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
// Generated entry points: as in shaders/matmul.wgsl, this file is a template and
// shaders/matmul_gen.ts appends the entry points, `matmul_tiled_tm<TM>` and `matmul_block_tm<TM>`
// for TM = 1 … 16, with the loops over the TM rows unrolled so that each row's accumulator is its
// own variable (`acc0` … `acc15`) and no private array is ever indexed. The host still sets the
// TM override of a tiled pipeline to the same value: it sizes the workgroup tile of A.
//
// Storage, as in shaders/matmul.wgsl: op(A) is M × K, stored M × K row-major, or K × M when
// TRANS_A; op(B) is K × N, stored K × N, or N × K when TRANS_B. C is M × N row-major.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  has_bias: u32,  // 1: add bias[col] to every row
  relu: u32,      // 1: max(·, 0) after the bias
  // A batch of products in one dispatch (as in shaders/matmul.wgsl): workgroup z / z_rows is the
  // product, z % z_rows the row overflow; product p's operands start p · stride_* elements on.
  z_rows: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  stride_bias: u32,
}

override WG_X: u32 = 16;         // invocations along the columns of C (4 columns each)
override WG_Y: u32 = 16;         // invocations along the rows of C
override TM: u32 = 4;            // matmul_tiled: rows of C per invocation (sizes tile_a; the entry point's name has it too)
override BK: u32 = 16;           // matmul_tiled: values of k per tile
override TRANS_A: bool = false;  // A is stored K × M
override TRANS_B: bool = false;  // B is stored N × K
override SPEC_M: u32 = 0u;       // nonzero: M as a pipeline constant
override SPEC_N: u32 = 0u;
override SPEC_K: u32 = 0u;

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
// Where the invocation's product starts in each operand (set by set_product, the first call of
// every entry point).
var<private> off_a: u32 = 0u;
var<private> off_b: u32 = 0u;
var<private> off_c: u32 = 0u;
var<private> off_bias: u32 = 0u;

fn set_product(wid: vec3<u32>) {
  let p = wid.z / params.z_rows;
  off_a = p * params.stride_a;
  off_b = p * params.stride_b;
  off_c = p * params.stride_c;
  off_bias = p * params.stride_bias;
}

fn load_a(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[off_a + k * dim_m() + row]; }
  return a[off_a + row * dim_k() + k];
}
fn load_b(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[off_b + col * dim_k() + k]; }
  return b[off_b + k * dim_n() + col];
}

// The fused epilogue of one output: + bias (when there is one), then ReLU if asked, then the store.
fn store(row: u32, col: u32, v: f32) {
  var r = v;
  if (params.has_bias != 0u) { r += bias[off_bias + col]; }
  if (params.relu != 0u) { r = max(r, 0.0); }
  c[off_c + row * dim_n() + col] = r;
}

// The first row block of a workgroup; a z dimension takes over past 65,535 row blocks (z_rows of
// them per product of a batch).
fn row_block(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.y + (wid.z % params.z_rows) * groups.y;
}

// ---- What the generated entry points call per row ----

// The fused epilogue of row `row`, columns col0 + j·stride (j = 0 … 3), and its store; rows and
// columns outside C are skipped.
fn finish_row(row: u32, col0: u32, stride: u32, acc: vec4<f32>) {
  let m = dim_m();
  let n = dim_n();
  if (row >= m) { return; }
  if (col0 < n) { store(row, col0, acc.x); }
  if (col0 + stride < n) { store(row, col0 + stride, acc.y); }
  if (col0 + 2u * stride < n) { store(row, col0 + 2u * stride, acc.z); }
  if (col0 + 3u * stride < n) { store(row, col0 + 3u * stride, acc.w); }
}

// matmul_tiled: copies the tiles of step k0 into workgroup memory (between the caller's barriers).
// Consecutive invocations take consecutive addresses of the stored matrix.
fn fill_tiles(li: u32, row0: u32, col0: u32, k0: u32) {
  let m = dim_m();
  let n = dim_n();
  let kdim = dim_k();
  let bm = WG_Y * TM;
  let bn = WG_X * 4u;
  let threads = WG_X * WG_Y;
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
}

// matmul_tiled: the four columns lid.x + j·WG_X of the tile of B at step kk.
fn tile_b_row(kk: u32, lx: u32) -> vec4<f32> {
  let bo = kk * WG_X * 4u + lx;
  return vec4<f32>(tile_b[bo], tile_b[bo + WG_X], tile_b[bo + 2u * WG_X], tile_b[bo + 3u * WG_X]);
}

// matmul_tiled: row `i` of the invocation (tile row ly + i·WG_Y) of the tile of A at step kk, as a splat.
fn tile_a_splat(kk: u32, ly: u32, i: u32) -> vec4<f32> {
  return vec4<f32>(tile_a[kk * WG_Y * TM + ly + i * WG_Y]);
}

// matmul_block: op(B)[k, cols] and the 4 × 4 block of rows k … k+3 (column j is row k + j).
fn block_b_row(k: u32, cols: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(load_b(k, cols.x), load_b(k, cols.y), load_b(k, cols.z), load_b(k, cols.w));
}
fn block_b_rows4(k: u32, cols: vec4<u32>) -> mat4x4<f32> {
  return mat4x4<f32>(block_b_row(k, cols), block_b_row(k + 1u, cols), block_b_row(k + 2u, cols), block_b_row(k + 3u, cols));
}

// matmul_block: op(A)[min(row, M - 1), k .. k+3], and op(A)[min(row, M - 1), k] as a splat.
fn block_a_row4(row: u32, k: u32) -> vec4<f32> {
  let r = min(row, dim_m() - 1u);
  return vec4<f32>(load_a(r, k), load_a(r, k + 1u), load_a(r, k + 2u), load_a(r, k + 3u));
}
fn block_a_splat(row: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(load_a(min(row, dim_m() - 1u), k));
}

// ---- The entry points (generated by shaders/matmul_gen.ts) ----
