// Batch normalization (Ioffe & Szegedy 2015) of x [rows, features], row-major (the feature varies
// fastest; NHWC feature maps are the same rows with rows = B·H·W). Every statistic is per feature,
// over the rows.
//
// Forward, training (two or three dispatches):
//   stats_direct                 one invocation per feature walks its whole column
//   or stats_partial + stats_final   for many rows, two levels: a few tens of workgroups, invocation
//                                (p, f) taking the rows p, p + P, p + 2P, … of feature f (neighbouring
//                                invocations read neighbouring features of one row), then one
//                                invocation per feature combining its P partials. No workgroup
//                                memory and no barrier: on the software adapters a barrier suspends
//                                and resumes every invocation of a workgroup (see reduce_sum.wgsl).
//   normalize                    y = γ·(x − μ)·s + β, s = 1/√(σ² + ε), one invocation per ROWS rows of a feature
//                                (with RELU: y = max(γ·(x − μ)·s + β, 0), the ReLU of the next layer fused)
// Each level keeps a mean and M2 = Σ(x − mean)² (Welford's update within an invocation, Chan et
// al.'s pairwise formula across partials) instead of Σx and Σx², whose difference cancels when the
// mean is large against the spread. The statistics pass writes μ and s (what the backward needs;
// x̂ is recomputed from them, never stored) and, with UPDATE, the running averages in place:
//   r_μ ← (1 − m)·r_μ + m·μ,   r_σ² ← (1 − m)·r_σ² + m·M2/(N − 1)   (the unbiased variance)
// so the running statistics need no pass of their own.
//
// Forward, inference: normalize with RUNNING reads the running mean and variance directly (one
// dispatch); running_stats turns them into μ and s when a backward pass will need them.
//
// Backward, given g = ∂L/∂y (two or three dispatches):
//   grad_direct, or grad_partial + grad_final   dβ = Σ_rows g,  dγ = Σ_rows g·x̂   (the same two levels)
//   grad_input   dx = γ·s·(g − (dβ + x̂·dγ)/N)   (BATCH; with statistics held constant, γ·s·g)
// With the ReLU fused (RELU), the g of these formulas is the gradient through it, [y > 0]·∂L/∂y
// (the select of unary.wgsl's relu_grad: the same bits), made by the first level of the sums from
// the forward's output y: it reads ∂L/∂y and y and writes the masked g (every element lies in
// exactly one slice), which grad_input then reads in place of ∂L/∂y. No pass of its own, and
// grad_input keeps its eight storage buffers (the default limit of a shader stage). Without RELU
// the first level never touches y_in and g_masked, but an entry point must be given every buffer
// it references whatever the overrides: the host binds x and a one-element scratch there.

struct Params {
  rows: u32,      // N: the rows each feature is normalized over
  features: u32,  // C
  slices: u32,    // P: row slices of the first level (1 for the one-level entries)
  eps: f32,       // ε added to the variance
  momentum: f32,  // m: the weight of this batch in the running averages (UPDATE)
}

override WG: u32 = 64;
override UPDATE: bool = false;   // stats_*: update the running mean and variance in place
override RUNNING: bool = false;  // normalize: `spread` is the running variance, not s
override BATCH: bool = true;     // grad_input: μ and s depend on x (batch statistics)
override RELU: bool = false;     // normalize: y = max(…, 0); grad_direct, grad_partial: g masked by y > 0

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // [N, C]
@group(0) @binding(2) var<storage, read> g: array<f32>;             // ∂L/∂y [N, C]
@group(0) @binding(3) var<storage, read> gamma: array<f32>;         // [C]
@group(0) @binding(4) var<storage, read> beta: array<f32>;          // [C]
@group(0) @binding(5) var<storage, read> mu: array<f32>;            // μ [C]
@group(0) @binding(6) var<storage, read> spread: array<f32>;        // s [C] (the running σ² with RUNNING)
@group(0) @binding(7) var<storage, read> partials_in: array<f32>;   // [2, P, C]: means, then M2s (or Σg, then Σg·x̂)
@group(0) @binding(8) var<storage, read> sum_g: array<f32>;         // grad_input: dβ [C]
@group(0) @binding(9) var<storage, read> sum_gx: array<f32>;        // grad_input: dγ [C]
@group(0) @binding(10) var<storage, read_write> partials: array<f32>;
@group(0) @binding(11) var<storage, read_write> mean_out: array<f32>;     // μ [C]
@group(0) @binding(12) var<storage, read_write> inv_std_out: array<f32>;  // s [C]
@group(0) @binding(13) var<storage, read_write> running_mean: array<f32>; // [C], in place
@group(0) @binding(14) var<storage, read_write> running_var: array<f32>;  // [C], in place
@group(0) @binding(15) var<storage, read_write> y: array<f32>;            // [N, C]
@group(0) @binding(16) var<storage, read_write> dgamma: array<f32>;       // [C]
@group(0) @binding(17) var<storage, read_write> dbeta: array<f32>;        // [C]
@group(0) @binding(18) var<storage, read_write> dx: array<f32>;           // [N, C]
@group(0) @binding(19) var<storage, read> y_in: array<f32>;               // RELU backward: the forward's y [N, C]
@group(0) @binding(20) var<storage, read_write> g_masked: array<f32>;     // RELU backward: [y > 0]·∂L/∂y [N, C]

// The number of rows in slice p (rows p, p + P, …; the host keeps P ≤ N, so none is empty).
fn slice_rows(p: u32) -> u32 {
  return (params.rows - p + params.slices - 1u) / params.slices;
}

// (mean, M2) of feature f over the rows of slice p, by Welford's update.
fn slice_moments(f: u32, p: u32) -> vec2<f32> {
  let c = params.features;
  var mean = 0.0;
  var m2 = 0.0;
  var k = 0.0;
  for (var r = p; r < params.rows; r += params.slices) {
    let v = x[r * c + f];
    k += 1.0;
    let d = v - mean;
    mean += d / k;
    m2 += d * (v - mean);
  }
  return vec2<f32>(mean, m2);
}

// Writes μ and s of feature f from its (mean, M2) over all N rows, and updates the running averages.
fn finish_stats(f: u32, moments: vec2<f32>) {
  let n = f32(params.rows);
  mean_out[f] = moments.x;
  inv_std_out[f] = inverseSqrt(moments.y / n + params.eps);
  if (UPDATE) {
    let m = params.momentum;
    running_mean[f] = (1.0 - m) * running_mean[f] + m * moments.x;
    running_var[f] = (1.0 - m) * running_var[f] + m * (moments.y / (n - 1.0));
  }
}

@compute @workgroup_size(WG)
fn stats_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = flat_index(gid, groups);
  if (f >= params.features) { return; }
  finish_stats(f, slice_moments(f, 0u));
}

@compute @workgroup_size(WG)
fn stats_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = flat_index(gid, groups);
  let c = params.features;
  if (t >= params.slices * c) { return; }
  let mom = slice_moments(t % c, t / c);
  partials[t] = mom.x;
  partials[params.slices * c + t] = mom.y;
}

// Chan, Golub & LeVeque's pairwise update: merging (n_a, mean_a, M2_a) with (n_b, mean_b, M2_b),
// δ = mean_b − mean_a: mean = mean_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n.
@compute @workgroup_size(WG)
fn stats_final(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = flat_index(gid, groups);
  let c = params.features;
  if (f >= c) { return; }
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var p = 0u; p < params.slices; p++) {
    let nb = f32(slice_rows(p));
    let total = n + nb;
    let d = partials_in[p * c + f] - mean;
    mean += d * (nb / total);
    m2 += partials_in[(params.slices + p) * c + f] + d * d * (n * nb / total);
    n = total;
  }
  finish_stats(f, vec2<f32>(mean, m2));
}

// μ and s from the running statistics (inference mode, when a backward pass follows).
@compute @workgroup_size(WG)
fn running_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = flat_index(gid, groups);
  if (f >= params.features) { return; }
  mean_out[f] = running_mean[f];
  inv_std_out[f] = inverseSqrt(running_var[f] + params.eps);
}

// The element-wise passes (normalize, grad_input) give invocation t feature f = t mod C in the rows
// ROWS·⌊t / C⌋ … ROWS·⌊t / C⌋ + ROWS − 1: one modulo per invocation instead of one per element, the
// feature's statistics and parameters read once for ROWS elements, and neighbouring invocations
// on neighbouring features (contiguous addresses in every row). (feature, first row), or none
// (x = C) past the last block.
override ROWS: u32 = 8u;

fn row_block(t: u32) -> vec2<u32> {
  let c = params.features;
  let blocks = (params.rows + ROWS - 1u) / ROWS;
  if (t >= blocks * c) { return vec2<u32>(c, 0u); }
  return vec2<u32>(t % c, (t / c) * ROWS);
}

@compute @workgroup_size(WG)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let fr = row_block(flat_index(gid, groups));
  let f = fr.x;
  if (f >= params.features) { return; }
  var s = spread[f];
  if (RUNNING) { s = inverseSqrt(s + params.eps); }
  let gm = gamma[f];
  let m = mu[f];
  let b = beta[f];
  for (var k = 0u; k < ROWS; k++) {
    let r = fr.y + k;
    if (r >= params.rows) { break; }
    let i = r * params.features + f;
    var v = gm * ((x[i] - m) * s) + b;
    if (RELU) { v = max(v, 0.0); }
    y[i] = v;
  }
}

// (Σg, Σg·x̂) of feature f over the rows of slice p; with RELU, g = [y > 0]·∂L/∂y, also written out.
fn slice_grad_sums(f: u32, p: u32) -> vec2<f32> {
  let c = params.features;
  let m = mu[f];
  let s = spread[f];
  var sg = 0.0;
  var sgx = 0.0;
  for (var r = p; r < params.rows; r += params.slices) {
    let i = r * c + f;
    var gi = g[i];
    if (RELU) {
      gi = select(0.0, gi, y_in[i] > 0.0);
      g_masked[i] = gi;
    }
    sg += gi;
    sgx += gi * ((x[i] - m) * s);
  }
  return vec2<f32>(sg, sgx);
}

@compute @workgroup_size(WG)
fn grad_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = flat_index(gid, groups);
  if (f >= params.features) { return; }
  let s = slice_grad_sums(f, 0u);
  dbeta[f] = s.x;
  dgamma[f] = s.y;
}

@compute @workgroup_size(WG)
fn grad_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = flat_index(gid, groups);
  let c = params.features;
  if (t >= params.slices * c) { return; }
  let s = slice_grad_sums(t % c, t / c);
  partials[t] = s.x;
  partials[params.slices * c + t] = s.y;
}

@compute @workgroup_size(WG)
fn grad_final(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = flat_index(gid, groups);
  let c = params.features;
  if (f >= c) { return; }
  var sg = 0.0;
  var sgx = 0.0;
  for (var p = 0u; p < params.slices; p++) {
    sg += partials_in[p * c + f];
    sgx += partials_in[(params.slices + p) * c + f];
  }
  dbeta[f] = sg;
  dgamma[f] = sgx;
}

@compute @workgroup_size(WG)
fn grad_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let fr = row_block(flat_index(gid, groups));
  let f = fr.x;
  if (f >= params.features) { return; }
  let s = spread[f];
  let gm = gamma[f];
  var m = 0.0;
  var sg = 0.0;
  var sgx = 0.0;
  if (BATCH) {
    m = mu[f];
    sg = sum_g[f];
    sgx = sum_gx[f];
  }
  for (var k = 0u; k < ROWS; k++) {
    let r = fr.y + k;
    if (r >= params.rows) { break; }
    let i = r * params.features + f;
    var d = g[i];
    if (BATCH) {
      let xhat = (x[i] - m) * s;
      d -= (sg + xhat * sgx) / f32(params.rows);
    }
    dx[i] = gm * s * d;
  }
}
