/**
 * A dropout layer: in training mode each unit is dropped with probability `rate` and the kept ones
 * are scaled by 1/(1 − rate) (inverted dropout, so evaluation is the plain network: the weight
 * scaling inference rule); in evaluation mode it passes its input through. The mask is keyed by
 * (seed, stream, step): a fresh mask every step, the same mask in the backward pass, reproducible.
 */
import { dropout } from '../autograd/functional';
import type { Var } from '../autograd/var';
import { ArgumentError } from '../runtime/errors';
import type { ForwardContext, Layer } from './layer';
import type { ParamSpec } from '../optim/arena';

/** Dropout between layers. */
export class Dropout implements Layer {
  /**
   * @param rate probability of DROPPING a unit, in [0, 1)
   * @param seed, stream the key of this layer's masks (use a distinct stream per dropout layer)
   */
  constructor(
    readonly name: string,
    readonly rate: number,
    readonly seed: number,
    readonly stream: number,
  ) {
    if (!(Number.isFinite(rate) && rate >= 0 && rate < 1)) throw new ArgumentError(`Dropout ${name}: the drop rate must be in [0, 1), got ${rate}`);
  }

  params(): ParamSpec[] {
    return [];
  }

  bind(): void {}

  initialValues(): Map<string, Float32Array> {
    return new Map();
  }

  forward(x: Var, ctx: ForwardContext): Var {
    if (!ctx.training || this.rate === 0) return x;
    return dropout(x, { keepProb: 1 - this.rate, seed: this.seed, stream: this.stream, offset: ctx.step });
  }
}
