/**
 * 2-D max and average pooling over NHWC images (shaders/pool.wgsl), and their autodiff ops. The
 * max's backward recomputes each window's argmax from the input instead of storing it (the shader
 * says why).
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { convOutputSize, pairOf, type Pair } from './conv';

const WG = 256;

/** Options of a pooling op. */
export interface Pool2dOptions {
  /** The window, [height, width] or one number for both. */
  kernel: Pair;
  /** Step between windows (default: the window, so windows do not overlap). */
  stride?: Pair;
  /** Padding on each side, at most half the window (default 0). */
  padding?: Pair;
  /** Names the layer in errors (default: the op). */
  where?: string;
}

/** Every size of one pooling, checked. */
interface PoolGeometry {
  batch: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

/** The geometry of pooling x [batch, h, w, c]; errors name `where` and the shapes. */
export function pool2dGeometry(where: string, xShape: readonly number[], opts: Pool2dOptions): PoolGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${where}: the input must be [batch, height, width, channels] (NHWC), got ${fmtShape(xShape)}`);
  const [batch, h, w, c] = xShape;
  const [kh, kw] = pairOf(where, 'kernel', opts.kernel, 1, 1);
  const [sh, sw] = pairOf(where, 'stride', opts.stride ?? opts.kernel, 1, 1);
  const [ph, pw] = pairOf(where, 'padding', opts.padding, 0, 0);
  // More padding than half the window would give windows of padding only (no maximum to take).
  if (2 * ph > kh || 2 * pw > kw) throw new ArgumentError(`${where}: padding ${ph}×${pw} must be at most half the window ${kh}×${kw}`);
  const oh = convOutputSize(h, kh, sh, ph, 1);
  const ow = convOutputSize(w, kw, sw, pw, 1);
  if (oh < 1 || ow < 1)
    throw new ShapeError(
      `${where}: the window ${kh}×${kw} is larger than the padded input ${h + 2 * ph}×${w + 2 * pw} (input ${fmtShape(xShape)}, padding ${ph}×${pw})`,
    );
  return { batch, h, w, c, oh, ow, kh, kw, sh, sw, ph, pw };
}

type PoolEntry = 'max_pool' | 'avg_pool' | 'max_pool_grad' | 'max_pool_grad_tiled' | 'avg_pool_grad';

/** One pooling dispatch writing `outShape` elements. */
function dispatchPool(entry: PoolEntry, g: PoolGeometry, outShape: number[], bindings: Record<string, Tensor>): Tensor<'f32'> {
  const rt = Object.values(bindings)[0].runtime;
  const out = rt.empty(outShape);
  if (out.size === 0) return out;
  const { batch, h, w, c, oh, ow, kh, kw, sh, sw, ph, pw } = g;
  const grad = entry.includes('_grad');
  // The tiled gradient runs one invocation per window, the others one per element written.
  const n = entry === 'max_pool_grad_tiled' ? batch * oh * ow * c : out.size;
  rt.dispatch({
    shader: 'pool',
    entry,
    overrides: { WG },
    uniforms: { n, batch, h, w, c, oh, ow, kh, kw, sh, sw, ph, pw },
    bindings: { ...bindings, [grad ? 'dx' : 'y']: out },
    workgroups: grid1d(n, WG),
  });
  return out;
}

/** Max pooling of x [batch, h, w, c]: [batch, oh, ow, c], the first maximum of each window (one dispatch). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor<'f32'> {
  const where = opts.where ?? 'maxPool2d';
  assertF32(where, x);
  const g = pool2dGeometry(where, x.shape, opts);
  return dispatchPool('max_pool', g, [g.batch, g.oh, g.ow, g.c], { x });
}

/** Average pooling of x [batch, h, w, c]: [batch, oh, ow, c], each window's sum over kh·kw (padding counts as zeros). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor<'f32'> {
  const where = opts.where ?? 'avgPool2d';
  assertF32(where, x);
  const g = pool2dGeometry(where, x.shape, opts);
  return dispatchPool('avg_pool', g, [g.batch, g.oh, g.ow, g.c], { x });
}

/** The gradient of {@link maxPool2d}: dy to the (recomputed) argmax of each window, summed over windows. */
export function maxPool2dGrad(x: Tensor, dy: Tensor, opts: Pool2dOptions): Tensor<'f32'> {
  const g = pool2dGeometry(opts.where ?? 'maxPool2d', x.shape, opts);
  const tiles = g.sh === g.kh && g.sw === g.kw && g.ph === 0 && g.pw === 0 && g.oh * g.kh === g.h && g.ow * g.kw === g.w;
  return dispatchPool(tiles ? 'max_pool_grad_tiled' : 'max_pool_grad', g, [...x.shape], { x, dy });
}

/** The gradient of {@link avgPool2d}: dy / (kh·kw) to every pixel of each window. */
export function avgPool2dGrad(xShape: readonly number[], dy: Tensor, opts: Pool2dOptions): Tensor<'f32'> {
  const g = pool2dGeometry(opts.where ?? 'avgPool2d', xShape, opts);
  return dispatchPool('avg_pool_grad', g, [...xShape], { dy });
}

/** Autodiff op `maxPool2d(x)`. */
export const maxPool2dOp: OpDef<Pool2dOptions> = {
  forward: ([x], opts) => ({ out: maxPool2d(x, opts) }),
  backward: ({ grad, inputs: [x], attrs }) => [maxPool2dGrad(x, grad, attrs)],
};

/** Autodiff op `avgPool2d(x)`. */
export const avgPool2dOp: OpDef<Pool2dOptions> = {
  forward: ([x], opts) => ({ out: avgPool2d(x, opts) }),
  backward: ({ grad, inputs: [x], attrs }) => [avgPool2dGrad(x.shape, grad, attrs)],
};
