/**
 * The engine's public entry point.
 */
export { Runtime, type DispatchSpec, type BindingResource, type MemoryStats, type WorkStats } from './runtime/runtime';
export { Tensor, shapeSize, fmtShape, type DType, type TensorData } from './runtime/tensor';
export { requestGpu, getGpu, adapterName, type AdapterDescription, type RequestGpuOptions, type NodeAdapterChoice } from './runtime/device';
export { Kernel, type Overrides, type UniformValues } from './runtime/kernel';
export { grid1d } from './runtime/grid';
export * from './runtime/errors';
export { add, mul, scale, relu, fill } from './ops/elementwise';
export { sum } from './ops/reduce';
