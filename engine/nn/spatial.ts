/**
 * The chapter-7 regularizers of the MLP, made for feature maps [batch, H, W, C]:
 * - BatchNorm2d: batch normalization with statistics per channel (over batch, height and width,
 *   B·H·W values each), as Ioffe & Szegedy do for convolutional layers so that every position of
 *   a map is normalized alike; running statistics are buffers, as BatchNorm's.
 * - Dropout2d: spatial dropout, one Bernoulli draw per (example, channel) (engine/ops/dropout2d.ts).
 */
import { dropout2d, reshape } from '../autograd/functional';
import type { Var } from '../autograd/var';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape } from '../runtime/tensor';
import { BatchNorm, type BatchNormOptions } from './batchnorm';
import { keepProbabilityOf, type DropoutProbability } from './dropout';
import { dropoutActive, ParameterFreeLayer, type ForwardContext } from './layer';

/**
 * Batch normalization of [batch, H, W, C] feature maps per channel: the maps viewed as
 * [batch·H·W, C] rows (a view: NHWC has the channel fastest) through {@link BatchNorm}'s arithmetic,
 * so γ, β and the running mean and variance have one entry per channel (the running variance is
 * unbiased over the B·H·W values of a channel).
 */
export class BatchNorm2d extends BatchNorm {
  constructor(name: string, channels: number, opts: BatchNormOptions = {}) {
    super(name, channels, opts);
  }

  override forwardActivated(x: Var, ctx: ForwardContext, relu: boolean): Var {
    if (x.shape.length !== 4 || x.shape[3] !== this.features)
      throw new ShapeError(`BatchNorm2d ${this.name}: expects [batch, height, width, ${this.features}] (NHWC), got ${fmtShape(x.shape)}`);
    const [b, h, w, c] = x.shape;
    return reshape(super.forwardActivated(reshape(x, [b * h * w, c]), ctx, relu), [b, h, w, c]);
  }
}

/**
 * Spatial dropout between convolutional layers: while dropout is active, each (example, channel)
 * map is kept with probability p and scaled by 1/p, or zeroed; the identity at inference. Keyed by
 * (seed, stream, step) like {@link Dropout}.
 */
export class Dropout2d extends ParameterFreeLayer {
  readonly keepProb: number;

  constructor(
    name: string,
    probability: DropoutProbability,
    readonly seed: number,
    readonly stream: number,
  ) {
    super(name);
    this.keepProb = keepProbabilityOf(`Dropout2d ${name}`, 'the probability', probability);
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new ArgumentError(`Dropout2d ${name}: seed must be an integer in [0, 2^53), got ${seed}`);
    if (!(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff))
      throw new ArgumentError(`Dropout2d ${name}: stream must be an integer in [0, 2^32), got ${stream}`);
  }

  forward(x: Var, ctx: ForwardContext): Var {
    if (x.shape.length !== 4) throw new ShapeError(`Dropout2d ${this.name}: expects [batch, height, width, channels] (NHWC), got ${fmtShape(x.shape)}`);
    if (this.keepProb === 1 || !dropoutActive(ctx)) return x;
    return dropout2d(x, { keepProb: this.keepProb, seed: this.seed, stream: this.stream, offset: ctx.step });
  }
}
