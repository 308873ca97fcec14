// Library: the vec4 layout of a parameter arena (engine/optim/arena.ts), shared by the kernels that
// sweep a whole arena with VPI vec4s per invocation (shaders/update_chain.wgsl).
//
// Elements are read as vec4s; each parameter starts on a chunk of 64 elements (16 vec4s), and the
// chunk table gives, per chunk, `end`: the first element past the parameter that owns it. Lanes at
// or past `end` are padding and are written back unchanged. A kernel that uses `first_vec4`
// declares the overrides WG (workgroup size) and VPI (vec4s per invocation).

const VEC4_PER_CHUNK_SHIFT = 4u;  // 64 elements per chunk = 16 vec4s

// The first vec4 of this invocation's run of VPI.
fn first_vec4(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (gid.x + gid.y * groups.x * WG) * VPI;
}

// Which of the 4 lanes of vec4 i lie inside the parameter ending at element `end` (the others are padding).
fn live_lanes(i: u32, end: u32) -> vec4<bool> {
  return vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(end);
}
