// Sum of a flat f32 array, in passes.
//
// Each workgroup sums a contiguous block of WG * ITEMS elements into one partial sum: every
// invocation first adds ITEMS elements strided by WG (neighbouring invocations read neighbouring
// addresses), then the workgroup halves its WG values in shared memory until one is left. The host
// runs the kernel again on the partials until a single value remains (engine/ops/reduce.ts).

struct Params {
  n: u32,      // number of input elements
  scale: f32,  // factor applied to each partial sum (1 except in the last pass of a mean)
}

override WG: u32 = 256;    // workgroup size; a power of two
override ITEMS: u32 = 8;   // elements each invocation adds before the tree
override SQUARE: bool = false;  // add x² instead of x (the first pass of a sum of squares: a norm, in one read)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> scratch: array<f32, WG>;

@compute @workgroup_size(WG)
fn sum_partial(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let group = wid.x + wid.y * groups.x;
  let start = group * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = start + k * WG;
    if (i < params.n) {
      let v = x[i];
      acc += select(v, v * v, SQUARE);
    }
  }
  scratch[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[group] = scratch[0] * params.scale; }
}
