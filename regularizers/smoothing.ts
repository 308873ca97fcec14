/**
 * Label smoothing (chapter 7.5.1), fused into the softmax cross-entropy kernel: the kernel reads
 * each target t as a·t + b, so no smoothed table is ever stored. Two conventions:
 *   'book' (default)  1 − ε at the label and ε/(k − 1) elsewhere (Goodfellow et al.)
 *   'uniform'         (1 − ε)·y + ε/k: 1 − ε + ε/k at the label, ε/k elsewhere (PyTorch, Keras, Optax)
 */
import { ag, ArgumentError, type LabelSmoothing, type SmoothingConvention, type StepContext, type Tensor, type Var } from '../engine/index';
import { unitInterval } from './check';
import type { Regularizer } from './types';

/** Cross-entropy against smoothed targets. */
export function labelSmoothing(config: { epsilon: number; convention?: SmoothingConvention }): Regularizer & { smoothing: LabelSmoothing } {
  const epsilon = unitInterval('labelSmoothing', 'epsilon', config.epsilon);
  const convention = config.convention ?? 'book';
  if (convention !== 'book' && convention !== 'uniform')
    throw new ArgumentError(`labelSmoothing: convention must be 'book' or 'uniform', got ${String(convention)}`);
  const smoothing: LabelSmoothing = { epsilon, convention };
  return {
    name: 'label smoothing',
    smoothing,
    loss(logits: Var, targets: Tensor<'f32'>, _ctx: StepContext): Var {
      return ag.softmaxCrossEntropy(logits, targets, 'mean', smoothing);
    },
  };
}
