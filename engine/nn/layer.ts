/**
 * What a layer is: it declares its parameters before any exist (so a model can put them all in one
 * arena), receives them as Vars once they do, gives their initial values, and maps a Var forward.
 */
import type { SeededRng } from '../data/rng';
import type { Var } from '../autograd/var';
import type { ParamSpec } from '../optim/arena';

/** Per-call state of a forward pass. */
export interface ForwardContext {
  /** Training mode: dropout drops; evaluation mode: it passes through. */
  training: boolean;
  /** The training step, which keys this step's random masks (a fresh mask every step). */
  step: number;
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
}
