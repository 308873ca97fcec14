/**
 * 2-D convolution over NHWC images (shaders/conv.wgsl says why NHWC) as im2col + one matmul, and
 * its autodiff op `conv2d`. The product runs on the engine's matmul (shaders/matmul.wgsl) with its
 * whole fused epilogue: bias per output channel, ReLU, and the dropout mask, drawn with the
 * standalone dropout kernel's key scheme over the flat NHWC output (element i of the output has the
 * mask `dropoutMaskCpu` gives element i). The backward pass regenerates that mask from the key; no
 * mask byte is stored.
 *
 *   forward:  cols = im2col(x)  [B·OH·OW, KH·KW·C];  y = epilogue(cols · w + b)  [B·OH·OW, O] = [B, OH, OW, O]
 *   backward: gz = dy ⊙ m/p ⊙ [y > 0];  dw = colsᵀ·gz;  db = Σ_rows gz;  dx = col2im(gz·wᵀ)
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { dropoutBackward, dropoutForward, type DropoutOptions } from './dropout';
import { matmul, matmulHasMaskEpilogue } from './matmul';
import { sumAxes } from './reduce';
import { activationGrad } from './unary';

const WG = 256;

/** A size per spatial axis: one number for both, or [height, width]. */
export type Pair = number | readonly [number, number];

/** The geometry options of a convolution. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side (default 0). */
  padding?: Pair;
  /** Spacing of the kernel's taps (default 1). */
  dilation?: Pair;
}

/** Every size of one convolution, checked: input [batch, h, w, c], filters [kh, kw, c, o], output [batch, oh, ow, o]. */
export interface ConvGeometry {
  batch: number;
  h: number;
  w: number;
  c: number;
  o: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** [height, width] of a {@link Pair}, each an integer ≥ `min`; throws naming `where` and `what`. */
export function pairOf(where: string, what: string, p: Pair | undefined, dflt: number, min: number): [number, number] {
  const [a, b] = p === undefined ? [dflt, dflt] : typeof p === 'number' ? [p, p] : p;
  for (const v of [a, b]) {
    if (!Number.isInteger(v) || v < min)
      throw new ArgumentError(`${where}: ${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${String(p)}`);
  }
  return [a, b];
}

/** Output length of one axis: ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1, or ≤ 0 when the kernel does not fit. */
export function convOutputSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * The geometry of x [batch, h, w, c] convolved with w [kh, kw, c, o], checked: `where` (the op or
 * layer) and every shape are named in the error for a rank mismatch, a channel mismatch, negative
 * padding, or a (dilated) kernel larger than the padded input.
 */
export function conv2dGeometry(where: string, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): ConvGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${where}: the input must be [batch, height, width, channels] (NHWC), got ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${where}: the filters must be [kh, kw, in channels, out channels], got ${fmtShape(wShape)}`);
  const [batch, h, w, c] = xShape;
  const [kh, kw, wc, o] = wShape;
  if (wc !== c)
    throw new ShapeError(`${where}: channel mismatch: the input ${fmtShape(xShape)} has ${c} channels but the filters ${fmtShape(wShape)} expect ${wc}`);
  const [sh, sw] = pairOf(where, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pairOf(where, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pairOf(where, 'dilation', opts.dilation, 1, 1);
  const oh = convOutputSize(h, kh, sh, ph, dh);
  const ow = convOutputSize(w, kw, sw, pw, dw);
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `${where}: the kernel ${kh}×${kw} (dilation ${dh}×${dw}, extent ${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1}) is larger than the padded input ${h + 2 * ph}×${w + 2 * pw} (input ${fmtShape(xShape)}, padding ${ph}×${pw})`,
    );
  }
  return { batch, h, w, c, o, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** The uniforms of shaders/conv.wgsl for `n` invocations. */
function convUniforms(g: ConvGeometry, n: number): Record<string, number> {
  const { batch, h, w, c, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw } = g;
  return { n, batch, h, w, c, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** The im2col matrix of x [batch, h, w, c]: [batch·oh·ow, kh·kw·c], zeros in the padding (one dispatch). */
export function im2col(x: Tensor, g: ConvGeometry): Tensor<'f32'> {
  assertF32('im2col', x);
  const cols = x.runtime.empty([g.batch * g.oh * g.ow, g.kh * g.kw * g.c]);
  if (cols.size === 0) return cols;
  x.runtime.dispatch({
    shader: 'conv',
    entry: 'im2col',
    overrides: { WG },
    // One invocation per (output pixel, kernel row): see the kernel.
    uniforms: convUniforms(g, g.batch * g.oh * g.ow * g.kh),
    bindings: { x, cols },
    workgroups: grid1d(g.batch * g.oh * g.ow * g.kh, WG),
  });
  return cols;
}

/** The adjoint of {@link im2col}: each pixel of [batch, h, w, c] sums the entries of `dcols` copied from it (one dispatch). */
export function col2im(dcols: Tensor, g: ConvGeometry): Tensor<'f32'> {
  assertF32('col2im', dcols);
  const rows = g.batch * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  if (dcols.rank !== 2 || dcols.shape[0] !== rows || dcols.shape[1] !== k)
    throw new ShapeError(`col2im: expects [${rows}, ${k}], got ${fmtShape(dcols.shape)}`);
  const dx = dcols.runtime.empty([g.batch, g.h, g.w, g.c]);
  if (dx.size === 0) return dx;
  dcols.runtime.dispatch({
    shader: 'conv',
    entry: 'col2im',
    overrides: { WG },
    uniforms: convUniforms(g, dx.size),
    bindings: { dcols, dx },
    workgroups: grid1d(dx.size, WG),
  });
  return dx;
}

/** Attributes of the `conv2d` op: geometry, then the fused epilogue. */
export interface Conv2dAttrs extends Conv2dOptions {
  /** max(·, 0) after the bias (fused). */
  relu?: boolean;
  /** Then dropout with this key (fused where the adapter's matmul has the mask epilogue). */
  dropout?: DropoutOptions;
  /** Names the layer in errors (default `conv2d`). */
  where?: string;
}

/** The result of {@link conv2d}. */
export interface Conv2dResult {
  /** [batch, oh, ow, o]. */
  y: Tensor<'f32'>;
  /** The im2col matrix, for the weight gradient (the caller owns it). */
  cols: Tensor<'f32'>;
}

/** Checks a bias of o elements. */
function checkBias(where: string, b: Tensor | undefined, o: number): void {
  if (b && (b.rank !== 1 || b.shape[0] !== o)) throw new ShapeError(`${where}: the bias must be [${o}] (one per output channel), got ${fmtShape(b.shape)}`);
}

/**
 * y = dropout(relu(conv(x, w) + b)) over NHWC x [batch, h, w, c] and HWIO w [kh, kw, c, o], every
 * part after the convolution optional: one im2col dispatch and one matmul dispatch (plus a dropout
 * dispatch on adapters whose matmul has no mask epilogue: the same mask, bit for bit).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | undefined, attrs: Conv2dAttrs = {}): Conv2dResult {
  const where = attrs.where ?? 'conv2d';
  assertF32(where, x, w);
  const g = conv2dGeometry(where, x.shape, w.shape, attrs);
  checkBias(where, b, g.o);
  const rt = x.runtime;
  const cols = im2col(x, g);
  const w2 = rt.view(w, [g.kh * g.kw * g.c, g.o]);
  const fused = !!attrs.dropout && matmulHasMaskEpilogue(rt);
  const z = matmul(cols, w2, { bias: b, relu: attrs.relu, dropout: fused ? attrs.dropout : undefined });
  w2.dispose();
  let y2 = z;
  if (attrs.dropout && !fused) {
    y2 = dropoutForward(z, attrs.dropout).y;
    z.dispose();
  }
  const y = rt.view(y2, [g.batch, g.oh, g.ow, g.o]);
  y2.dispose();
  return { y, cols };
}

/**
 * Autodiff op `conv2d(x, w, b?)` with the fused epilogue of {@link Conv2dAttrs}. The im2col matrix
 * is saved for the weight gradient; the dropout mask is regenerated from its key.
 */
export const conv2dOp: OpDef<Conv2dAttrs> = {
  forward: ([x, w, b], attrs, needsGrad) => {
    const { y, cols } = conv2d(x, w, b, attrs);
    if (!needsGrad) {
      cols.dispose();
      return { out: y };
    }
    return { out: y, saved: [cols] };
  },
  backward: ({ grad, inputs: [x, w, b], out, saved: [cols], attrs, needs }) => {
    const rt = grad.runtime;
    const g = conv2dGeometry(attrs.where ?? 'conv2d', x.shape, w.shape, attrs);
    const rows = g.batch * g.oh * g.ow;
    const k = g.kh * g.kw * g.c;
    const g2 = rt.view(grad, [rows, g.o]);
    const y2 = rt.view(out, [rows, g.o]);
    const gd = attrs.dropout ? dropoutBackward(g2, attrs.dropout) : g2;
    // After dropout y > 0 iff the unit was kept and its pre-activation was > 0: one gate for both.
    const gz = attrs.relu ? activationGrad('relu_grad', y2, gd) : gd;
    const w2 = rt.view(w, [k, g.o]);
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      const dcols = matmul(gz, w2, { transB: true });
      dx = col2im(dcols, g);
      dcols.dispose();
    }
    let dw: Tensor<'f32'> | null = null;
    if (needs[1]) {
      const dw2 = matmul(cols, gz, { transA: true });
      dw = rt.view(dw2, w.shape);
      dw2.dispose();
    }
    const db = b && needs[2] ? sumAxes(gz, [0]) : null;
    for (const t of new Set([g2, y2, gd, gz, w2])) t.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  },
};
