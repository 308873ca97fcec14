/**
 * Building a model with regularizers: the layers some techniques need (dropout, batch norm, hidden
 * noise) are inserted where each asks (the insertion sites of engine/nn/mlp.ts).
 */
import { createMlp, type LayerInserter, type Runtime, type Sequential } from '../engine/index';
import type { Regularizer } from './types';

/** Options of {@link mlp}. */
export interface MlpConfig {
  /** Layer widths, inputs first and classes last, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  /** Seeds the initial weights and every random feature of the model's layers (default 1). */
  seed?: number;
  /** Regularizers; those with layers (dropout, batchNorm, hiddenNoise) add them. */
  regularizers?: readonly Regularizer[];
}

/** An MLP with the layers its regularizers need. */
export function mlp(rt: Runtime, config: MlpConfig): Sequential {
  const insert: LayerInserter[] = (config.regularizers ?? []).flatMap((r) => (r.layers ? [r.layers] : []));
  return createMlp(rt, { sizes: config.sizes, seed: config.seed, insert });
}
