/**
 * Batch normalization as a regularizer (chapter 7: the noise of batch statistics): a BatchNorm
 * layer between each hidden Linear and its ReLU, using batch statistics in training and running
 * statistics at inference (engine/nn/batchnorm.ts).
 */
import { BatchNorm, type BatchNormOptions, type LayerSite } from '../engine/index';
import type { Regularizer } from './types';

/** A BatchNorm layer before every hidden activation. */
export function batchNorm(config: BatchNormOptions = {}): Regularizer {
  // Construct one layer now so that bad options fail here, not when the model is built.
  void new BatchNorm('bn', 1, config);
  return {
    name: 'batch norm',
    layers: (site: LayerSite) => (site.kind === 'preActivation' ? [new BatchNorm(`bn${site.index}`, site.width, config)] : []),
  };
}
