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
export { evaluate, metricsAccumulator, readMetrics, type Classifier, type Metrics } from './metrics';
export { MNIST_RECIPE, makeOptimizer, trainMnist, type MnistConfig, type MnistHooks, type MnistReport, type OptimizerName } from './mnist';
export { nanGuard, NonFiniteError, type GuardedTensor, type NanGuard, type NanGuardOptions } from './guard';
export { checkpointEvery, checkpointStep, FIT_STEP_KEY, type CheckpointEveryOptions, type CheckpointPlugin } from './checkpointing';
