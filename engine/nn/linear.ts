/**
 * A fully connected layer y = x·W + b with an optional fused ReLU: one `linear` op, i.e. one
 * matmul dispatch forward. W is [in, out] (a weight, He- or Glorot-initialized), b is [out] (a bias,
 * zero-initialized).
 *
 * {@link forwardLayers} runs a model's layers, fusing each run of Linear layers (with the Dropout
 * layers between them) into one `linearChain` op: dropout in the matmul epilogues, forward and backward;
 * and each BatchNorm (or BatchNorm2d) directly followed by a Relu into one `batchNorm` op with the
 * ReLU fused.
 */
import { linear } from '../autograd/functional';
import type { ChainLayer } from '../autograd/ops/matmul';
import { apply, type Input } from '../autograd/tape';
import type { Var } from '../autograd/var';
import type { SeededRng } from '../data/rng';
import { ArgumentError } from '../runtime/errors';
import { initWeights, type InitScheme } from './init';
import type { ParamSpec } from '../optim/arena';
import type { ForwardContext, Layer } from './layer';
import { Relu } from './activation';
import { BatchNorm } from './batchnorm';
import { Dropout } from './dropout';

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
    for (const [what, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
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

  /** The bias Var (after {@link bind}); throws for a layer without bias. */
  biasVar(): Var {
    if (!this.b) throw new ArgumentError(`Linear ${this.name}: ${this.hasBias ? 'not bound to its parameters yet' : 'has no bias'}`);
    return this.b;
  }

  forward(x: Var, _ctx: ForwardContext): Var {
    return linear(x, this.weight, this.b ?? undefined, { relu: this.activation === 'relu' });
  }
}

/**
 * The run of layers from `start` that one `linearChain` op computes: Linear layers, each but the last
 * optionally followed by Dropout layers that fuse (at most one drawing a mask; see
 * {@link Dropout.fusedKey}). Null when fewer than two Linear layers would be in it.
 */
function linearRun(layers: readonly Layer[], start: number, ctx: ForwardContext): { linears: Linear[]; chain: ChainLayer[]; end: number } | null {
  const first = layers[start];
  if (!(first instanceof Linear)) return null;
  const linears = [first];
  const chain: ChainLayer[] = [{ bias: first.hasBias, relu: first.activation === 'relu' }];
  let end = start + 1;
  for (;;) {
    let k = end;
    let key: ChainLayer['dropout'];
    while (k < layers.length) {
      const d = layers[k];
      const fused = d instanceof Dropout ? d.fusedKey(ctx) : null;
      if (fused === null || (fused !== 'identity' && key)) break;
      if (fused !== 'identity') key = fused;
      k++;
    }
    const next = layers[k];
    if (!(next instanceof Linear)) break;
    chain[chain.length - 1].dropout = key;
    linears.push(next);
    chain.push({ bias: next.hasBias, relu: next.activation === 'relu' });
    end = k + 1;
  }
  return linears.length < 2 ? null : { linears, chain, end };
}

/**
 * Applies `layers` in order to `x`, each run of two or more Linear layers (and the Dropout layers
 * between them that can fuse) as one `linearChain` op: the same values and gradients as calling
 * each layer's `forward`, with fewer dispatches (no dropout pass of its own, forward or backward, and
 * no separate ReLU derivative pass between the layers). A BatchNorm (or BatchNorm2d) layer directly
 * followed by a Relu layer runs as one `batchNorm` op with the ReLU fused (no ReLU pass forward, no
 * derivative pass backward; the same values and gradients). Layers that do not fuse run their own
 * `forward`. `linear: false` leaves the Linear layers unfused (each its own product) and still fuses
 * batch norm's ReLU (what a model does by default where the matmul kernels have no dropout epilogue).
 */
export function forwardLayers(layers: readonly Layer[], x: Var, ctx: ForwardContext, opts: { linear?: boolean } = {}): Var {
  const fuseLinear = opts.linear ?? true;
  let h = x;
  for (let i = 0; i < layers.length; ) {
    const layer = layers[i];
    if (layer instanceof BatchNorm && layers[i + 1] instanceof Relu) {
      h = layer.forwardActivated(h, ctx, true);
      i += 2;
      continue;
    }
    const run = fuseLinear ? linearRun(layers, i, ctx) : null;
    if (!run) {
      h = layers[i].forward(h, ctx);
      i++;
      continue;
    }
    const inputs: Input[] = [h];
    for (const l of run.linears) {
      inputs.push(l.weight);
      if (l.hasBias) inputs.push(l.biasVar());
    }
    h = apply('linearChain', inputs, { layers: run.chain });
    i = run.end;
  }
  return h;
}
