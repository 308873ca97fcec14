/**
 * A sequential model whose parameters live in one arena: the layers declare their parameters, the
 * model lays them all out in a {@link ParamArena} (values, gradients), hands each layer its
 * parameters as tape leaves whose gradients add into the arena in place, and writes the seeded
 * initial values. One optimizer step then updates the whole model with one dispatch.
 */
import { param } from '../autograd/tape';
import type { Var } from '../autograd/var';
import { SeededRng } from '../data/rng';
import { ParamArena } from '../optim/arena';
import { ArgumentError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import type { ForwardContext, Layer } from './layer';

/** Options of {@link Sequential.create}. */
export interface SequentialOptions {
  /** Seeds the initial weights (default 1). */
  seed?: number;
}

/** Layers applied in order, with their parameters in one arena. */
export class Sequential {
  private constructor(
    readonly layers: readonly Layer[],
    readonly arena: ParamArena,
    /** The parameters as tape leaves, by name (e.g. `fc1.weight`). */
    readonly params: ReadonlyMap<string, Var>,
  ) {}

  /** Lays out the layers' parameters in a new arena and initializes them from `seed`. */
  static create(rt: Runtime, layers: readonly Layer[], opts: SequentialOptions = {}): Sequential {
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) throw new ArgumentError(`Sequential: two layers are called "${l.name}"`);
      names.add(l.name);
    }
    const arena = ParamArena.create(rt, layers.flatMap((l) => l.params()));
    const params = new Map<string, Var>(arena.params.map((p) => [p.name, param(p.value, p.grad, p.name)]));
    const rng = new SeededRng(opts.seed ?? 1, 2);
    for (const l of layers) {
      l.bind((name) => {
        const v = params.get(name);
        if (!v) throw new ArgumentError(`Sequential: layer ${l.name} asked for an undeclared parameter "${name}"`);
        return v;
      });
      for (const [name, values] of l.initialValues(rng)) arena.setValues(name, values);
    }
    return new Sequential(layers, arena, params);
  }

  /** The layers' composition. */
  forward(x: Var, ctx: ForwardContext): Var {
    return this.layers.reduce((h, l) => l.forward(h, ctx), x);
  }

  /** Zeroes every parameter's gradient (one dispatch). */
  zeroGrads(): void {
    this.arena.zeroGrads();
  }

  /** Frees the arena. */
  dispose(): void {
    this.arena.dispose();
  }
}
