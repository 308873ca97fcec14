/**
 * Stand-alone activation and noise layers, for models whose activation cannot be fused into the
 * matmul (a layer inserted between a Linear and its ReLU, such as batch norm), and Gaussian noise
 * on the units (chapter 7.5: noise injected at the hidden units).
 */
import { gaussianNoise, relu } from '../autograd/functional';
import type { Var } from '../autograd/var';
import { ArgumentError } from '../runtime/errors';
import { dropoutActive, ParameterFreeLayer, type ForwardContext } from './layer';

/** max(x, 0) as a layer. */
export class Relu extends ParameterFreeLayer {
  forward(x: Var): Var {
    return relu(x);
  }
}

/**
 * Additive Gaussian noise x + σ·z while noise layers are active (training, Monte-Carlo passes),
 * the identity otherwise; z is drawn in the kernel from Philox keyed by (seed, stream, step).
 */
export class GaussianNoise extends ParameterFreeLayer {
  constructor(
    name: string,
    readonly std: number,
    readonly seed: number,
    readonly stream: number,
  ) {
    super(name);
    if (!(Number.isFinite(std) && std >= 0)) throw new ArgumentError(`GaussianNoise ${name}: std must be a finite number ≥ 0, got ${std}`);
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new ArgumentError(`GaussianNoise ${name}: seed must be an integer in [0, 2^53), got ${seed}`);
    if (!(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff))
      throw new ArgumentError(`GaussianNoise ${name}: stream must be an integer in [0, 2^32), got ${stream}`);
  }

  forward(x: Var, ctx: ForwardContext): Var {
    if (this.std === 0 || !dropoutActive(ctx)) return x;
    return gaussianNoise(x, { std: this.std, seed: this.seed, stream: this.stream, offset: ctx.step });
  }
}
