// C = op(A) · op(B) (+ bias per column, then ReLU, then a dropout mask or a gate), op = identity or
// transpose.
//
// Register blocking without workgroup memory. Each invocation computes a TM × 4 block of C: TM rows
// and four columns, in TM vec4 accumulators. A workgroup is a row of WG invocations that all share
// the same TM rows, so every load of A has the same address in all invocations (drivers load it
// once and broadcast it), while each invocation loads its own columns of B. No barriers, no
// workgroup memory: on the software adapters here both cost more than they save.
//
// Three layouts of the four columns, one entry point per layout and TM (the host picks one per
// adapter from a table in engine/ops/matmul.ts):
//   matmul_vec4     four adjacent columns read and written as vec4, A as vec4 along k: needs N and
//                   K multiples of 4 (and M when A is stored transposed, whose vec4 then run along M).
//   matmul_scalar   four adjacent columns, scalar loads: any shape.
//   matmul_strided  columns WG apart, so neighbouring invocations touch neighbouring addresses of B
//                   and C (drivers can merge those into vector loads): any shape.
// Edges are handled inside each kernel: rows past M load row M-1 and skip the store, columns past
// N load column N-1 and are dropped, a K that is not a multiple of 4 ends with a scalar tail.
//
// ---- Why the entry points are generated -------------------------------------------------------
//
// This file is a template: it holds everything but the entry points, which shaders/matmul_gen.ts
// appends, one per layout and per TM = 1 … 16 (`matmul_strided_tm16`, ...; vec4 for multiples of
// 4), with every loop over the TM rows unrolled. Each row has its own accumulator, `acc0` …
// `acc15`, a plain vec4 variable: no private array, no index at all. A private array indexed by a
// loop variable (`acc[i]`) is kept in memory by SwiftShader, which does not unroll loops, and by
// many GPU compilers; one dynamic index anywhere, the epilogue included, is enough (the
// measurement is in the project's notes; tests/lint/accumulators.test.ts checks every kernel).
// An `override` constant cannot do this: WGSL has no loop that a constant unrolls. The generated
// body of one row is one call of a function below (the k-loop update or the row's epilogue), so
// the generated text stays short and this file keeps the logic.
//
// Storage: op(A) is M × K, stored M × K row-major, or K × M when TRANS_A; op(B) is K × N, stored
// K × N, or N × K when TRANS_B. C is M × N row-major. TM is part of the entry point's name;
// transposes are pipeline constants (they change the addressing in the inner loop); sizes, bias
// and ReLU are uniforms; the dropout and gate epilogues are pipeline constants (below) and the
// dropout key is in the uniforms.
//
// Why these layouts, in words:
//   - On lavapipe every storage load inside the k loop, even one whose address is the same in every
//     invocation, becomes one scalar load per lane behind a bounds check and a branch (visible in the
//     generated x86 code, GALLIVM_DEBUG=asm). Loads, not FMAs, are the cost, so what counts is the
//     number of FMAs per loaded component: the vec4 layout with 8 rows per invocation, as many as fit
//     in registers before the accumulators spill. Workgroup memory tiles, unrolling k, 2-D
//     workgroups and other workgroup orders were tried and were slower or no better.
//   - On SwiftShader the strided layout won while the accumulators were an array indexed in loops
//     (neighbouring invocations read neighbouring addresses of B and C, which it can merge into
//     vector loads); with the generated entry points the vec4 layout with 8 rows leads where the
//     shape allows it, and the strided one takes the other shapes.
//   - Throughput is compared per CPU-second of the process as well as per wall-clock second, since
//     the machines these were tuned on are shared and contention disturbs the former much less.
//   The adapter's FMA ceiling and the peers are measured by bench/suites/matmul.ts.
//
// ---- Dropout in the epilogue ------------------------------------------------------------------
//
// Two pipeline constants add a mask to the epilogue, so the plain product compiles without them
// (and this file is registered twice: with the Philox library as `matmul_masked`, and with the stubs
// of shaders/dropout_off.wgsl as `matmul`, so that plain pipelines do not even contain Philox):
//   DROPOUT  forward: y = dropout(relu(op(A)·op(B) + bias)), the mask regenerated from the key in
//            the uniforms with the shared contract of shaders/philox.wgsl (`dropout_words8`,
//            `dropout_keep_in`): element (row, col) of C is flat element row·N + col, exactly as the
//            standalone kernel (shaders/dropout.wgsl) numbers the same M × N tensor, so both draw
//            the same mask bit for bit. Kept elements are multiplied by `scale` (1/p or 1).
//   GATE     backward: keep C[row, col] only where gate[row, col] > 0, gate being the producer's
//            output h = dropout(relu(z)). With DROPOUT too, this is the gradient of the producer's
//            pre-activation z from the gradient of h, dz = dh ⊙ m ⊙ relu'(z) · scale, computed as
//            dh = G·Wᵀ is produced, with the mask m regenerated from the same key as the forward
//            (for a kept element h > 0 iff z > 0, since scale > 0; a dropped one is zero either way).
// The key: every element's mask is drawn with the key mask_key() returns, which shaders/matmul-gen.ts
// appends to this file in one of two forms. In `matmul` and `matmul_masked` it returns the key of
// the uniforms (one key; in a batch every product draws the same mask). In `matmul_keyed`, the
// batched ensemble's kernel, it returns the key of the invocation's product from the storage
// array `mask_keys` (two vec4 per product: (seed_lo, seed_hi, -, -), (stream, offset_lo,
// offset_hi, -)), so that each member of a stacked ensemble draws the very mask it draws alone:
// element (row, col) of product p is flat element row·N + col of p's own M × N product, with p's
// key. Threshold and scale stay uniforms (the same keep probability for every product).
// The vec4 layout decides its four adjacent columns with one Philox call (N is a multiple of 4,
// so they are one half of a group of eight); the scalar layout needs one or two calls per four
// columns, the strided one a call per element (its columns are WG apart).

struct Params {
  m: u32,
  n: u32,
  k: u32,
  has_bias: u32,  // 1: add bias[col] to every row
  relu: u32,      // 1: max(·, 0) after the bias
  // The dropout key, read only by DROPOUT pipelines (see the top of the file and shaders/dropout.wgsl).
  threshold: u32, // keep iff the element's 16-bit uniform < threshold
  scale: f32,     // multiplies kept elements: 1/p (inverted dropout) or 1
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  offset_lo: u32,
  offset_hi: u32,
  // A batch of independent products of the same shape in one dispatch (a stacked ensemble: one
  // product per member). Workgroup z / z_rows is the product's index, workgroup z % z_rows the row
  // overflow below; product p reads A, B, bias and gate and writes C `p · stride_*` elements
  // further on (a stride 0 shares the operand). One product: z_rows = the grid's z, every stride 0.
  // Each product is computed exactly as if it were dispatched alone (same entry point, same order).
  z_rows: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,     // also the gate's
  stride_bias: u32,
}

override WG: u32 = 64;           // invocations per workgroup (one row of them)
override TRANS_A: bool = false;  // A is stored K × M
override TRANS_B: bool = false;  // B is stored N × K
override DROPOUT: bool = false;  // the epilogue applies the dropout mask of the key in `params`
override GATE: bool = false;     // the epilogue keeps only elements whose `gate` is > 0

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
// C as scalars. Not called `c`: wgsl_reflect finds an entry point's bindings by name, and the Philox
// library (prepended when this file is compiled as `matmul_masked`, for the dropout epilogue) has
// locals called `c` (and `a`, `b`: hence that kernel's vec4 entry point is given `a` and `b` too,
// read-only aliases of `a4` and `b4`).
@group(0) @binding(5) var<storage, read_write> cs: array<f32>;
@group(0) @binding(6) var<storage, read_write> c4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> gate: array<f32>;        // M × N, read by GATE pipelines only
@group(0) @binding(9) var<storage, read> gate4: array<vec4<f32>>;

// Where the invocation's product starts in each operand (elements; set by set_product, the first
// call of every entry point). The vec4 bindings' offsets are these / 4: a batched vec4 product's
// strides are multiples of 4 (the host checks).
var<private> off_a: u32 = 0u;
var<private> off_b: u32 = 0u;
var<private> off_c: u32 = 0u;
var<private> off_bias: u32 = 0u;
// The invocation's product of the batch: whose dropout key a keyed pipeline reads (mask_key).
var<private> product: u32 = 0u;

// The product of workgroup z (see Params): its operands' offsets.
fn set_product(wid: vec3<u32>) {
  let p = wid.z / params.z_rows;
  product = p;
  off_a = p * params.stride_a;
  off_b = p * params.stride_b;
  off_c = p * params.stride_c;
  off_bias = p * params.stride_bias;
}

// op(A)[row, k]. `row` and `k` are the same in every invocation of a workgroup.
fn load_a(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[off_a + k * params.m + row]; }
  return a[off_a + row * params.k + k];
}

// op(A)[row, k .. k+3] from scalar loads (any K).
fn load_a4(row: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(load_a(row, k), load_a(row, k + 1u), load_a(row, k + 2u), load_a(row, k + 3u));
}

// op(B)[k, col]; callers clamp col to N - 1 (clamped columns are computed and never stored).
fn load_b(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[off_b + col * params.k + k]; }
  return b[off_b + k * params.n + col];
}

// The first row of the workgroup's block of `tm` rows. A z dimension takes over when M / TM
// exceeds the 65,535 workgroups allowed per dimension (z_rows of them per product of a batch).
fn first_row(wid: vec3<u32>, groups: vec3<u32>, tm: u32) -> u32 {
  return (wid.y + (wid.z % params.z_rows) * groups.y) * tm;
}

// The fused epilogue of four columns: + bias (zero when there is none), then ReLU if asked.
fn epilogue(v: vec4<f32>, bias4: vec4<f32>) -> vec4<f32> {
  var r = v + bias4;
  if (params.relu != 0u) { r = max(r, vec4<f32>(0.0)); }
  return r;
}

// ---- The dropout / gate epilogue (DROPOUT, GATE) ----

// The key of a mask: the Philox key and counter words 1 … 3 of the shared contract (shaders/philox.wgsl).
// `mask_key()`, which returns the invocation's, is appended by shaders/matmul-gen.ts (see the top of
// the file); the mask loops below read it once, before their loop over the rows.
struct MaskKey {
  seed: vec2<u32>,
  ctr: vec3<u32>,
}

// The keep decisions of flat elements i0 … i0+3, i0 a multiple of 4: one half of one group of eight.
fn keep_aligned4(i0: u32, key: MaskKey) -> vec4<bool> {
  let w = dropout_words8(i0 / 8u, key.seed, key.ctr);
  let j = i0 % 8u;
  let t = params.threshold;
  return vec4<bool>(dropout_keep_in(w, j, t), dropout_keep_in(w, j + 1u, t), dropout_keep_in(w, j + 2u, t), dropout_keep_in(w, j + 3u, t));
}

// The keep decisions of flat elements i0 … i0+3, any i0: one Philox call, or two when they straddle groups.
fn keep_run4(i0: u32, key: MaskKey) -> vec4<bool> {
  let seed = key.seed;
  let ctr = key.ctr;
  let q0 = i0 / 8u;
  let w0 = dropout_words8(q0, seed, ctr);
  var w1 = w0;
  if ((i0 + 3u) / 8u != q0) { w1 = dropout_words8(q0 + 1u, seed, ctr); }
  let t = params.threshold;
  return vec4<bool>(
    dropout_keep_in(select(w0, w1, (i0 + 0u) / 8u != q0), (i0 + 0u) % 8u, t),
    dropout_keep_in(select(w0, w1, (i0 + 1u) / 8u != q0), (i0 + 1u) % 8u, t),
    dropout_keep_in(select(w0, w1, (i0 + 2u) / 8u != q0), (i0 + 2u) % 8u, t),
    dropout_keep_in(select(w0, w1, (i0 + 3u) / 8u != q0), (i0 + 3u) % 8u, t),
  );
}

// The keep decision of flat element i: one Philox call.
fn keep_at(i: u32, key: MaskKey) -> bool {
  return dropout_keep_at(i, key.seed, key.ctr, params.threshold);
}

// Kept elements scaled (DROPOUT), the others 0: a select, not a multiply by the mask, so a dropped
// inf or NaN gives 0, as in the standalone kernel.
fn apply_keep(v: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  var r = v;
  if (DROPOUT) { r = v * params.scale; }
  return select(vec4<f32>(0.0), r, keep);
}

// gate[row, cols] > 0 for four columns (clamped to N - 1 by the caller).
fn gate_open(row: u32, cols: vec4<u32>) -> vec4<bool> {
  let base = off_c + row * params.n;
  return vec4<f32>(gate[base + cols.x], gate[base + cols.y], gate[base + cols.z], gate[base + cols.w]) > vec4<f32>(0.0);
}

// bias[col .. col+3], clamped to N - 1, or zero without a bias.
fn load_bias(col: u32) -> vec4<f32> {
  if (params.has_bias == 0u) { return vec4<f32>(0.0); }
  let last = params.n - 1u;
  let o = off_bias;
  return vec4<f32>(bias[o + min(col, last)], bias[o + min(col + 1u, last)], bias[o + min(col + 2u, last)], bias[o + min(col + 3u, last)]);
}

// Rows r0 .. r0+3 of op(A), columns k .. k+3, as the columns of a matrix: column r is
// op(A)[r0 + r, k .. k+3]. Vec4 loads either way; with TRANS_A they load four rows of Aᵀ
// (r0 is a multiple of 4 and M % 4 == 0, so they are aligned) and the block is transposed in registers.
fn a_block(r0: u32, k: u32) -> mat4x4<f32> {
  let last = params.m - 1u;
  if (TRANS_A) {
    let m4 = params.m / 4u;
    let g = off_a / 4u + min(r0, last) / 4u;  // rows past M (never stored) read the last aligned group
    return transpose(mat4x4<f32>(a4[k * m4 + g], a4[(k + 1u) * m4 + g], a4[(k + 2u) * m4 + g], a4[(k + 3u) * m4 + g]));
  }
  let k4 = params.k / 4u;
  let kq = off_a / 4u + k / 4u;
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
    let kq = off_b / 4u + k / 4u;
    let n0 = col4 * 4u;
    return transpose(mat4x4<f32>(b4[n0 * k4 + kq], b4[(n0 + 1u) * k4 + kq], b4[(n0 + 2u) * k4 + kq], b4[(n0 + 3u) * k4 + kq]));
  }
  let n4 = params.n / 4u;
  let c4b = off_b / 4u + col4;
  return mat4x4<f32>(b4[k * n4 + c4b], b4[(k + 1u) * n4 + c4b], b4[(k + 2u) * n4 + c4b], b4[(k + 3u) * n4 + c4b]);
}

// ---- One row of each layout: what the generated entry points call per row ----

// Columns (col0, col0 + 1, col0 + 2, col0 + 3) of the scalar layout, clamped to N - 1.
fn adjacent_cols(col0: u32) -> vec4<u32> {
  let last = params.n - 1u;
  return vec4<u32>(col0, min(col0 + 1u, last), min(col0 + 2u, last), min(col0 + 3u, last));
}

// Columns (base, base + WG, base + 2·WG, base + 3·WG) of the strided layout, clamped to N - 1.
fn strided_cols(base: u32) -> vec4<u32> {
  let last = params.n - 1u;
  return vec4<u32>(min(base, last), min(base + WG, last), min(base + 2u * WG, last), min(base + 3u * WG, last));
}

// op(B)[k, cols]: one value of k, four columns (clamped by the caller).
fn b_row(k: u32, cols: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(load_b(k, cols.x), load_b(k, cols.y), load_b(k, cols.z), load_b(k, cols.w));
}

// Column j of the result is op(B)[k + j, cols], so that (result · a) = Σ_j a[j] · op(B)[k + j, cols].
fn b_rows4(k: u32, cols: vec4<u32>) -> mat4x4<f32> {
  return mat4x4<f32>(b_row(k, cols), b_row(k + 1u, cols), b_row(k + 2u, cols), b_row(k + 3u, cols));
}

// op(A)[min(row, M - 1), k .. k+3]: rows past M (never stored) read the last row.
fn a_row4(row: u32, k: u32) -> vec4<f32> {
  return load_a4(min(row, params.m - 1u), k);
}

// op(A)[min(row, M - 1), k] as a splat, for the scalar k loops.
fn a_splat(row: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(load_a(min(row, params.m - 1u), k));
}

// bias[cols], or zero without a bias.
fn bias_at(cols: vec4<u32>) -> vec4<f32> {
  if (params.has_bias == 0u) { return vec4<f32>(0.0); }
  let o = off_bias;
  return vec4<f32>(bias[o + cols.x], bias[o + cols.y], bias[o + cols.z], bias[o + cols.w]);
}

// ---- The dropout mask of an invocation's rows, as bits ----
//
// The generated entry points write out every row, but not the mask's Philox calls: unrolled, a
// block of 16 rows would inline up to 64 of them, and compiling that pipeline took far longer on
// the software adapters. So the mask is drawn in a loop over the rows (its code once), into bits of
// two u32 (no array, nothing indexed), and each unrolled row reads its four bits with a constant
// shift: bit 4·i + j of `bits` (rows 0 … 7 in .x, 8 … 15 in .y) keeps column j of row i.

// Four keep decisions as the low four bits of a u32.
fn keep_nibble(keep: vec4<bool>) -> u32 {
  return dot(select(vec4<u32>(0u), vec4<u32>(1u, 2u, 4u, 8u), keep), vec4<u32>(1u));
}

// Adds row i's nibble to the bits of the rows.
fn add_row_bits(bits: vec2<u32>, i: u32, keep: vec4<bool>) -> vec2<u32> {
  if (i < 8u) { return vec2<u32>(bits.x | (keep_nibble(keep) << (4u * i)), bits.y); }
  return vec2<u32>(bits.x, bits.y | (keep_nibble(keep) << (4u * (i - 8u))));
}

// Row i's four keep decisions (`i` a constant where the generated code calls it); all kept without DROPOUT.
fn row_keep(bits: vec2<u32>, i: u32) -> vec4<bool> {
  if (!DROPOUT) { return vec4<bool>(true); }
  let word = select(bits.y, bits.x, i < 8u);
  let nibble = word >> (4u * (i % 8u));
  return (vec4<u32>(nibble) & vec4<u32>(1u, 2u, 4u, 8u)) != vec4<u32>(0u);
}

// The mask bits of rows row0 … row0 + tm - 1 for the vec4 layout (columns 4·col4 … 4·col4+3).
// Rows past M (never stored) take the last row's decisions, so that every flat index stays below M·N.
fn keep_bits_vec4(row0: u32, tm: u32, col4: u32) -> vec2<u32> {
  var bits = vec2<u32>(0u);
  if (!DROPOUT) { return bits; }
  let key = mask_key();
  for (var i = 0u; i < tm; i++) {
    bits = add_row_bits(bits, i, keep_aligned4(min(row0 + i, params.m - 1u) * params.n + col4 * 4u, key));
  }
  return bits;
}

// The mask bits for the scalar layout (columns col0 … col0+3, any alignment).
fn keep_bits_scalar(row0: u32, tm: u32, col0: u32) -> vec2<u32> {
  var bits = vec2<u32>(0u);
  if (!DROPOUT) { return bits; }
  let key = mask_key();
  for (var i = 0u; i < tm; i++) {
    bits = add_row_bits(bits, i, keep_run4(min(row0 + i, params.m - 1u) * params.n + col0, key));
  }
  return bits;
}

// The mask bits for the strided layout (columns `cols`, clamped to N - 1: one Philox call each).
fn keep_bits_strided(row0: u32, tm: u32, cols: vec4<u32>) -> vec2<u32> {
  var bits = vec2<u32>(0u);
  if (!DROPOUT) { return bits; }
  let key = mask_key();
  for (var i = 0u; i < tm; i++) {
    let r = min(row0 + i, params.m - 1u) * params.n;
    bits = add_row_bits(bits, i, vec4<bool>(keep_at(r + cols.x, key), keep_at(r + cols.y, key), keep_at(r + cols.z, key), keep_at(r + cols.w, key)));
  }
  return bits;
}

// The epilogue of one row of the vec4 layout (columns 4·col4 … 4·col4+3) and its store; `keep` is
// the row's mask (row_keep).
fn finish_vec4(row: u32, col4: u32, acc: vec4<f32>, bias4: vec4<f32>, keep_mask: vec4<bool>) {
  if (row >= params.m) { return; }
  let at = off_c / 4u + row * (params.n / 4u) + col4;
  var v = epilogue(acc, bias4);
  if (DROPOUT || GATE) {
    var keep = keep_mask;
    if (GATE) { keep = keep & (gate4[at] > vec4<f32>(0.0)); }
    v = apply_keep(v, keep);
  }
  c4[at] = v;
}

// The epilogue of one row of the scalar layout (columns col0 … col0+3, `cols` clamped) and its store.
fn finish_scalar(row: u32, col0: u32, cols: vec4<u32>, acc: vec4<f32>, bias4: vec4<f32>, keep_mask: vec4<bool>) {
  if (row >= params.m) { return; }
  var v = epilogue(acc, bias4);
  if (DROPOUT || GATE) {
    var keep = keep_mask;
    if (GATE) { keep = keep & gate_open(row, cols); }
    v = apply_keep(v, keep);
  }
  let o = off_c + row * params.n + col0;
  cs[o] = v.x;
  if (col0 + 1u < params.n) { cs[o + 1u] = v.y; }
  if (col0 + 2u < params.n) { cs[o + 2u] = v.z; }
  if (col0 + 3u < params.n) { cs[o + 3u] = v.w; }
}

// The epilogue of one row of the strided layout (columns base + j·WG, `cols` clamped) and its store.
fn finish_strided(row: u32, base: u32, cols: vec4<u32>, acc: vec4<f32>, bias4: vec4<f32>, keep_mask: vec4<bool>) {
  if (row >= params.m) { return; }
  var v = epilogue(acc, bias4);
  if (DROPOUT || GATE) {
    var keep = keep_mask;
    if (GATE) { keep = keep & gate_open(row, cols); }
    v = apply_keep(v, keep);
  }
  let o = off_c + row * params.n;
  if (base < params.n) { cs[o + base] = v.x; }
  if (base + WG < params.n) { cs[o + base + WG] = v.y; }
  if (base + 2u * WG < params.n) { cs[o + base + 2u * WG] = v.z; }
  if (base + 3u * WG < params.n) { cs[o + base + 3u * WG] = v.w; }
}

// ---- The entry points (generated) ----
//
// shaders/matmul_gen.ts appends them here: for each TM, `matmul_vec4_tm<TM>` (TM a multiple of 4:
// four columns as one vec4, aligned shapes only), `matmul_scalar_tm<TM>` (four adjacent columns,
// scalar loads, any shape) and `matmul_strided_tm<TM>` (columns WG apart, so neighbouring
// invocations read neighbouring addresses of B and C, which SwiftShader merges; any shape).
