/**
 * What the training loop and checkpoints need of an optimizer, and the per-adapter run length of
 * the fused update kernel (shaders/update_chain.wgsl). Kept apart from the chain and its aliases so
 * that both can import it without a cycle.
 */
import type { AdapterKind } from '../runtime/device';
import type { Tensor } from '../runtime/tensor';
import type { ParamArena } from './arena';

/**
 * Vec4s each invocation of the update kernel handles (its `VPI` constant), per kind of adapter.
 * Timed side by side on the arena of a 784-512-512-10 MLP: 16 on SwiftShader and 2 on lavapipe
 * were the fastest for both SGD and AdamW (the CPU adapters pay per invocation, so they want
 * several vec4s each); real GPUs (untested here) get 1, so that neighbouring invocations read
 * neighbouring memory.
 */
export const UPDATE_VEC4S_PER_INVOCATION: Readonly<Record<AdapterKind, number>> = { lavapipe: 2, swiftshader: 16, other: 1 };

/** The values `VPI` may take: divisors of a chunk's 16 vec4s, so that a run never crosses a parameter. */
export const VPI_CHOICES: readonly number[] = [1, 2, 4, 8, 16];

/** What the training loop needs of any optimizer. */
export interface Optimizer {
  readonly arena: ParamArena;
  /** Learning rate ε, read at each step. */
  lr: number;
  /** Steps taken so far (Adam's bias corrections use it). */
  readonly steps: number;
  /** Records the update of every parameter from the arena's gradients: one dispatch, no readback. */
  step(): void;
  /**
   * The optimizer's state tensors in the arena's layout, by slot: `velocity` (momentum), `m` and `v`
   * (Adam), none for SGD. A checkpoint saves them and writes them back (engine/io).
   */
  stateTensors(): Readonly<Record<string, Tensor<'f32'>>>;
  /** Sets the step counter, when a checkpoint is restored (Adam's bias corrections read it). */
  setSteps(steps: number): void;
  /** Frees the optimizer's state and tables (not the arena). */
  dispose(): void;
}
