/**
 * Dataset augmentation of single-channel images on the GPU (shaders/augment.wgsl, chapter 7.2): a
 * batch x [batch, height·width] of row-major images is translated, rotated, scaled, optionally
 * mirrored, and given Gaussian input noise, one dispatch per batch. Each example draws its own
 * transform from Philox keyed by (seed, stream, offset, example index); {@link augmentParamsCpu}
 * gives the very transform the GPU uses, so a CPU warp of the same parameters can check a batch.
 * {@link translateImages} and {@link warpImages} run the same kernel with one fixed transform.
 *
 * Nothing here clips: noise can take values out of [0, 1]. Keep transforms that preserve the class:
 * for digits no horizontal flips (`allowFlips` is off by default) and small rotations only.
 */
import { keyUniforms, philoxCounterOf, philoxKeyOf, type KeyUniforms, type RandomKey } from '../random/key';
import { uniform24 } from '../random/normal';
import { mulhi32, philox4x32_10 } from '../random/philox';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';

const WG = 64;
const MAX_SHIFT_LIMIT = 2 ** 30;
/** The key bit that separates the transform draws from the noise draws (see shaders/augment.wgsl). */
const PARAMS_KEY_BIT = 0x80000000;

/** The size of the images of a batch. */
export interface ImageSize {
  /** Rows per image, a positive integer. */
  height: number;
  /** Columns per image, a positive integer; the batch's rows hold height·width values. */
  width: number;
}

/** Options of {@link augmentImages}. Every transform is off by default. */
export interface AugmentOptions extends ImageSize, RandomKey {
  /** Integer shifts dx and dy, each drawn uniformly from {−maxShift, …, maxShift} pixels. Default 0. */
  maxShift?: number;
  /** Rotation angle drawn uniformly in [−maxRotation, maxRotation) radians, maxRotation ∈ [0, π]. Default 0. */
  maxRotation?: number;
  /** Zoom factor drawn uniformly in [lo, hi), 0 < lo ≤ hi (> 1 enlarges). Default [1, 1]. */
  scale?: readonly [number, number];
  /** σ of additive Gaussian input noise (the draws of addGaussianNoise with the same key). Default 0. */
  noiseStd?: number;
  /** Mirror horizontally with probability ½. Default false: a flip changes the class of many characters. */
  allowFlips?: boolean;
}

/** One example's transform, as the GPU applies it (about the image centre; see shaders/augment.wgsl). */
export interface AugmentParams {
  /** Shift right, in pixels. */
  dx: number;
  /** Shift down, in pixels. */
  dy: number;
  /**
   * Rotation in radians (positive turns the image clockwise as displayed): π times the f32 number
   * of half turns the shader uses.
   */
  angle: number;
  /** Zoom factor, an f32 value. */
  scale: number;
  /** Mirrored horizontally (before rotation and scaling). */
  flip: boolean;
}

/** Options of {@link warpImages}: one transform for every example. */
export interface WarpOptions extends ImageSize, Partial<AugmentParams> {}

/** Options of {@link translateImages}. */
export interface TranslateOptions extends ImageSize {
  /** Shift right, in pixels (integers move pixels exactly; fractions interpolate). */
  dx: number;
  /** Shift down, in pixels. */
  dy: number;
}

/** The validated transform options, in the f32 values the kernel receives. */
interface Resolved {
  maxShift: number;
  /** maxRotation / π as an f32. */
  maxTurn: number;
  scaleLo: number;
  scaleHi: number;
  noiseStd: number;
  flips: boolean;
  key: KeyUniforms;
}

function fail(op: string, what: string, v: unknown, rule: string): never {
  throw new ArgumentError(`${op}: ${what} must be ${rule}, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
}

function checkSize(op: string, o: ImageSize): void {
  for (const k of ['height', 'width'] as const) {
    const v = o[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0xffff)) fail(op, k, v, 'an integer in [1, 65535]');
  }
}

function resolve(op: string, o: AugmentOptions): Resolved {
  checkSize(op, o);
  const maxShift = o.maxShift ?? 0;
  if (!(typeof maxShift === 'number' && Number.isInteger(maxShift) && maxShift >= 0 && maxShift <= MAX_SHIFT_LIMIT))
    fail(op, 'maxShift', maxShift, `an integer in [0, ${MAX_SHIFT_LIMIT}]`);
  const maxRotation = o.maxRotation ?? 0;
  if (!(typeof maxRotation === 'number' && maxRotation >= 0 && maxRotation <= Math.PI)) fail(op, 'maxRotation', maxRotation, 'a number of radians in [0, π]');
  const scale = o.scale ?? [1, 1];
  const [lo, hi] = Array.isArray(scale) && scale.length === 2 ? scale.map(Math.fround) : [Number.NaN, Number.NaN];
  if (!(lo > 0 && lo <= hi && Number.isFinite(hi))) fail(op, 'scale', scale, '[lo, hi] with 0 < lo ≤ hi, both finite f32');
  const noiseStd = o.noiseStd ?? 0;
  if (!(typeof noiseStd === 'number' && Number.isFinite(noiseStd) && noiseStd >= 0)) fail(op, 'noiseStd', noiseStd, 'a finite number ≥ 0');
  const flips = o.allowFlips ?? false;
  if (typeof flips !== 'boolean') fail(op, 'allowFlips', flips, 'a boolean');
  return { maxShift, maxTurn: Math.fround(maxRotation / Math.PI), scaleLo: lo, scaleHi: hi, noiseStd, flips, key: keyUniforms(op, o) };
}

/** x as [batch, height·width], checked; returns the batch size. */
function checkBatch(op: string, x: Tensor, size: ImageSize): number {
  assertF32(op, x);
  checkSize(op, size);
  const hw = size.height * size.width;
  if (x.shape.length !== 2 || x.shape[1] !== hw) {
    throw new ShapeError(`${op}: x must be [batch, height·width] = [batch, ${size.height}·${size.width} = ${hw}], got ${fmtShape(x.shape)}`);
  }
  if (x.size > 0xffffffff) throw new ShapeError(`${op}: ${fmtShape(x.shape)} has more than 2³² − 1 elements`);
  return x.shape[0];
}

/** Records the kernel over x with the given transform uniforms; returns the new tensor. */
function record(x: Tensor, size: ImageSize, batch: number, uniforms: Record<string, number>): Tensor<'f32'> {
  const rt = x.runtime;
  const y = rt.empty(x.shape);
  if (batch === 0) return y;
  rt.dispatch({
    shader: 'augment',
    entry: 'augment',
    overrides: { WG },
    uniforms: { batch, height: size.height, width: size.width, ...uniforms },
    bindings: { x, y },
    // One invocation per row of an example.
    workgroups: grid1d(batch * size.height, WG),
  });
  return y;
}

const NO_RANDOM = {
  max_shift: 0,
  max_turn: 0,
  scale_lo: 1,
  scale_hi: 1,
  flips: 0,
  noise_std: 0,
  seed_lo: 0,
  seed_hi: 0,
  stream: 0,
  offset_lo: 0,
  offset_hi: 0,
};

/**
 * A new batch of augmented images, one dispatch: example b is shifted by integers (dx, dy), rotated,
 * zoomed and possibly mirrored about its centre by a transform drawn from (seed, stream, offset, b)
 * (exactly {@link augmentParamsCpu}`(options, b)`), sampled bilinearly with zero outside, then given
 * noiseStd·z of noise (z: the standard normal draw of the element's flat index under the key).
 * With every transform off the batch is copied bit for bit; pure integer shifts and mirrors move
 * pixels exactly. Throws ArgumentError naming a bad option, ShapeError when x is not
 * [batch, height·width].
 */
export function augmentImages(x: Tensor, options: AugmentOptions): Tensor<'f32'> {
  const op = 'augmentImages';
  const batch = checkBatch(op, x, options);
  const r = resolve(op, options);
  return record(x, options, batch, {
    random: 1,
    max_shift: r.maxShift,
    max_turn: r.maxTurn,
    scale_lo: r.scaleLo,
    scale_hi: r.scaleHi,
    flips: r.flips ? 1 : 0,
    noise_std: r.noiseStd,
    fixed_dx: 0,
    fixed_dy: 0,
    fixed_turn: 0,
    fixed_scale: 1,
    fixed_flip: 0,
    ...r.key,
  });
}

/**
 * The transform example `exampleIndex` of {@link augmentImages} gets with these options, computed
 * on the CPU with the Philox twin: dx, dy and flip exactly as the GPU draws them; angle and scale as
 * the f32 values the shader computes (scale may differ in its last bit where the adapter fuses
 * lo + (hi − lo)·u into one fused multiply-add).
 */
export function augmentParamsCpu(options: AugmentOptions, exampleIndex: number): AugmentParams {
  const op = 'augmentParamsCpu';
  const r = resolve(op, options);
  if (!(Number.isInteger(exampleIndex) && exampleIndex >= 0 && exampleIndex <= 0xffffffff))
    fail(op, 'exampleIndex', exampleIndex, 'an integer in [0, 2³² − 1]');
  const [k0, k1] = philoxKeyOf(options);
  const w = philox4x32_10(philoxCounterOf(options, exampleIndex), [k0, (k1 | PARAMS_KEY_BIT) >>> 0]);
  const span = 2 * r.maxShift + 1;
  const v = 2 * uniform24(w[2]) - 1;
  const spread = Math.fround(r.scaleHi - r.scaleLo);
  return {
    dx: mulhi32(w[0], span) - r.maxShift,
    dy: mulhi32(w[1], span) - r.maxShift,
    angle: Math.PI * Math.fround(r.maxTurn * v) + 0, // + 0: no rotation is +0, not −0
    scale: Math.fround(r.scaleLo + Math.fround(spread * uniform24(w[3]))),
    flip: r.flips && (w[3] & 1) === 1,
  };
}

/** The kernel with one fixed transform for every example; `op` names the caller in errors. */
function warpFixed(op: string, x: Tensor, options: WarpOptions): Tensor<'f32'> {
  const batch = checkBatch(op, x, options);
  const { dx = 0, dy = 0, angle = 0, scale = 1, flip = false } = options;
  for (const [k, v] of [
    ['dx', dx],
    ['dy', dy],
    ['angle', angle],
  ] as const) {
    if (!(typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 2 ** 24)) fail(op, k, v, 'a finite number below 2²⁴ in magnitude');
  }
  const s = Math.fround(scale);
  if (!(s > 0 && Number.isFinite(s))) fail(op, 'scale', scale, 'a finite f32 > 0');
  if (typeof flip !== 'boolean') fail(op, 'flip', flip, 'a boolean');
  // In half turns, reduced to [−1, 1] (the shader's sincos_pi takes that range).
  const turn = angle / Math.PI - 2 * Math.round(angle / (2 * Math.PI));
  return record(x, options, batch, {
    random: 0,
    ...NO_RANDOM,
    fixed_dx: dx,
    fixed_dy: dy,
    fixed_turn: Math.max(-1, Math.min(1, turn)),
    fixed_scale: s,
    fixed_flip: flip ? 1 : 0,
  });
}

/**
 * Every image of the batch under one fixed transform (about the centre, inverse-mapped, bilinear,
 * zero outside), one dispatch. Defaults: no shift, angle 0, scale 1, no flip (a bit-exact copy).
 * The angle goes to the shader as an f32 number of half turns, reduced to [−1, 1].
 */
export function warpImages(x: Tensor, options: WarpOptions): Tensor<'f32'> {
  return warpFixed('warpImages', x, options);
}

/**
 * Every image shifted by (dx, dy) pixels (right and down), zero where nothing moves in: the
 * augmentation kernel with a fixed transform. Integer shifts move pixels bit for bit.
 */
export function translateImages(x: Tensor, options: TranslateOptions): Tensor<'f32'> {
  const { height, width, dx, dy } = options;
  for (const [k, v] of [
    ['dx', dx],
    ['dy', dy],
  ] as const)
    if (typeof v !== 'number') fail('translateImages', k, v, 'a finite number');
  return warpFixed('translateImages', x, { height, width, dx, dy });
}
