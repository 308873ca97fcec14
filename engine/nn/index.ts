/**
 * Layers and models: Linear, sequential models with their parameters in one arena, MLPs.
 */
export type { ForwardContext, Layer } from './layer';
export { initWeights, type InitScheme } from './init';
export { Linear, type LinearOptions } from './linear';
export { Dropout } from './dropout';
export { Sequential, type SequentialOptions } from './sequential';
export { createMlp, mlpLayers, type MlpOptions } from './mlp';
