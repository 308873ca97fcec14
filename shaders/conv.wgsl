// 2-D convolution as a matrix product (im2col), and the way back (col2im).
//
// Layout: NHWC. An image batch is x[b, y, x, c] with the channel fastest, the filters are
// w[ky, kx, c, o] (TensorFlow's HWIO), and the convolution is one product of the engine's matmul:
//
//   cols[(b·OH + oy)·OW + ox, (ky·KW + kx)·C + c] = x[b, oy·SH + ky·DH − PH, ox·SW + kx·DW − PW, c]
//                                                   (0 where that pixel lies in the padding)
//   y = cols · w   with w viewed as [KH·KW·C, O]:   y[(b·OH + oy)·OW + ox, o] is y[b, oy, ox, o]
//
// Why NHWC and not NCHW: the product's rows are output pixels and its columns are output channels,
// so its result already IS the NHWC output, with no transpose, and a per-channel bias is the
// matmul's per-column bias. The whole fused epilogue of the matmul (bias, ReLU, the dropout mask,
// shaders/matmul.wgsl) therefore applies to a convolution unchanged, and the mask of output
// element i is the standalone dropout kernel's mask of flat element i. A single-channel image
// batch [batch, H·W] (MNIST rows) is already NHWC with C = 1, so data needs no reshuffling; and
// a channel-fastest layout makes the im2col reads of one kernel position (its C channels)
// contiguous.
//
// The backward products are matmuls too: dcols = dy·wᵀ and dw = colsᵀ·dy. col2im turns dcols
// back into an image gradient: each input pixel sums the entries of dcols that were copies of it.
// It is a gather (one invocation per input element, a scalar accumulator, no atomics), so its
// result does not depend on scheduling.

struct Params {
  n: u32,         // invocations: output pixels × kh (im2col), or elements of dx (col2im)
  batch: u32,
  h: u32,         // input height, width, channels
  w: u32,
  c: u32,
  oh: u32,        // output height and width
  ow: u32,
  kh: u32,        // kernel height and width
  kw: u32,
  sh: u32,        // stride
  sw: u32,
  ph: u32,        // zero padding on each side
  pw: u32,
  dh: u32,        // dilation
  dw: u32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
@group(0) @binding(3) var<storage, read> dcols: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// One kernel row (ky) of one output pixel per invocation: its kw·c entries of cols, contiguous in
// cols and, for each kx, c contiguous values of x. The pixel's coordinates are worked out once per
// kw·c values: integer division is slow on the CPU-based adapters (scalarized), and an invocation
// per element spent most of its time on it.
@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let ky = i % params.kh;
  let row = i / params.kh;
  let ox = row % params.ow;
  let t = row / params.ow;
  let oy = t % params.oh;
  let b = t / params.oh;
  let run = params.kw * params.c;
  let out = row * params.kh * run + ky * run;
  // Signed: a position in the top or left padding is negative.
  let iy = i32(oy * params.sh + ky * params.dh) - i32(params.ph);
  let row_in = iy >= 0 && u32(iy) < params.h;
  let base_y = (b * params.h + u32(max(iy, 0))) * params.w;
  for (var kx = 0u; kx < params.kw; kx++) {
    let ix = i32(ox * params.sw + kx * params.dw) - i32(params.pw);
    let inside = row_in && ix >= 0 && u32(ix) < params.w;
    let src = (base_y + u32(max(ix, 0))) * params.c;
    let dst = out + kx * params.c;
    for (var ch = 0u; ch < params.c; ch++) {
      var v = 0.0;
      if (inside) { v = x[src + ch]; }
      cols[dst + ch] = v;
    }
  }
}

// dx[b, iy, ix, c] = Σ over (ky, kx) with an output pixel (oy, ox) that read (iy, ix) at that
// kernel position: oy·SH = iy + PH − ky·DH (and the same for x), a whole oy in [0, OH).
@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let ch = i % params.c;
  var t = i / params.c;
  let ix = t % params.w;
  t = t / params.w;
  let iy = t % params.h;
  let b = t / params.h;
  let k = params.kh * params.kw * params.c;
  var acc = 0.0;
  for (var ky = 0u; ky < params.kh; ky++) {
    let sy = i32(iy + params.ph) - i32(ky * params.dh);
    if (sy < 0 || u32(sy) % params.sh != 0u) { continue; }
    let oy = u32(sy) / params.sh;
    if (oy >= params.oh) { continue; }
    for (var kx = 0u; kx < params.kw; kx++) {
      let sx = i32(ix + params.pw) - i32(kx * params.dw);
      if (sx < 0 || u32(sx) % params.sw != 0u) { continue; }
      let ox = u32(sx) / params.sw;
      if (ox >= params.ow) { continue; }
      acc += dcols[((b * params.oh + oy) * params.ow + ox) * k + (ky * params.kw + kx) * params.c + ch];
    }
  }
  dx[i] = acc;
}
