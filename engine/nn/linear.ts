/**
 * A fully connected layer y = x·W + b with an optional fused ReLU: one `linear` op, i.e. one
 * matmul dispatch forward. W is [in, out] (a weight, He- or Glorot-initialized), b is [out] (a bias,
 * zero-initialized).
 */
import { linear } from '../autograd/functional';
import type { Var } from '../autograd/var';
import type { SeededRng } from '../data/rng';
import { ArgumentError } from '../runtime/errors';
import { initWeights, type InitScheme } from './init';
import type { ParamSpec } from '../optim/arena';
import type { ForwardContext, Layer } from './layer';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Fused activation (default none). */
  activation?: 'relu' | 'none';
  /** Default: He for a ReLU layer, Glorot otherwise. */
  init?: InitScheme;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/** A fully connected layer. */
export class Linear implements Layer {
  readonly activation: 'relu' | 'none';
  readonly init: InitScheme;
  readonly hasBias: boolean;
  private w: Var | null = null;
  private b: Var | null = null;

  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    for (const [what, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`Linear ${name}: ${what} must be a positive integer, got ${v}`);
    }
    this.activation = opts.activation ?? 'none';
    this.init = opts.init ?? (this.activation === 'relu' ? 'he' : 'glorot');
    this.hasBias = opts.bias ?? true;
  }

  params(): ParamSpec[] {
    const w: ParamSpec = { name: `${this.name}.weight`, shape: [this.inFeatures, this.outFeatures], role: 'weight', layer: this.name };
    if (!this.hasBias) return [w];
    return [w, { name: `${this.name}.bias`, shape: [this.outFeatures], role: 'bias', layer: this.name }];
  }

  bind(lookup: (name: string) => Var): void {
    this.w = lookup(`${this.name}.weight`);
    this.b = this.hasBias ? lookup(`${this.name}.bias`) : null;
  }

  initialValues(rng: SeededRng): Map<string, Float32Array> {
    const m = new Map([[`${this.name}.weight`, initWeights(this.init, this.inFeatures, this.outFeatures, rng)]]);
    if (this.hasBias) m.set(`${this.name}.bias`, new Float32Array(this.outFeatures));
    return m;
  }

  /** The weight Var (after {@link bind}). */
  get weight(): Var {
    if (!this.w) throw new ArgumentError(`Linear ${this.name}: not bound to its parameters yet`);
    return this.w;
  }

  forward(x: Var, _ctx: ForwardContext): Var {
    return linear(x, this.weight, this.b ?? undefined, { relu: this.activation === 'relu' });
  }
}
