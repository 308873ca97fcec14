/**
 * Layers and models: Linear, sequential models with their parameters in one arena, MLPs.
 */
export { dropoutActive, batchStatsActive, ParameterFreeLayer, type ForwardContext, type Layer, type BufferSpec } from './layer';
export { BufferStore, type StoredBuffer } from './buffers';
export { initWeights, type InitScheme } from './init';
export { Linear, type LinearOptions } from './linear';
export { BatchNorm, type BatchNormOptions } from './batchnorm';
export { Dropout, keepProbabilityOf, type DropoutProbability, type DropoutRule, type DropoutLayerOptions } from './dropout';
export { Sequential, type SequentialOptions, type ModelSnapshot, type ModelState } from './sequential';
export { createMlp, mlpLayers, type MlpOptions, type LayerSite, type LayerInserter } from './mlp';
export { Relu, GaussianNoise } from './activation';
export { Conv2d, MaxPool2d, AvgPool2d, Flatten, type Conv2dLayerOptions, type ConvDropout } from './conv';
export { BatchNorm2d, Dropout2d } from './spatial';
