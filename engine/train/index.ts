/**
 * Training: the loop, metrics accumulated on the GPU, and the MNIST recipe.
 */
export {
  fit,
  trainOnBatch,
  type BatchStepOptions,
  type EpochResult,
  type FitOptions,
  type FitResult,
  type Progress,
  type StepMetrics,
  type Stepper,
  type Trainable,
} from './loop';
export type { Evaluation, EvaluationAnswer, StepContext, TrainingPlugin } from './plugin';
export { Trainer, recordStep, type RecordStepOptions, type StepBatch, type TrainerOptions } from './trainer';
export {
  softmaxCrossEntropy,
  binaryCrossEntropy,
  mse,
  huber,
  type Loss,
  type AccuracyKind,
  type HuberOptions,
  type SoftmaxCrossEntropyOptions,
} from './losses';
export { BatchedEnsemble, interleaveOrders, unbatchableReason } from './ensemble';
export { evaluate, metricsAccumulator, readMetrics, type Classifier, type Metrics } from './metrics';
export { MNIST_RECIPE, makeOptimizer, trainMnist, type MnistConfig, type MnistHooks, type MnistReport, type OptimizerName } from './mnist';
export { MNIST_CNN_RECIPE, augmentPlugin, cnnLayers, createCnn, trainMnistCnn, type CnnAugmentation, type CnnConfig, type CnnReport } from './mnist-cnn';
export { nanGuard, NonFiniteError, type GuardedTensor, type NanGuard, type NanGuardOptions } from './guard';
export { checkpointEvery, checkpointStep, FIT_STEP_KEY, type CheckpointEveryOptions, type CheckpointPlugin } from './checkpointing';
