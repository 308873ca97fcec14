// Column norms of a weight matrix and the max-norm constraint (chapter 7.2: norm penalties as
// constrained optimization; Srebro & Shraibman 2005, Hinton et al. 2012).
//
// A weight matrix W is stored row-major as [rows, cols] = [in, out], so column j holds the incoming
// weights of unit j and its L2 norm is n_j = sqrt(Σ_i W[i, j]²). One invocation per column walks
// down its column: neighbouring invocations read neighbouring addresses of the same row, so every
// load of a workgroup is one contiguous run. Squares are summed directly in f32 (no rescaling), so
// entries beyond ~1e19 in magnitude overflow; weights never come near that.
//
// Entry points:
//   column_norms       out[j] = n_j                                  one invocation per column
//   column_norms_grad  out[i, j] = g[j] · W[i, j] / n_j (0 if n_j = 0)   one invocation per element
//   max_norm_project   W[:, j] ← W[:, j] · c / n_j where n_j > c, in place   one per column

struct Params {
  rows: u32,  // rows of W (inputs)
  cols: u32,  // columns of W (units)
  c: f32,     // max_norm_project: the largest allowed column norm
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;              // W [rows, cols]
@group(0) @binding(2) var<storage, read> g: array<f32>;              // column_norms_grad: ∂L/∂n [cols]
@group(0) @binding(3) var<storage, read> norms: array<f32>;          // column_norms_grad: n [cols]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;  // max_norm_project: W, in place

@compute @workgroup_size(WG)
fn column_norms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = flat_index(gid, groups);
  if (j >= params.cols) { return; }
  var s = 0.0;
  for (var i = 0u; i < params.rows; i++) {
    let v = w[i * params.cols + j];
    s += v * v;
  }
  out[j] = sqrt(s);
}

// ∂n_j/∂W[i, j] = W[i, j] / n_j; a zero column has no direction, and gets the subgradient 0.
@compute @workgroup_size(WG)
fn column_norms_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.rows * params.cols) { return; }
  let j = i % params.cols;
  let n = norms[j];
  out[i] = select(0.0, g[j] * w[i] / n, n > 0.0);
}

// Columns with n_j ≤ c are not written at all, so they keep their bits.
@compute @workgroup_size(WG)
fn max_norm_project(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = flat_index(gid, groups);
  if (j >= params.cols) { return; }
  var s = 0.0;
  for (var i = 0u; i < params.rows; i++) {
    let v = weights[i * params.cols + j];
    s += v * v;
  }
  let n = sqrt(s);
  if (n <= params.c) { return; }
  let f = params.c / n;
  for (var i = 0u; i < params.rows; i++) {
    weights[i * params.cols + j] *= f;
  }
}
