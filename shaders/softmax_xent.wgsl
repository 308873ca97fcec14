// Softmax cross-entropy with soft targets, fused and numerically stable.
//
// For logits z and targets t of one row (t may be soft: label smoothing), with
// lse = m + log Σ_k exp(z_k − m) and m = max_k z_k (no exp ever overflows):
//   loss = Σ_k t_k (lse − z_k)        (each term ≥ 0, so the sum loses no precision)
//   ∂loss/∂z_k = p_k Σ_j t_j − t_k    with p = softmax(z); = p − t when the targets sum to 1.
// Backward recomputes the row's max and lse instead of storing the probabilities.
//
// Label smoothing is fused: the loss and backward read every target through smoothed_target,
// t' = t_scale·t + t_shift, an affine map that turns one-hot rows into smoothed ones
// (engine/ops/softmax_xent.ts picks the pair for each convention; (1, 0) leaves the targets
// exactly as they are). The metrics' argmax reads the raw targets: the labels are what a
// prediction is scored against.
//
// softmax_rows, forward only: out[r, :] = softmax(z) = exp(z − lse), one invocation per row.
//
// check_labels: integer labels already on the GPU (u32 or i32 [rows]) checked against [0, k)
// without a readback. One workgroup finds the first row whose label is out of range (an i32
// label < 0 reads as a u32 ≥ 2³¹, so one comparison covers both ends) and, if label_status holds
// no earlier finding, writes (1, row, label bits, labels_signed) there. The host reads
// label_status back with the next readback (engine/ops/softmax_xent.ts says when and why).

struct Params {
  rows: u32,     // rows (examples)
  k: u32,        // classes
  scale: f32,    // factor on the reduced loss (1/rows for a mean) and on the incoming gradient
  per_row: u32,  // backward: 1 if the incoming gradient has one value per row, 0 if it is one scalar
  t_scale: f32,  // smoothing: the targets used are t_scale · t + t_shift
  t_shift: f32,
  labels_signed: u32,  // check_labels: 1 if the labels are i32 (for the report), 0 if u32
}

override WG: u32 = 256;  // a power of two (tree reduction)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> labels: array<u32>;
@group(0) @binding(6) var<storage, read_write> label_status: array<u32, 4>;

var<workgroup> loss_part: array<f32, WG>;
var<workgroup> hit_part: array<f32, WG>;
var<workgroup> bad_row: array<u32, WG>;

// max and log-sum-exp of row r.
fn row_lse(r: u32) -> vec2<f32> {
  let base = r * params.k;
  var m = logits[base];
  for (var c = 1u; c < params.k; c++) { m = max(m, logits[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < params.k; c++) { s += exp(logits[base + c] - m); }
  return vec2<f32>(m, m + log(s));
}

// The (smoothed) target at flat index i.
fn smoothed_target(i: u32) -> f32 {
  return params.t_scale * targets[i] + params.t_shift;
}

fn row_loss(r: u32) -> f32 {
  let base = r * params.k;
  let lse = row_lse(r).y;
  var acc = 0.0;
  for (var c = 0u; c < params.k; c++) { acc += smoothed_target(base + c) * (lse - logits[base + c]); }
  return acc;
}

// 1 if the largest logit of row r is at the largest raw target (first of ties), else 0.
fn row_hit(r: u32) -> f32 {
  let base = r * params.k;
  var zi = 0u;
  var ti = 0u;
  for (var c = 1u; c < params.k; c++) {
    if (logits[base + c] > logits[base + zi]) { zi = c; }
    if (targets[base + c] > targets[base + ti]) { ti = c; }
  }
  return select(0.0, 1.0, zi == ti);
}

// Halves loss_part and hit_part until slot 0 holds the workgroup's sums.
fn tree_sum(lid: u32) {
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      loss_part[lid] += loss_part[lid + stride];
      hit_part[lid] += hit_part[lid + stride];
    }
    workgroupBarrier();
  }
}

// One workgroup: out[0] = scale · Σ_rows loss.
@compute @workgroup_size(WG)
fn xent_reduce(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < params.rows; r += WG) { acc += row_loss(r); }
  loss_part[lid] = acc;
  hit_part[lid] = 0.0;
  tree_sum(lid);
  if (lid == 0u) { out[0] = loss_part[0] * params.scale; }
}

// One invocation per row: out[r] = loss of row r.
@compute @workgroup_size(WG)
fn xent_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r < params.rows) { out[r] = row_loss(r); }
}

// One invocation per row: out[r, :] = g · scale · (p Σt − t).
@compute @workgroup_size(WG)
fn xent_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) { return; }
  let base = r * params.k;
  let lse = row_lse(r).y;
  var tsum = 0.0;
  for (var c = 0u; c < params.k; c++) { tsum += smoothed_target(base + c); }
  let gs = params.scale * select(g[0], g[r], params.per_row == 1u);
  for (var c = 0u; c < params.k; c++) {
    out[base + c] = gs * (exp(logits[base + c] - lse) * tsum - smoothed_target(base + c));
  }
}

// One workgroup, for running metrics without a readback per step:
// out[0] += Σ loss, out[1] += number of rows whose argmax matches the targets', out[2] += rows.
@compute @workgroup_size(WG)
fn xent_metrics(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var h = 0.0;
  for (var r = lid; r < params.rows; r += WG) {
    l += row_loss(r);
    h += row_hit(r);
  }
  loss_part[lid] = l;
  hit_part[lid] = h;
  tree_sum(lid);
  if (lid == 0u) {
    out[0] += loss_part[0];
    out[1] += hit_part[0];
    out[2] += f32(params.rows);
  }
}

// One invocation per row: out[r, :] = softmax of row r.
@compute @workgroup_size(WG)
fn softmax_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) { return; }
  let base = r * params.k;
  let lse = row_lse(r).y;
  for (var c = 0u; c < params.k; c++) { out[base + c] = exp(logits[base + c] - lse); }
}

// One workgroup: the first row whose label is outside [0, k), recorded in label_status unless an
// earlier dispatch already recorded one.
@compute @workgroup_size(WG)
fn check_labels(@builtin(local_invocation_index) lid: u32) {
  var first = 0xffffffffu;
  for (var r = lid; r < params.rows; r += WG) {
    if (labels[r] >= params.k) { first = min(first, r); }
  }
  bad_row[lid] = first;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { bad_row[lid] = min(bad_row[lid], bad_row[lid + stride]); }
    workgroupBarrier();
  }
  let row = bad_row[0];
  if (lid == 0u && row != 0xffffffffu && label_status[0] == 0u) {
    label_status[0] = 1u;
    label_status[1] = row;
    label_status[2] = labels[row];
    label_status[3] = params.labels_signed;
  }
}

