/**
 * A dropout layer whose keep probability can change while the model trains (the page's slider).
 * The engine's `Dropout` fixes its rate at construction; this one does the same thing otherwise:
 * inverted dropout through the fused kernel, keyed by (seed, stream, step), identity at inference.
 */
import { ag, ArgumentError, dropoutActive, ParameterFreeLayer, type ForwardContext, type Var } from 'webgpu-regularization';
import type { DropoutKey } from 'webgpu-regularization';

/** Inverted dropout with an adjustable keep probability p. */
export class AdjustableDropout extends ParameterFreeLayer {
  private p: number;

  /**
   * @param keepProb probability of KEEPING a unit, in (0, 1]
   * @param seed, stream the key of this layer's masks (stream = the hidden layer's index, as in the engine's MLP)
   */
  constructor(
    name: string,
    keepProb: number,
    readonly seed: number,
    readonly stream: number,
  ) {
    super(name);
    this.p = checkKeep(name, keepProb);
  }

  /** Probability of keeping a unit. */
  get keepProb(): number {
    return this.p;
  }

  set keepProb(p: number) {
    this.p = checkKeep(this.name, p);
  }

  /** The key of the mask this layer draws at `step`. */
  keyAt(step: number): DropoutKey {
    return { keepProb: this.p, seed: this.seed, stream: this.stream, offset: step };
  }

  forward(x: Var, ctx: ForwardContext): Var {
    if (!dropoutActive(ctx) || this.p === 1) return x;
    return ag.dropout(x, { ...this.keyAt(ctx.step), scale: 'inverted' });
  }
}

function checkKeep(name: string, p: number): number {
  if (!(Number.isFinite(p) && p > 0 && p <= 1)) throw new ArgumentError(`AdjustableDropout ${name}: the keep probability must be in (0, 1], got ${p}`);
  return p;
}
