/**
 * Batch normalization as a regularizer (chapter 7: the noise of batch statistics): a BatchNorm
 * layer between each hidden Linear and its ReLU, using batch statistics in training and running
 * statistics at inference (engine/nn/batchnorm.ts). Between a convolution and its ReLU (a site with
 * feature maps) it is a BatchNorm2d, with statistics per channel.
 */
import { BatchNorm, BatchNorm2d, type BatchNormOptions, type LayerSite } from '../engine/index';
import type { Regularizer } from './types';

/** A BatchNorm layer (BatchNorm2d on feature maps) before every hidden activation. */
export function batchNorm(config: BatchNormOptions = {}): Regularizer {
  // Construct one layer now so that bad options fail here, not when the model is built.
  void new BatchNorm('bn', 1, config);
  return {
    name: 'batch norm',
    layers: (site: LayerSite) => {
      if (site.kind !== 'preActivation') return [];
      return [site.map ? new BatchNorm2d(`bn${site.index}`, site.map.channels, config) : new BatchNorm(`bn${site.index}`, site.width, config)];
    },
  };
}
