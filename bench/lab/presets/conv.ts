/**
 * The convolution's own kernel as a lab spec: `im2col` of shaders/conv.wgsl, which lays the
 * receptive fields of an NHWC image batch out as the rows of a matrix (zeros in the padding), so
 * that the convolution is one product of the engine's matmul (whose layouts are presets of their
 * own). A data-movement kernel: no FLOPs, so its place is on the bandwidth side of the roofline.
 */
import { grid1d } from '../../../engine/index';
import type { KernelSpec, LabArray, LabParams } from '../spec';

/** Output height and width of the convolution the params describe. */
function outSize(p: LabParams): { oh: number; ow: number } {
  return {
    oh: Math.floor((p.h + 2 * p.pad - p.dil * (p.kh - 1) - 1) / p.stride) + 1,
    ow: Math.floor((p.w + 2 * p.pad - p.dil * (p.kw - 1) - 1) / p.stride) + 1,
  };
}

/** Rows of cols (output pixels) and its columns (kh·kw·c). */
const shape = (p: LabParams): [number, number] => {
  const { oh, ow } = outSize(p);
  return [p.batch * oh * ow, p.kh * p.kw * p.c];
};

/** cols[(b·OH + oy)·OW + ox, (ky·KW + kx)·C + c] = x[b, oy·S + ky·D − P, ox·S + kx·D − P, c], 0 outside. */
function reference(inputs: Readonly<Record<string, LabArray>>, p: LabParams): Record<string, Float32Array> {
  const { oh, ow } = outSize(p);
  const [rows, cols] = shape(p);
  const out = new Float32Array(rows * cols);
  const x = inputs.x;
  for (let b = 0; b < p.batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < p.kh; ky++)
          for (let kx = 0; kx < p.kw; kx++) {
            const iy = oy * p.stride + ky * p.dil - p.pad;
            const ix = ox * p.stride + kx * p.dil - p.pad;
            if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
            for (let c = 0; c < p.c; c++) out[((b * oh + oy) * ow + ox) * cols + (ky * p.kw + kx) * p.c + c] = x[((b * p.h + iy) * p.w + ix) * p.c + c];
          }
  return { cols: out };
}

/** im2col for a kh × kw convolution with equal strides, padding and dilation in both directions. */
export const IM2COL: KernelSpec = {
  name: 'conv2d im2col (engine)',
  about:
    "The convolution's own kernel: one invocation per (output pixel, kernel row) copies its kw·c values of x into the rows of the matrix the engine's matmul multiplies by the filters.",
  op: 'custom',
  wgsl: { shader: 'conv' },
  entry: 'im2col',
  params: { batch: 8, h: 28, w: 28, c: 4, kh: 3, kw: 3, stride: 1, pad: 1, dil: 1 },
  overrides: () => ({ WG: 256 }),
  uniforms: (p) => {
    const { oh, ow } = outSize(p);
    const s = p.stride;
    const d = p.dil;
    return {
      n: p.batch * oh * ow * p.kh,
      batch: p.batch,
      h: p.h,
      w: p.w,
      c: p.c,
      oh,
      ow,
      kh: p.kh,
      kw: p.kw,
      sh: s,
      sw: s,
      ph: p.pad,
      pw: p.pad,
      dh: d,
      dw: d,
    };
  },
  inputs: (p, r) => ({ x: r.floats(p.batch * p.h * p.w * p.c) }),
  outputs: (p) => {
    const [rows, cols] = shape(p);
    return { cols: rows * cols };
  },
  grid: (p) => {
    const { oh, ow } = outSize(p);
    return grid1d(p.batch * oh * ow * p.kh, 256);
  },
  reference,
  // A copy: every value is x's or a zero, bit for bit.
  tolerance: () => ({ abs: 0 }),
  // x read once at least, cols written once: the least traffic any im2col can have.
  work: (p) => {
    const [rows, cols] = shape(p);
    return { flops: 0, bytes: 4 * (p.batch * p.h * p.w * p.c + rows * cols) };
  },
};
