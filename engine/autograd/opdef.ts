/**
 * What an autodiff op is: a forward computation over GPU tensors and a backward rule, defined
 * together in one file (engine/ops/<op>.ts or engine/autograd/ops/<op>.ts) and registered in the
 * typed table of engine/autograd/table.ts. The tape (engine/autograd/tape.ts) only calls these two
 * functions; it knows nothing about any particular op.
 */
import type { Tensor } from '../runtime/tensor';

/** What a forward computation hands to the tape. */
export interface ForwardResult {
  /** The op's output; the tape wraps it in a Var that owns it. */
  out: Tensor;
  /**
   * Extra tensors the backward rule needs and that nothing else owns (for example a mask). The tape
   * disposes them after the backward pass, or at once when no gradient is needed.
   */
  saved?: Tensor[];
}

/** What a backward rule receives. */
export interface BackwardContext<Attrs> {
  /** The gradient of the loss with respect to the op's output (same shape as `out`). */
  grad: Tensor<'f32'>;
  /** The op's input tensors, as the forward saw them (still alive during backward). */
  inputs: readonly Tensor[];
  /** The op's output. */
  out: Tensor;
  /** The tensors the forward put in {@link ForwardResult.saved}. */
  saved: readonly Tensor[];
  attrs: Attrs;
  /** Which inputs need a gradient: a rule may skip (return null for) the others. */
  needs: readonly boolean[];
}

/**
 * One op: its forward kernel call(s) and its backward rule.
 *
 * The backward rule returns one gradient per input, each with the input's shape, or null where the
 * input needs no gradient or is not differentiable (integer labels). A returned gradient may be
 * `ctx.grad` itself (identity), or the same tensor for several inputs: the tape counts references.
 * Every other tensor the rule creates and does not return must be disposed by the rule.
 */
export interface OpDef<Attrs> {
  forward(inputs: readonly Tensor[], attrs: Attrs, needsGrad: boolean): ForwardResult;
  backward(ctx: BackwardContext<Attrs>): (Tensor<'f32'> | null)[];
}
