// C = op(A) · op(B) (+ bias per column, then ReLU), op = identity or transpose.
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
// change the addressing in the inner loop); sizes and the epilogue are uniforms.
//
// What was measured (Node + Dawn, 2-core EPYC shared with other jobs, so figures moved by ±30%;
// every comparison below was made side by side in one process; "per CPU-s" = GFLOP per second of
// process CPU time, which contention disturbs much less than wall clock):
//   lavapipe 1024³, wall GFLOP/s on a quiet machine: vec4 layout TM=4 WG=64 6.9-8.6, TM=8 8-9.7,
//     TM=12 7.4, TM=16 5.4-6.7 (spills); WG from 8 to 128 within noise, 256 worse (5.5); 2-D
//     workgroups (8×4, 8×8) no better than one row; A read as scalars instead of vec4 -20%;
//     one column per invocation with 8-32 rows 1.3-2.3; an A tile in workgroup memory (KC = 64 or
//     128, two barriers per tile) half as fast; k unrolled by 8 slower (0.6×); workgroups ordered
//     so that neighbours share columns of B instead of rows of A: within noise for A·B, 0.7× with
//     a transpose; 8×RG workgroups with a barrier every 64-256 k (so that their invocations read
//     the same part of B close in time): 0.7×.
//     Why: in the generated x86 code (GALLIVM_DEBUG=asm) every storage load inside the k loop,
//     even one whose address is the same in all invocations, becomes 8 scalar loads, each behind
//     a bounds check and a branch: one 4-k step of matmul_vec4 (TM=8) is ~5,900 instructions,
//     of which 128 are 8-wide multiplies and 128 8-wide adds. A variant that only loads (no FMA) is as slow as the full kernel;
//     loading only A or only B each takes half the time. So FMAs per loaded component is what
//     counts, until the accumulators spill.
//   lavapipe per CPU-s, every transpose combination: vec4 TM=8 WG=32 4.2-4.7, TM=4 WG=64 2.8-4.3;
//     777×513×1025: scalar TM=8 4.1, TM=4 3.3, strided 1.4-2.3. Table: vec4 8/32, scalar 8/64.
//   SwiftShader 512³ per CPU-s, every transpose combination: strided TM=16 WG=32 0.70-0.78,
//     TM=8 WG=8 0.52-0.68; vec4 TM=16 WG=16 0.52-0.57, TM=4 WG=64 0.33-0.41; 387×257×513:
//     strided 0.39, scalar 0.16-0.25. Table: strided 16/32 for every shape.
//   The adapter's FMA ceiling and the peers are measured by bench/suites/matmul.ts.

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
    if (row < params.m) { c4[row * n4 + col4] = epilogue(acc[i], bias4); }
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
    let v = epilogue(acc[i], bias4);
    for (var j = 0u; j < 4u; j++) {
      if (col0 + j < params.n) { c[row * params.n + col0 + j] = v[j]; }
    }
  }
}

// Same blocking (TM rows × 4 columns per invocation), but the four columns of an invocation are
// WG apart, so that neighbouring invocations read neighbouring addresses of B and C. SwiftShader
// runs this about twice as fast as the other layouts (it can merge such loads into vector loads);
// it takes any shape.
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
    let v = epilogue(acc[i], bias4);
    for (var j = 0u; j < 4u; j++) {
      let col = base + j * WG;
      if (col < params.n) { c[row * params.n + col] = v[j]; }
    }
  }
}
