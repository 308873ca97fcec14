/**
 * Building a model with regularizers: the layers some techniques need (dropout, batch norm, hidden
 * noise) are inserted where each asks (the insertion sites of engine/nn/mlp.ts).
 */
import { ArgumentError, createMlp, type LayerInserter, type Runtime, type Sequential } from '../engine/index';
import type { Regularizer } from './types';

/** The regularizers each model was built with (by `mlp`), so that `fit` need not be told again. */
const builtWith = new WeakMap<Sequential, readonly Regularizer[]>();

/** The regularizers `model` was built with by {@link mlp} (undefined for a model built otherwise). */
export function modelRegularizers(model: Sequential): readonly Regularizer[] | undefined {
  return builtWith.get(model);
}

/** Options of {@link mlp}. */
export interface MlpConfig {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and every random feature of the model's layers (default 1). */
  seed?: number;
  /**
   * Every regularizer of the run, given once: those with layers (dropout, batchNorm, hiddenNoise)
   * add them here, and `fit(model, …)` takes the whole list from the model (its transforms and hooks).
   */
  regularizers?: readonly Regularizer[];
  /** Whether the Linear layers have biases (default true). */
  bias?: boolean;
}

/** An MLP with the layers its regularizers need; `fit` reads the same regularizers from it. */
export function mlp(rt: Runtime, config: MlpConfig): Sequential {
  const regs = config.regularizers ?? [];
  if (!Array.isArray(regs)) throw new ArgumentError(`mlp: regularizers must be an array, got ${typeof regs}`);
  const insert: LayerInserter[] = regs.flatMap((r) => (r.layers ? [r.layers] : []));
  const model = createMlp(rt, { sizes: config.sizes, seed: config.seed, insert, bias: config.bias });
  builtWith.set(model, [...regs]);
  return model;
}
