// C = op(A) · op(B) (+ bias per column, then ReLU, then a dropout mask or a gate), op = identity or
// transpose.
//
// Register blocking without workgroup memory. Each invocation computes a TM × 4 block of C: TM rows
// and four columns, in TM vec4 accumulators. A workgroup is a row of WG invocations that all share
// the same TM rows, so every load of A has the same address in all invocations (drivers load it
// once and broadcast it), while each invocation loads its own columns of B. No barriers, no
// workgroup memory: on the software adapters here both cost more than they save.
//
// Three entry points, one blocking, three layouts of the four columns (the host picks one per
// adapter from a table in engine/ops/matmul.ts):
//   matmul_vec4     four adjacent columns read and written as vec4, A as vec4 along k: needs N and
//                   K multiples of 4 (and M when A is stored transposed, whose vec4 then run along M).
//   matmul_scalar   four adjacent columns, scalar loads: any shape.
//   matmul_strided  columns WG apart, so neighbouring invocations touch neighbouring addresses of B
//                   and C (drivers can merge those into vector loads): any shape.
// Edges are handled inside each kernel: rows past M load row M-1 and skip the store, columns past
// N load column N-1 and are dropped, a K that is not a multiple of 4 ends with a scalar tail.
//
// Storage: op(A) is M × K, stored M × K row-major, or K × M when TRANS_A; op(B) is K × N, stored
// K × N, or N × K when TRANS_B. C is M × N row-major. Transposes are pipeline constants (they
// change the addressing in the inner loop); sizes, bias and ReLU are uniforms; the dropout and gate
// epilogues are pipeline constants (below) and the dropout key is in the uniforms.
//
// Why these layouts, in words:
//   - On lavapipe every storage load inside the k loop, even one whose address is the same in every
//     invocation, becomes one scalar load per lane behind a bounds check and a branch (visible in the
//     generated x86 code, GALLIVM_DEBUG=asm). Loads, not FMAs, are the cost, so what counts is the
//     number of FMAs per loaded component: the vec4 layout with 8 rows per invocation, as many as fit
//     in registers before the accumulators spill. Workgroup memory tiles, unrolling k, 2-D
//     workgroups and other workgroup orders were tried and were slower or no better.
//   - On SwiftShader the strided layout wins: neighbouring invocations read neighbouring addresses
//     of B and C, which it can merge into vector loads; 16 rows per invocation.
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
}

override WG: u32 = 64;           // invocations per workgroup (one row of them)
override TM: u32 = 4;            // rows of C per invocation, at most TM_MAX
override TRANS_A: bool = false;  // A is stored K × M
override TRANS_B: bool = false;  // B is stored N × K
override DROPOUT: bool = false;  // the epilogue applies the dropout mask of the key in `params`
override GATE: bool = false;     // the epilogue keeps only elements whose `gate` is > 0

const TM_MAX = 16u;

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

// op(A)[row, k]. `row` and `k` are the same in every invocation of a workgroup.
fn load_a(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * params.m + row]; }
  return a[row * params.k + k];
}

// op(A)[row, k .. k+3] from scalar loads (any K).
fn load_a4(row: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(load_a(row, k), load_a(row, k + 1u), load_a(row, k + 2u), load_a(row, k + 3u));
}

// op(B)[k, col]; callers clamp col to N - 1 (clamped columns are computed and never stored).
fn load_b(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[col * params.k + k]; }
  return b[k * params.n + col];
}

// The first row of the workgroup's block. A z dimension takes over when M / TM exceeds the
// 65,535 workgroups allowed per dimension.
fn first_row(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (wid.y + wid.z * groups.y) * TM;
}

// The fused epilogue of four columns: + bias (zero when there is none), then ReLU if asked.
fn epilogue(v: vec4<f32>, bias4: vec4<f32>) -> vec4<f32> {
  var r = v + bias4;
  if (params.relu != 0u) { r = max(r, vec4<f32>(0.0)); }
  return r;
}

// ---- The dropout / gate epilogue (DROPOUT, GATE) ----

// The keep decisions of flat elements i0 … i0+3, i0 a multiple of 4: one half of one group of eight.
fn keep_aligned4(i0: u32) -> vec4<bool> {
  let w = dropout_words8(i0 / 8u, vec2<u32>(params.seed_lo, params.seed_hi), vec3<u32>(params.stream, params.offset_lo, params.offset_hi));
  let j = i0 % 8u;
  let t = params.threshold;
  return vec4<bool>(dropout_keep_in(w, j, t), dropout_keep_in(w, j + 1u, t), dropout_keep_in(w, j + 2u, t), dropout_keep_in(w, j + 3u, t));
}

// The keep decisions of flat elements i0 … i0+3, any i0: one Philox call, or two when they straddle groups.
fn keep_run4(i0: u32) -> vec4<bool> {
  let seed = vec2<u32>(params.seed_lo, params.seed_hi);
  let ctr = vec3<u32>(params.stream, params.offset_lo, params.offset_hi);
  let q0 = i0 / 8u;
  let w0 = dropout_words8(q0, seed, ctr);
  var w1 = w0;
  if ((i0 + 3u) / 8u != q0) { w1 = dropout_words8(q0 + 1u, seed, ctr); }
  var keep: vec4<bool>;
  for (var t = 0u; t < 4u; t++) {
    let i = i0 + t;
    keep[t] = dropout_keep_in(select(w0, w1, i / 8u != q0), i % 8u, params.threshold);
  }
  return keep;
}

// The keep decision of flat element i: one Philox call.
fn keep_at(i: u32) -> bool {
  return dropout_keep_at(i, vec2<u32>(params.seed_lo, params.seed_hi), vec3<u32>(params.stream, params.offset_lo, params.offset_hi), params.threshold);
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
  let base = row * params.n;
  return vec4<f32>(gate[base + cols.x], gate[base + cols.y], gate[base + cols.z], gate[base + cols.w]) > vec4<f32>(0.0);
}

// bias[col .. col+3], clamped to N - 1, or zero without a bias.
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

// Four adjacent columns per invocation as one vec4: aligned shapes only (see the top of the file).
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
    if (row >= params.m) { break; }
    var v = epilogue(acc[i], bias4);
    if (DROPOUT || GATE) {
      var keep = vec4<bool>(true);
      if (DROPOUT) { keep = keep_aligned4(row * params.n + col4 * 4u); }
      if (GATE) { keep = keep & (gate4[row * n4 + col4] > vec4<f32>(0.0)); }
      v = apply_keep(v, keep);
    }
    c4[row * n4 + col4] = v;
  }
}

// Four adjacent columns per invocation, scalar loads: any shape.
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
  let last_col = params.n - 1u;
  let c1 = min(col0 + 1u, last_col);
  let c2 = min(col0 + 2u, last_col);
  let c3 = min(col0 + 3u, last_col);

  var acc: array<vec4<f32>, TM_MAX>;
  for (var kk = 0u; kk < params.k; kk++) {
    let bk = vec4<f32>(load_b(kk, col0), load_b(kk, c1), load_b(kk, c2), load_b(kk, c3));
    for (var i = 0u; i < TM; i++) {
      acc[i] = fma(vec4<f32>(load_a(min(row0 + i, last_row), kk)), bk, acc[i]);
    }
  }

  let bias4 = load_bias(col0);
  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    var v = epilogue(acc[i], bias4);
    if (DROPOUT || GATE) {
      var keep = vec4<bool>(true);
      if (DROPOUT) { keep = keep_run4(row * params.n + col0); }
      if (GATE) { keep = keep & gate_open(row, vec4<u32>(col0, c1, c2, c3)); }
      v = apply_keep(v, keep);
    }
    for (var j = 0u; j < 4u; j++) {
      if (col0 + j < params.n) { cs[row * params.n + col0 + j] = v[j]; }
    }
  }
}

// Same blocking (TM rows × 4 columns per invocation), but the four columns of an invocation are
// WG apart, so that neighbouring invocations read neighbouring addresses of B and C. SwiftShader
// runs this faster than the other layouts (it can merge such loads into vector loads); it takes
// any shape.
@compute @workgroup_size(WG)
fn matmul_strided(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let base = wid.x * WG * 4u + lid.x;
  let last_col = params.n - 1u;
  let c0 = min(base, last_col);
  let c1 = min(base + WG, last_col);
  let c2 = min(base + 2u * WG, last_col);
  let c3 = min(base + 3u * WG, last_col);
  let row0 = first_row(wid, groups);
  let last_row = params.m - 1u;

  var acc: array<vec4<f32>, TM_MAX>;
  var kk = 0u;
  for (; kk + 4u <= params.k; kk += 4u) {
    // Column j of bm is op(B)[kk + j, (c0, c1, c2, c3)].
    let bm = mat4x4<f32>(
      vec4<f32>(load_b(kk, c0), load_b(kk, c1), load_b(kk, c2), load_b(kk, c3)),
      vec4<f32>(load_b(kk + 1u, c0), load_b(kk + 1u, c1), load_b(kk + 1u, c2), load_b(kk + 1u, c3)),
      vec4<f32>(load_b(kk + 2u, c0), load_b(kk + 2u, c1), load_b(kk + 2u, c2), load_b(kk + 2u, c3)),
      vec4<f32>(load_b(kk + 3u, c0), load_b(kk + 3u, c1), load_b(kk + 3u, c2), load_b(kk + 3u, c3)),
    );
    for (var i = 0u; i < TM; i++) {
      acc[i] += bm * load_a4(min(row0 + i, last_row), kk);
    }
  }
  for (; kk < params.k; kk++) {
    let bk = vec4<f32>(load_b(kk, c0), load_b(kk, c1), load_b(kk, c2), load_b(kk, c3));
    for (var i = 0u; i < TM; i++) {
      acc[i] = fma(vec4<f32>(load_a(min(row0 + i, last_row), kk)), bk, acc[i]);
    }
  }

  var bias4 = vec4<f32>(0.0);
  if (params.has_bias != 0u) { bias4 = vec4<f32>(bias[c0], bias[c1], bias[c2], bias[c3]); }
  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    var v = epilogue(acc[i], bias4);
    if (DROPOUT || GATE) {
      var keep = vec4<bool>(true);
      if (DROPOUT) {
        // Columns past N (never stored) are clamped so that every flat index stays below M·N.
        let r = row * params.n;
        keep = vec4<bool>(keep_at(r + c0), keep_at(r + c1), keep_at(r + c2), keep_at(r + c3));
      }
      if (GATE) { keep = keep & gate_open(row, vec4<u32>(c0, c1, c2, c3)); }
      v = apply_keep(v, keep);
    }
    for (var j = 0u; j < 4u; j++) {
      let col = base + j * WG;
      if (col < params.n) { cs[row * params.n + col] = v[j]; }
    }
  }
}
