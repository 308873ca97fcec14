/**
 * Reverse-mode autodiff over GPU tensors: Vars, the tape, and the ops as functions.
 */
export { Var, type Node, type BackwardFn } from './var';
export { apply, backward, constant, param, variable, type Input } from './tape';
export { isGradEnabled, keepTensor, noGrad, tidy, type Kept } from './scope';
export { OPS, type OpAttrs, type OpName } from './table';
export type { OpDef, BackwardContext, ForwardResult } from './opdef';
export { GraphFreedError } from './errors';
export { autogradCache, releaseAutogradCache } from './grads';
export * from './functional';
