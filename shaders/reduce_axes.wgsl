// Sum (or mean) over any set of axes.
//
// The host splits the input's dimensions into kept and reduced ones and coalesces each group to at
// most four dimensions with their element strides (engine/ops/reduce.ts). One invocation computes
// one output element: it walks the reduced index space from the element's base offset. This suits
// the reductions of a training step (a bias gradient sums a [batch, n] gradient over its rows: n
// invocations, each reading one column with neighbours reading neighbouring addresses); a
// reduction to a single value goes through the tree kernel of reduce_sum.wgsl instead.

struct Params {
  n_out: u32,               // number of output elements
  n_red: u32,               // number of elements summed into each
  scale: f32,               // 1 for a sum, 1/n_red for a mean
  out_shape: vec4<u32>,     // kept dimensions (leading ones padded with 1)
  out_strides: vec4<u32>,   // input strides along the kept dimensions
  red_shape: vec4<u32>,     // reduced dimensions
  red_strides: vec4<u32>,   // input strides along the reduced dimensions
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn sum_axes(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flat_index(gid, groups);
  if (o >= params.n_out) { return; }
  let base = dot(unravel4(o, params.out_shape), params.out_strides);
  var acc = 0.0;
  for (var r = 0u; r < params.n_red; r++) {
    acc += x[base + dot(unravel4(r, params.red_shape), params.red_strides)];
  }
  out[o] = acc * params.scale;
}
