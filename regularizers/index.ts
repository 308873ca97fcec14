/**
 * Every regularization technique of chapter 7 of Goodfellow, Bengio & Courville's *Deep Learning*,
 * on the engine's public entry point (engine/index.ts). See README.md here for the API by example.
 */
export type { Regularizer, SetupContext } from './types';
export { fit, type FitConfig, type FitData, type FitReport } from './fit';
export { cnn, mlp, type CnnModelConfig, type MlpConfig } from './model';
export { l1, l2, elasticNet, maxNorm, weightReport, weightZeroFraction, type PenaltyConfig, type PenaltyRegularizer, type ParamNormReport } from './penalties';
export { augmentation, type AugmentationConfig } from './augmentation';
export { inputNoise, hiddenNoise, weightNoise } from './noise';
export { labelSmoothing } from './smoothing';
export { earlyStopping, type EarlyStopping, type EarlyStoppingConfig, type EarlyStoppingReport } from './early-stopping';
export { retrainOnAll, continueOnAll, type RetrainConfig, type RetrainReport, type ContinueConfig } from './retrain';
export { bagging, ensemble, bootstrap, bootstrapIndices, uniqueFraction, Ensemble, type EnsembleConfig } from './bagging';
export {
  dropout,
  dropoutLayers,
  predict,
  predictMonteCarlo,
  predictGeometricMean,
  GEOMETRIC_MEAN_MAX_UNITS,
  type DropoutConfig,
  type MonteCarloPrediction,
} from './dropout';
export { batchNorm } from './batchnorm';
