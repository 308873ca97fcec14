// Sum of a flat f32 array, in passes.
//
// sum_strided (the first level of a large sum): a fixed grid of a few tens of workgroups, each
// invocation striding over the whole array (invocation t adds elements t, t + T, t + 2T, … for T
// invocations in all, so neighbouring invocations read neighbouring addresses) into one private
// sum, written out as its own partial: no workgroup memory and no barrier. sum_partial then
// reduces the partials in one workgroup. On the software adapters a barrier costs far more than
// on a GPU (every invocation of a workgroup is suspended and resumed), and a tree in every one of
// hundreds of workgroups, as a single-level sum of a model's gradients makes, dominated the
// global-norm clip; two levels need one tree in one workgroup.
//
// sum_strided4: the same over vec4s, for an array whose length is a multiple of 4 (a parameter
// arena's gradients): invocation t adds vec4s t, t + T, … into four independent sums (one load per
// four elements, and four dependency chains a quarter as long), then adds its four sums pairwise.
//
// sum_partial: each workgroup sums a contiguous block of WG * ITEMS elements into one partial sum: every
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
@group(0) @binding(3) var<storage, read> x4: array<vec4<f32>>;

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

// The first level of a two-level sum (see the top of the file): partials[t] = scale · the sum of
// x[t], x[t + T], … (of their squares if SQUARE), T = the number of invocations of the grid.
@compute @workgroup_size(WG)
fn sum_strided(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let threads = groups.x * WG;
  var acc = 0.0;
  for (var i = gid.x; i < params.n; i += threads) {
    let v = x[i];
    acc += select(v, v * v, SQUARE);
  }
  partials[gid.x] = acc * params.scale;
}

@compute @workgroup_size(WG)
fn sum_strided4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let threads = groups.x * WG;
  var acc = vec4<f32>(0.0);
  for (var i = gid.x; i < params.n / 4u; i += threads) {
    let v = x4[i];
    acc += select(v, v * v, SQUARE);
  }
  partials[gid.x] = ((acc.x + acc.y) + (acc.z + acc.w)) * params.scale;
}
