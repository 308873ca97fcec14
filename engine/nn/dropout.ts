/**
 * A dropout layer (chapter 7.12). While dropout is active (training, or Monte-Carlo inference) each
 * unit is kept with probability p = 1 − rate, through the fused kernel (shaders/dropout.wgsl) keyed
 * by (seed, stream, step): a fresh mask every step, the same mask in the backward pass, nothing
 * stored. Two equivalent conventions, chosen by `rule`:
 *   - 'inverted' (default): kept units are divided by p in training; inference is the identity.
 *   - 'weight-scaling': kept units pass unscaled in training; inference multiplies by p (the weight
 *     scaling inference rule: the weights going out of a unit scaled by its keep probability).
 * An explicit mask in the forward context (`ctx.masks`) replaces the drawn one.
 *
 * Between two Linear layers of a {@link Sequential} the mask is not a dispatch of its own: the model
 * fuses it into the epilogue of the matmul that produces the units (and the backward pass into the
 * epilogue of the matmul that produces their gradient), with the key {@link Dropout.fusedKey} gives,
 * so the mask is the same bit for bit.
 */
import { dropout, mul, scale } from '../autograd/functional';
import type { DropoutOptions } from '../ops/dropout';
import type { Var } from '../autograd/var';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape } from '../runtime/tensor';
import { sameShape } from '../ops/strided';
import { dropoutActive, ParameterFreeLayer, type ForwardContext } from './layer';

/** How training and inference share the 1/p factor. */
export type DropoutRule = 'inverted' | 'weight-scaling';

/**
 * A dropout probability, always named so it cannot be mistaken: `{ keep: p }` is the probability of
 * keeping a unit (chapter 7's p), `{ rate: r }` the probability of dropping it (PyTorch's and
 * Keras's rate), r = 1 − p. A bare number is refused: which one it meant would be a guess.
 */
export type DropoutProbability = { readonly keep: number; readonly rate?: never } | { readonly rate: number; readonly keep?: never };

function fmt(x: unknown): string {
  return typeof x === 'number' ? String(x) : x === null ? 'null' : typeof x === 'object' ? 'an object' : `${typeof x} ${String(x).slice(0, 40)}`;
}

/**
 * The keep probability p ∈ (0, 1] of a {@link DropoutProbability}, checked; `where` and `what` name
 * the option in the error.
 */
export function keepProbabilityOf(where: string, what: string, spec: unknown): number {
  if (typeof spec === 'number')
    throw new ArgumentError(
      `${where}: ${what} is a bare number (${spec}); say which probability it is: { keep: ${spec} } keeps a unit with probability ${spec}, { rate: ${spec} } drops it with probability ${spec}`,
    );
  if (typeof spec !== 'object' || spec === null) throw new ArgumentError(`${where}: ${what} must be { keep: p } or { rate: r }, got ${fmt(spec)}`);
  const o = spec as { keep?: unknown; rate?: unknown };
  const hasKeep = Object.hasOwn(o, 'keep');
  const hasRate = Object.hasOwn(o, 'rate');
  if (hasKeep === hasRate) throw new ArgumentError(`${where}: ${what} must have exactly one of keep and rate, got ${hasKeep ? 'both' : 'neither'}`);
  if (hasKeep) {
    const k = o.keep;
    if (!(typeof k === 'number' && Number.isFinite(k) && k > 0 && k <= 1))
      throw new ArgumentError(`${where}: ${what}.keep is the probability of keeping a unit and must be in (0, 1], got ${fmt(k)}`);
    return k;
  }
  const r = o.rate;
  if (!(typeof r === 'number' && Number.isFinite(r) && r >= 0 && r < 1))
    throw new ArgumentError(`${where}: ${what}.rate is the probability of dropping a unit and must be in [0, 1), got ${fmt(r)}`);
  return 1 - r;
}

/** Options of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Default 'inverted'. */
  rule?: DropoutRule;
}

/** Dropout between layers. */
export class Dropout extends ParameterFreeLayer {
  readonly rule: DropoutRule;

  /** Probability of dropping a unit, 1 − {@link keepProb}. */
  readonly rate: number;
  /** Probability of keeping a unit, p. */
  readonly keepProb: number;

  /**
   * @param probability `{ keep: p }` or `{ rate: r }` (see {@link DropoutProbability})
   * @param seed, stream the key of this layer's masks (use a distinct stream per dropout layer)
   */
  constructor(
    name: string,
    probability: DropoutProbability,
    readonly seed: number,
    readonly stream: number,
    opts: DropoutLayerOptions = {},
  ) {
    super(name);
    this.keepProb = keepProbabilityOf(`Dropout ${name}`, 'the probability', probability);
    // Everything downstream (the mask's threshold, the 1/p scale) reads p, so { rate: r } and { keep: 1 − r } build the same masks.
    this.rate = 1 - this.keepProb;
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new ArgumentError(`Dropout ${name}: seed must be an integer in [0, 2^53), got ${seed}`);
    if (!(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff)) {
      throw new ArgumentError(`Dropout ${name}: stream must be an integer in [0, 2^32), got ${stream}`);
    }
    this.rule = opts.rule ?? 'inverted';
    if (this.rule !== 'inverted' && this.rule !== 'weight-scaling')
      throw new ArgumentError(`Dropout ${name}: rule must be 'inverted' or 'weight-scaling', got ${String(this.rule)}`);
  }

  /**
   * What this layer does in a pass, for fusing it into the matmul before it: the key of the mask it
   * draws (dropout active, no explicit mask), 'identity' (rate 0, or inverted dropout at inference),
   * or null when it cannot be fused (an explicit mask; the weight scaling rule at inference).
   */
  fusedKey(ctx: ForwardContext): DropoutOptions | 'identity' | null {
    if (ctx.masks?.get(this.name)) return null;
    if (this.rate === 0) return 'identity';
    if (dropoutActive(ctx)) return this.key(ctx);
    return this.rule === 'weight-scaling' ? null : 'identity';
  }

  /** The key of this pass's mask: seed, stream, the step as offset, and the scaling of the rule. */
  private key(ctx: ForwardContext): DropoutOptions {
    return { keepProb: this.keepProb, seed: this.seed, stream: this.stream, offset: ctx.step, scale: this.rule === 'inverted' ? 'inverted' : 'none' };
  }

  forward(x: Var, ctx: ForwardContext): Var {
    const p = this.keepProb;
    const given = ctx.masks?.get(this.name);
    if (given) {
      if (!sameShape(given.shape, x.shape))
        throw new ShapeError(`Dropout ${this.name}: mask ${fmtShape(given.shape)} does not match the input ${fmtShape(x.shape)}`);
      const masked = mul(x, given);
      return this.rule === 'inverted' && p < 1 ? scale(masked, 1 / p) : masked;
    }
    if (this.rate === 0) return x;
    if (dropoutActive(ctx)) return dropout(x, this.key(ctx));
    return this.rule === 'weight-scaling' ? scale(x, p) : x;
  }
}
