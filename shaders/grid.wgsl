// Index helpers shared by the flat (1-D) kernels. A library file: no entry points; a kernel lists
// it in `uses` (shaders/index.ts) and the runtime prepends it.
//
// Long arrays need more than 65,535 workgroups, so the host spreads them over a 2-D grid
// (engine/runtime/grid.ts); `flat_index` recovers an invocation's flat index from (x, y). It reads
// the kernel's workgroup size `WG`, which every kernel using it declares as an override constant.

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// The 4-D index of flat element i in shape s (row-major: the last dimension varies fastest).
fn unravel4(i: u32, s: vec4<u32>) -> vec4<u32> {
  var r = i;
  let i3 = r % s.w;
  r = r / s.w;
  let i2 = r % s.z;
  r = r / s.z;
  let i1 = r % s.y;
  return vec4<u32>(r / s.y, i1, i2, i3);
}
