// Dataset augmentation of single-channel images on the GPU (chapter 7.2 of Goodfellow et al.):
// each example of a batch x[batch, height·width] (row-major) is translated, rotated, scaled and
// optionally mirrored about the image centre, then Gaussian noise may be added. No transformed
// copy of the data set is ever stored: every batch is transformed afresh, and each example's
// transform is a pure function of the key and its index.
//
// ---- Each example's transform ---------------------------------------------------------------
//
// With `random` = 1 example b draws its transform from one Philox call (shaders/philox.wgsl),
//
//   key     = (seed_lo, seed_hi | 2³¹)      the top bit marks "augmentation parameters": seeds are
//                                           below 2⁵³, so no other feature's key has it, and the
//                                           per-pixel noise (keyed without it) is independent
//   counter = (b, stream, offset_lo, offset_hi)
//   dx = ⌊w0·(2m + 1) / 2³²⌋ − m,  dy = the same from w1      m = max_shift: integers in [−m, m]
//   angle = π·turn,  turn = max_turn·(2u(w2) − 1)             uniform in [−max_rotation, max_rotation)
//   scale = scale_lo + (scale_hi − scale_lo)·u(w3)            uniform in [scale_lo, scale_hi)
//   flip  = flips and (w3 & 1)                                a fair coin, from a bit u(w3) ignores
//
// where u(w) is philox_uniform24 (shaders/normal.wgsl) and max_turn = max_rotation/π. Angles are
// kept in half turns because sincos_pi (shaders/normal.wgsl) reduces them exactly and is accurate
// to a few ulps on every adapter (SwiftShader's builtin cos and sin are off by up to 2·10⁻⁴).
// engine/ops/augment.ts' `augmentParamsCpu` computes the same numbers on the CPU. With `random` = 0
// the fixed_* uniforms are the transform of every example (translateImages, warpImages).
//
// ---- The warp: inverse mapping with bilinear sampling ---------------------------------------
//
// The forward transform about the centre c = ((width − 1)/2, (height − 1)/2) is
// p_out = R(angle)·scale·F·(p_in − c) + c + (dx, dy), F the optional mirror x ↦ −x; in image
// coordinates (x right, y down) a positive angle turns the image clockwise as displayed. Each
// output pixel p inverts it,
//
//   p_in = F·R(−angle)·(p − c − (dx, dy)) / scale + c,
//
// and samples the input there bilinearly, with zero outside the image. For an integer shift with
// angle 0 (sincos_pi(0) is exactly (1, 0)) and scale 1 (no division is evaluated then) p_in is
// exactly p − (dx, dy) in f32, and a sample that lands on a pixel centre returns that pixel
// itself, so translations and mirrors move pixels bit for bit, and a transform that does nothing
// copies the batch exactly.
//
// ---- Noise ------------------------------------------------------------------------------------
//
// With noise_std > 0 every output element i (flat index in the batch) gets noise_std·z_i added,
// z_i the standard normal draw of shaders/normal.wgsl under the key (seed, stream, offset) without
// the parameter bit: the same draws as addGaussianNoise (shaders/noise.wgsl) with that key.
//
// ---- Layout of the work -----------------------------------------------------------------------
//
// One invocation per output row of one example, with no workgroup memory and no barrier: each
// invocation draws its example's transform itself (one Philox call per row), then walks the row in
// runs of four aligned to the flat index, the four elements of one noise draw. A run that straddles
// two rows is drawn by both, and each keeps its own elements. Every loop over the four is written
// out, so the draws are read with constant indices, and the warp has no branch (see warp_pixel):
// on the CPU-based adapters, which run invocations as SIMD lanes, divergent branches per tap cost
// more than the taps themselves.

struct Params {
  batch: u32,
  height: u32,
  width: u32,
  random: u32,         // 1: draw each example's transform; 0: use the fixed_* members
  max_shift: u32,      // m
  max_turn: f32,       // max_rotation / π, in [0, 1]
  scale_lo: f32,
  scale_hi: f32,
  flips: u32,          // 1: mirror horizontally with probability ½
  noise_std: f32,
  fixed_dx: f32,
  fixed_dy: f32,
  fixed_turn: f32,     // the angle / π, in [−1, 1]
  fixed_scale: f32,
  fixed_flip: u32,
  seed_lo: u32,        // key
  seed_hi: u32,
  stream: u32,         // counter words 1 … 3
  offset_lo: u32,
  offset_hi: u32,
}

// One example's transform, ready for the inverse mapping.
struct Transform {
  shift: vec2<f32>,  // (dx, dy)
  cs: vec2<f32>,     // (cos angle, sin angle)
  inv_scale: f32,
  flip: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn make_transform(dx: f32, dy: f32, turn: f32, scale: f32, flip: u32) -> Transform {
  // Scale 1 skips the division, which WGSL does not require to be exact: pure shifts and mirrors
  // stay exact.
  let inv_scale = select(1.0 / scale, 1.0, scale == 1.0);
  return Transform(vec2<f32>(dx, dy), sincos_pi(turn), inv_scale, flip);
}

fn draw_transform(b: u32) -> Transform {
  if (params.random == 0u) {
    return make_transform(params.fixed_dx, params.fixed_dy, params.fixed_turn, params.fixed_scale, params.fixed_flip);
  }
  let counter = vec4<u32>(b, params.stream, params.offset_lo, params.offset_hi);
  let w = philox4x32_10(counter, vec2<u32>(params.seed_lo, params.seed_hi | 0x80000000u));
  let span = 2u * params.max_shift + 1u;
  let m = i32(params.max_shift);
  let dx = f32(i32(philox_mulhi(w.x, span)) - m);
  let dy = f32(i32(philox_mulhi(w.y, span)) - m);
  let turn = params.max_turn * (2.0 * philox_uniform24(w.z) - 1.0);
  let scale = params.scale_lo + (params.scale_hi - params.scale_lo) * philox_uniform24(w.w);
  return make_transform(dx, dy, turn, scale, params.flips & w.w & 1u);
}

// The output pixel (col, row) of the example starting at `base`. Branch-free: the four taps are
// read at indices clamped into the image and zeroed outside it by `select` (evaluated on both
// sides, `&` rather than `&&`), so the invocations of a SIMD batch never part ways here; a sample on
// a pixel centre (f = 0) still returns that pixel itself.
fn warp_pixel(t: Transform, base: u32, col: u32, row: u32) -> f32 {
  let c = vec2<f32>(f32(params.width - 1u), f32(params.height - 1u)) * 0.5;
  let o = vec2<f32>(f32(col), f32(row)) - c - t.shift;
  var r = vec2<f32>(t.cs.x * o.x + t.cs.y * o.y, t.cs.x * o.y - t.cs.y * o.x) * t.inv_scale;
  r.x = select(r.x, -r.x, t.flip != 0u);
  let s = r + c;
  // Clamped before the conversion to i32 so far-off samples stay far off (both taps outside).
  let s0 = clamp(floor(s), vec2<f32>(-2.0), vec2<f32>(f32(params.width), f32(params.height)));
  let f = s - s0;
  let i0 = vec2<i32>(s0);
  let size = vec2<i32>(i32(params.width), i32(params.height));
  let in0 = (i0 >= vec2<i32>(0)) & (i0 < size);          // column x0, row y0 inside
  let in1 = (i0 >= vec2<i32>(-1)) & (i0 + 1 < size);     // column x0 + 1, row y0 + 1 inside
  let k0 = vec2<u32>(clamp(i0, vec2<i32>(0), size - 1));
  let k1 = vec2<u32>(clamp(i0 + 1, vec2<i32>(0), size - 1));
  let row0 = base + k0.y * params.width;
  let row1 = base + k1.y * params.width;
  let p00 = select(0.0, x[row0 + k0.x], in0.x & in0.y);
  let p01 = select(0.0, x[row0 + k1.x], in1.x & in0.y);
  let p10 = select(0.0, x[row1 + k0.x], in0.x & in1.y);
  let p11 = select(0.0, x[row1 + k1.x], in1.x & in1.y);
  let top = (1.0 - f.x) * p00 + f.x * p01;
  let bottom = (1.0 - f.x) * p10 + f.x * p11;
  return select((1.0 - f.y) * top + f.y * bottom, p00, (f.x == 0.0) & (f.y == 0.0));
}

// Element i of the row [start, end) of the example starting at `first`, noise draw z.
fn put(t: Transform, first: u32, start: u32, end: u32, row: u32, i: u32, z: f32) {
  if (i < start || i >= end) { return; }
  let v = warp_pixel(t, first, i - start, row);
  y[i] = select(v, v + params.noise_std * z, params.noise_std != 0.0);
}

@compute @workgroup_size(WG)
fn augment(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = flat_index(gid, groups);  // shaders/grid.wgsl: the grid spills into y past 65,535 workgroups
  if (g >= params.batch * params.height) { return; }
  let b = g / params.height;
  let row = g - b * params.height;
  let t = draw_transform(b);
  let first = b * params.height * params.width;
  let start = first + row * params.width;
  let end = start + params.width;
  let key = vec2<u32>(params.seed_lo, params.seed_hi);
  for (var q = start / 4u; 4u * q < end; q++) {
    var z = vec4<f32>(0.0);
    if (params.noise_std != 0.0) { z = philox_normal4(vec4<u32>(q, params.stream, params.offset_lo, params.offset_hi), key); }
    let i = 4u * q;
    put(t, first, start, end, row, i, z.x);
    put(t, first, start, end, row, i + 1u, z.y);
    put(t, first, start, end, row, i + 2u, z.z);
    put(t, first, start, end, row, i + 3u, z.w);
  }
}
