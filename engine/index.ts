/**
 * The engine's public entry point, as browsers get it: nothing here imports `webgpu`, `mnist` or a
 * `node:` module (tests/lib/tarball.test.ts checks the built package). Node gets ./node.ts, which
 * adds Dawn's WebGPU and the `mnist` digits to the same exports.
 */
export { Runtime, type DispatchSpec, type BindingResource, type MemoryStats, type WorkStats } from './runtime/runtime';
export { Tensor, shapeSize, fmtShape, type DType, type TensorData } from './runtime/tensor';
export { serviceKey, type ServiceKey } from './runtime/services';
export {
  requestGpu,
  getGpu,
  adapterName,
  classifyAdapter,
  type AdapterKind,
  type AdapterDescription,
  type RequestGpuOptions,
  type NodeAdapterChoice,
} from './runtime/device';
export { Kernel, type Overrides, type UniformValues } from './runtime/kernel';
export type { Profile, ProfileOptions, ProfiledDispatch, ProfiledBinding, ReplayOptions } from './runtime/profile';
export { grid1d } from './runtime/grid';
export * from './runtime/errors';
export { add, mul, scale, relu, fill } from './ops/elementwise';
export { sum } from './ops/reduce';
export { matmul, matmulBatched, type MatmulBatchedOptions, type MatmulOptions } from './ops/matmul';
export * from './tune/index';
export { softThreshold, softThresholdStep } from './ops/soft-threshold';
export {
  dropoutForward,
  dropoutBackward,
  dropoutMaskCpu,
  keepThreshold,
  type DropoutKey,
  type DropoutOptions,
  type DropoutForwardOptions,
  type DropoutResult,
  type DropoutScale,
} from './ops/dropout';
export { philox4x32, philox4x32_10, PHILOX_ROUNDS } from './random/philox';
export {
  softmaxRows,
  smoothedTargetValues,
  checkLabels,
  checkLabelsOnGpu,
  labelTensor,
  labelStatusTensor,
  releaseLabelStatus,
  type LabelSmoothing,
  type SmoothingConvention,
  type SmoothedTargets,
} from './ops/softmax-xent';
export { columnNorms, maxNormProject } from './ops/colnorm';
export { addGaussianNoise, perturbArena, type GaussianNoiseOptions, type PerturbArenaOptions } from './ops/noise';
export {
  augmentImages,
  augmentParamsCpu,
  translateImages,
  warpImages,
  type AugmentOptions,
  type AugmentParams,
  type ImageSize,
  type TranslateOptions,
  type WarpOptions,
} from './ops/augment';
export { standardNormalCpu, philoxNormal4, boxMuller } from './random/normal';
export type { RandomKey } from './random/key';
export { RANDOM_STREAMS } from './random/streams';
export { ParamArena, type ParamSpec, type ParamRole, type ArenaParam, type PerParam } from './optim/arena';
export {
  chain,
  chainWith,
  sgd,
  momentum,
  adam,
  adamw,
  clipByGlobalNorm,
  coupledL2,
  l1Subgradient,
  decoupledWeightDecay,
  proximalL1,
  customTransform,
  Chain,
  ChainOptimizer,
  PenaltyTransform,
  ClipTransform,
  DirectionTransform,
  CustomTransform,
  type GradientTransformation,
  type PenaltyKind,
  type PenaltyOptions,
  type DirectionRule,
  type SgdOptions,
  type MomentumRuleOptions,
  type AdamRuleOptions,
  type ChainInitOptions,
} from './optim/chain';
export { isSelected, resolveCoefficients, type ParamSelector, type Selection, type Coefficient } from './optim/select';
export {
  SGD,
  Momentum,
  Adam,
  AdamW,
  ProximalL1,
  type Optimizer,
  type OptimizerOptions,
  type MomentumOptions,
  type AdamOptions,
  type ProximalL1Options,
} from './optim/optimizers';
/** Autodiff: tape-recorded ops on `Var`s (`ag.add`, `ag.matmul`, `ag.backward`, ...). */
export * as ag from './autograd/index';
export { Var, keepTensor, tidy, noGrad, constant } from './autograd/index';
export * from './nn/index';
export * from './data/index';
export * from './train/index';
/** Checkpoints in the safetensors format (Node files: engine/io/node.ts; browser download and IndexedDB: engine/io/browser.ts). */
export * from './io/index';
