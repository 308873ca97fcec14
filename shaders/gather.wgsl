// Row gathers and one-hot encoding: how minibatches are assembled on the GPU.
//
// gather_rows copies whole rows of a table (the data set, uploaded once) picked by an index tensor,
// as 32-bit words, so the same kernel serves f32 pixels and u32 labels. scatter_add_rows is its
// backward: each table element sums the gradient rows whose index points at it (deterministic, no
// atomics; cost rows × count, fine for the small tables that need a gradient). one_hot writes `on`
// at each row's label and `off` elsewhere (label smoothing passes on = 1 − ε + ε/k, off = ε/k).

struct Params {
  n: u32,      // output elements
  width: u32,  // row length (gather, scatter) or classes k (one_hot)
  rows: u32,   // rows of the table (gather, scatter) or of the output (one_hot)
  count: u32,  // number of indices (scatter_add_rows)
  start: u32,  // index of the first index used in idx (a minibatch is a window of an epoch's order)
  on: f32,     // one_hot value at the label
  off: f32,    // one_hot value elsewhere
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_f32: array<f32>;

// out[r, c] = table[idx[r], c]; an index past the table gives zeros (the host validates indices).
@compute @workgroup_size(WG)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let r = idx[params.start + i / params.width];
  out[i] = select(0u, table[r * params.width + i % params.width], r < params.rows);
}

// out_f32[r, c] = Σ over b with idx[b] == r of grad[b, c].
@compute @workgroup_size(WG)
fn scatter_add_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let r = i / params.width;
  let c = i % params.width;
  var acc = 0.0;
  for (var b = 0u; b < params.count; b++) {
    if (idx[params.start + b] == r) { acc += grad[b * params.width + c]; }
  }
  out_f32[i] = acc;
}

// out_f32[r, c] = on if idx[r] == c else off (idx holds the labels).
@compute @workgroup_size(WG)
fn one_hot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  out_f32[i] = select(params.off, params.on, idx[params.start + i / params.width] == i % params.width);
}
