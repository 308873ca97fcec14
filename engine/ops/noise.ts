/**
 * Gaussian noise drawn in the shader (shaders/noise.wgsl), keyed by (seed, stream, offset) and the
 * element index through the Box–Muller library shaders/normal.wgsl; `standardNormalCpu`
 * (engine/random/normal.ts) computes the same draws on the CPU.
 *
 * - {@link addGaussianNoise}: y = x + σ·z, a new tensor (input noise, noise on hidden units), and
 *   its autodiff op {@link gaussianNoiseOp}, whose gradient passes through unchanged.
 * - {@link perturbArena}: weight noise (eq. 7.31) in place over a whole parameter arena, one
 *   dispatch, σ per parameter from the arena's chunk table; the same key with sign −1 takes the
 *   same noise away again, so that path keeps no copy of the weights; or, with `keep`, the
 *   values before the noise go into a buffer in the same pass, and one buffer copy restores them
 *   bit for bit (one draw per element instead of two: what weight noise in training does).
 */
import type { OpDef } from '../autograd/opdef';
import { ARENA_CHUNK, type ParamArena } from '../optim/arena';
import { keyUniforms, type RandomKey } from '../random/key';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';

const WG = 256;

/** Options of {@link addGaussianNoise} and of the autodiff op `gaussianNoise`. */
export interface GaussianNoiseOptions extends RandomKey {
  /** σ, the noise's standard deviation: finite, ≥ 0 (0 gives y = x). */
  std: number;
}

/** Options of {@link perturbArena}. */
export interface PerturbArenaOptions extends RandomKey {
  /** +1 adds the noise of the key, −1 takes the same noise away again. */
  sign: 1 | -1;
  /**
   * An f32 tensor of `arena.length` elements that receives every value of the arena as it was
   * before the noise (padding included), in the same dispatch: `rt.copy(keep, arena.values)`
   * then restores the arena bit for bit.
   */
  keep?: Tensor;
}

function checkStd(op: string, std: number): void {
  if (!(typeof std === 'number' && Number.isFinite(std) && std >= 0)) throw new ArgumentError(`${op}: std must be a finite number ≥ 0, got ${String(std)}`);
}

/**
 * x + σ·z into a new tensor, one dispatch: z is the standard normal draw of each element's flat
 * index under the key (the draws of `standardNormalCpu(x.size, key)` on the CPU). Advance `offset`
 * (the step) every call for fresh noise. Throws ArgumentError for a negative or non-finite std, a
 * bad key, or a non-f32 x.
 */
export function addGaussianNoise(x: Tensor, options: GaussianNoiseOptions): Tensor<'f32'> {
  const op = 'addGaussianNoise';
  assertF32(op, x);
  checkStd(op, options.std);
  const key = keyUniforms(op, options);
  const rt = x.runtime;
  const y = rt.empty(x.shape);
  const n = x.size;
  if (n === 0) return y;
  rt.dispatch({
    shader: 'noise',
    entry: 'add_noise',
    overrides: { WG },
    uniforms: { n, sigma: options.std, sign: 1, ...key },
    bindings: { x, y },
    // One Philox call (four draws) per invocation.
    workgroups: grid1d(Math.ceil(n / 4), WG),
  });
  return y;
}

/**
 * Weight noise in place, one dispatch: every element i of `arena.values` becomes
 * w_i + sign·σ_p·z_i, with z_i the standard normal draw of the arena index i under the key and σ_p
 * the std of the parameter that owns i, read from `chunks` = `arena.chunkTable(stds)` (one std per
 * parameter in arena order; 0 for parameters that get no noise, such as biases: their elements and
 * every padding lane stay bit-identical). sign −1 with the same key and table takes the noise away
 * again, up to rounding: half an ulp of the perturbed value plus half an ulp of the restored one.
 * With `keep`, the values before the noise are also written there (same draws, same result in the
 * arena), for an exact restore by copy. Returns `arena.values`.
 */
export function perturbArena(arena: ParamArena, chunks: Tensor, options: PerturbArenaOptions): Tensor<'f32'> {
  const op = 'perturbArena';
  const values = arena.values;
  assertF32(op, values);
  chunks.assertAlive(op);
  const want = (2 * arena.length) / ARENA_CHUNK;
  if (chunks.dtype !== 'u32' || chunks.size !== want) {
    throw new ShapeError(`${op}: chunks must be the arena's chunkTable (u32 ${fmtShape([want])}), got ${chunks.dtype} ${fmtShape(chunks.shape)}`);
  }
  if (options.sign !== 1 && options.sign !== -1)
    throw new ArgumentError(`${op}: sign must be +1 (perturb) or -1 (take the noise away), got ${String(options.sign)}`);
  const keep = options.keep;
  if (keep !== undefined) {
    keep.assertAlive(op);
    if (keep.dtype !== 'f32' || keep.size !== arena.length)
      throw new ShapeError(`${op}: keep must be f32 with the arena's ${arena.length} elements, got ${keep.dtype} ${fmtShape(keep.shape)}`);
  }
  const key = keyUniforms(op, options);
  const n4 = arena.length / 4;
  arena.rt.dispatch({
    shader: 'noise',
    entry: keep ? 'perturb_arena_keep' : 'perturb_arena',
    overrides: { WG },
    uniforms: { n: n4, sigma: 0, sign: options.sign, ...key },
    bindings: keep ? { chunks, w4: values, kept: keep } : { chunks, w4: values },
    workgroups: grid1d(n4, WG),
  });
  return values;
}

/**
 * Autodiff op `gaussianNoise(x, { std, seed, stream, offset })`: y = x + σ·z; the noise does not
 * depend on x, so dy/dx = I and the gradient passes through unchanged.
 */
export const gaussianNoiseOp: OpDef<GaussianNoiseOptions> = {
  forward: ([x], options) => ({ out: addGaussianNoise(x, options) }),
  backward: ({ grad }) => [grad],
};
