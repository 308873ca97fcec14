// 2-D max and average pooling over NHWC images (the layout of shaders/conv.wgsl), and their
// gradients.
//
//   max_pool:  y[b, oy, ox, c] = max over the window of x[b, oy·SH + ky − PH, ox·SW + kx − PW, c]
//              (positions in the padding take no part; the host keeps PH ≤ KH/2 so that every
//              window holds at least one pixel)
//   avg_pool:  y[b, oy, ox, c] = (Σ over the window) / (KH·KW), padding counted as zeros
//              (PyTorch's count_include_pad, its default)
//
// The max's backward needs to know which pixel won each window. Nothing is stored for it: the
// gradient kernel recomputes the argmax from x (the first maximum in the order ky, then kx, with a
// strict >, exactly as the forward scans), which costs KH·KW reads per window and saves a
// [batch, OH, OW, C] index tensor between the passes. Both gradients are gathers over input
// pixels (each sums the windows that contain it), so they need no atomics.

struct Params {
  n: u32,      // elements written: y (forward) or dx (gradients); windows (max_pool_grad_tiled)
  batch: u32,
  h: u32,      // input height, width, channels
  w: u32,
  c: u32,
  oh: u32,     // output height and width
  ow: u32,
  kh: u32,     // window height and width
  kw: u32,
  sh: u32,     // stride
  sw: u32,
  ph: u32,     // padding on each side
  pw: u32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// The flat index in x of the window position (ky, kx) of output pixel (oy, ox), or -1 in the padding.
fn source_of(b: u32, oy: u32, ox: u32, ky: u32, kx: u32, ch: u32) -> i32 {
  let iy = i32(oy * params.sh + ky) - i32(params.ph);
  let ix = i32(ox * params.sw + kx) - i32(params.pw);
  if (iy < 0 || ix < 0 || u32(iy) >= params.h || u32(ix) >= params.w) { return -1; }
  return i32(((b * params.h + u32(iy)) * params.w + u32(ix)) * params.c + ch);
}

// The flat index in x of the first maximum of a window (scan order ky, then kx).
fn argmax_of(b: u32, oy: u32, ox: u32, ch: u32) -> i32 {
  var best = -1;
  var best_v = 0.0;
  for (var ky = 0u; ky < params.kh; ky++) {
    for (var kx = 0u; kx < params.kw; kx++) {
      let s = source_of(b, oy, ox, ky, kx, ch);
      if (s < 0) { continue; }
      let v = x[u32(s)];
      if (best < 0 || v > best_v) {
        best = s;
        best_v = v;
      }
    }
  }
  return best;
}

// The (b, oy, ox, c) of output element i.
fn out_coords(i: u32) -> vec4<u32> {
  let ch = i % params.c;
  var t = i / params.c;
  let ox = t % params.ow;
  t = t / params.ow;
  return vec4<u32>(t / params.oh, t % params.oh, ox, ch);
}

// The (b, iy, ix, c) of input element i.
fn in_coords(i: u32) -> vec4<u32> {
  let ch = i % params.c;
  var t = i / params.c;
  let ix = t % params.w;
  t = t / params.w;
  return vec4<u32>(t / params.h, t % params.h, ix, ch);
}

// The output rows (or columns) whose windows contain input row i: [first, last] (empty when first > last).
fn window_range(i: u32, p: u32, k: u32, s: u32, o: u32) -> vec2<i32> {
  // oy·S − P ≤ i ≤ oy·S − P + K − 1  ⇔  (i + P − K + 1)/S ≤ oy ≤ (i + P)/S
  let hi = i32((i + p) / s);
  let lo_num = i32(i + p) - i32(k) + 1;
  var lo = 0;
  if (lo_num > 0) { lo = (lo_num + i32(s) - 1) / i32(s); }
  return vec2<i32>(lo, min(hi, i32(o) - 1));
}

@compute @workgroup_size(WG)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let o = out_coords(i);
  y[i] = x[u32(argmax_of(o.x, o.y, o.z, o.w))];
}

// dx[b, iy, ix, c] = Σ over the windows whose (recomputed) argmax is this pixel of dy.
@compute @workgroup_size(WG)
fn max_pool_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let p = in_coords(i);
  let ry = window_range(p.y, params.ph, params.kh, params.sh, params.oh);
  let rx = window_range(p.z, params.pw, params.kw, params.sw, params.ow);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    for (var ox = rx.x; ox <= rx.y; ox++) {
      if (argmax_of(p.x, u32(oy), u32(ox), p.w) == i32(i)) {
        acc += dy[((p.x * params.oh + u32(oy)) * params.ow + u32(ox)) * params.c + p.w];
      }
    }
  }
  dx[i] = acc;
}

// max_pool_grad when the windows tile the input exactly (stride = window, no padding, sizes
// divisible: every pixel in exactly one window, the usual 2×2 pooling): one invocation per window
// writes its whole window, dy at the argmax and 0 elsewhere. The same values as max_pool_grad with
// one argmax per window instead of one per pixel.
@compute @workgroup_size(WG)
fn max_pool_grad_tiled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let o = out_coords(i);
  let best = argmax_of(o.x, o.y, o.z, o.w);
  let g = dy[i];
  for (var ky = 0u; ky < params.kh; ky++) {
    for (var kx = 0u; kx < params.kw; kx++) {
      let s = source_of(o.x, o.y, o.z, ky, kx, o.w);
      dx[u32(s)] = select(0.0, g, s == best);
    }
  }
}

@compute @workgroup_size(WG)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let o = out_coords(i);
  var acc = 0.0;
  for (var ky = 0u; ky < params.kh; ky++) {
    for (var kx = 0u; kx < params.kw; kx++) {
      let s = source_of(o.x, o.y, o.z, ky, kx, o.w);
      if (s >= 0) { acc += x[u32(s)]; }
    }
  }
  y[i] = acc / f32(params.kh * params.kw);
}

// dx[b, iy, ix, c] = Σ over the windows that contain this pixel of dy / (KH·KW).
@compute @workgroup_size(WG)
fn avg_pool_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let p = in_coords(i);
  let ry = window_range(p.y, params.ph, params.kh, params.sh, params.oh);
  let rx = window_range(p.z, params.pw, params.kw, params.sw, params.ow);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    for (var ox = rx.x; ox <= rx.y; ox++) {
      acc += dy[((p.x * params.oh + u32(oy)) * params.ow + u32(ox)) * params.c + p.w];
    }
  }
  dx[i] = acc / f32(params.kh * params.kw);
}
