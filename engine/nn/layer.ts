/**
 * What a layer is: it declares its parameters (trained) and its buffers (state that is not trained,
 * such as batch norm's running statistics) before any exist, so that a model can put each kind in
 * one arena; receives them once they do; gives their initial values; and maps a Var forward.
 */
import type { SeededRng } from '../data/rng';
import type { Var } from '../autograd/var';
import type { ParamSpec } from '../optim/arena';
import type { Tensor } from '../runtime/tensor';

/**
 * Per-call state of a forward pass. `training` sets the default of every mode; the modes can be set
 * apart because they mean different things: Monte-Carlo dropout wants dropout on while batch norm
 * uses its running statistics (`{ training: false, dropout: true }`).
 */
export interface ForwardContext {
  /** Training mode: the default of {@link dropout} and {@link batchStats}. */
  training: boolean;
  /** The training step, which keys this step's random masks and noise (a fresh draw every step). */
  step: number;
  /** Dropout and the other noise layers draw (default: `training`). */
  dropout?: boolean;
  /** Batch norm normalizes with the batch's statistics and updates its running ones (default: `training`). */
  batchStats?: boolean;
  /**
   * Explicit dropout masks by layer name ([batch, units] of 0/1), used instead of drawn ones: how
   * the exact geometric-mean inference enumerates every mask.
   */
  masks?: ReadonlyMap<string, Tensor>;
}

/** Whether noise layers draw in this pass. */
export function dropoutActive(ctx: ForwardContext): boolean {
  return ctx.dropout ?? ctx.training;
}

/** Whether batch norm uses batch statistics in this pass. */
export function batchStatsActive(ctx: ForwardContext): boolean {
  return ctx.batchStats ?? ctx.training;
}

/** A buffer a layer keeps that is not trained (running statistics). */
export interface BufferSpec {
  /** Unique within the model, e.g. `bn1.runningMean`. */
  name: string;
  shape: readonly number[];
  /** The layer it belongs to. */
  layer: string;
}

/** A layer of a sequential model. */
export interface Layer {
  readonly name: string;
  /** The parameters it needs (none for dropout), tagged by role and layer for regularizers. */
  params(): ParamSpec[];
  /** Connects the layer to its parameters, by declared name. */
  bind(lookup: (name: string) => Var): void;
  /** Initial values of its parameters, by declared name. */
  initialValues(rng: SeededRng): Map<string, Float32Array>;
  forward(x: Var, ctx: ForwardContext): Var;
  /** Buffers that are not trained (default none). */
  buffers?(): BufferSpec[];
  /** Connects the layer to its buffers (views into the model's buffer store), by declared name. */
  bindBuffers?(lookup: (name: string) => Tensor<'f32'>): void;
  /** Initial values of its buffers, by declared name (default zeros). */
  initialBuffers?(): Map<string, Float32Array>;
}

/** The base of layers without parameters or buffers (dropout, noise, activations): only `forward` to write. */
export abstract class ParameterFreeLayer implements Layer {
  constructor(readonly name: string) {}

  params(): ParamSpec[] {
    return [];
  }

  bind(): void {}

  initialValues(): Map<string, Float32Array> {
    return new Map();
  }

  abstract forward(x: Var, ctx: ForwardContext): Var;
}
