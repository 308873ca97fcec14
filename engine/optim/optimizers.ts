/**
 * The classic optimizers as one-line aliases of chains (engine/optim/chain.ts): one stack, one
 * kernel (shaders/update_chain.wgsl), one name per coefficient.
 *
 *   SGD        chain(coupledL2(α), sgd)              w ← w − ε·(g + α·w)          (eq. 7.5)
 *   Momentum   chain(coupledL2(α), momentum)         v ← μ·v + g + α·w;  w ← w − ε·v
 *   Adam       chain(coupledL2(α), adam)             the decay goes through the moments
 *   AdamW      chain(adam, decoupledWeightDecay(α))  w ← w − ε·m̂/(√v̂ + δ) − ε·α·w_old
 *   ProximalL1 chain(sgd, proximalL1(α))             w ← prox_{ε·α}(w − ε·g): exact zeros
 *
 * The coefficient `alpha` (a {@link PerParam}) keeps the classes' rule: a number is the global α of
 * the weights, biases and scales get 0, and for the L2 kinds a parameter spec's own `l2` overrides
 * it; a function of the parameter decides alone. `lr` may change between steps (schedules).
 */
import { ArgumentError } from '../runtime/errors';
import type { ParamArena, PerParam } from './arena';
import { chain, ChainOptimizer } from './chain';
import { coupledL2, decoupledWeightDecay, DirectionTransform, proximalL1, type DirectionRule, type PenaltyOptions, type PenaltyTransform } from './transforms';

export { UPDATE_VEC4S_PER_INVOCATION, type Optimizer } from './optimizer';

/** Options every alias takes. */
export interface OptimizerOptions {
  /** Learning rate ε. */
  lr: number;
  /** The penalty's coefficient α (coupled L2, decoupled decay for AdamW, L1 for ProximalL1); default 0. */
  alpha?: PerParam;
  /** Vec4s per invocation (1, 2, 4, 8 or 16); default the adapter's (engine/optim/optimizer.ts). */
  vec4sPerInvocation?: number;
}

/** Options of {@link Momentum}. */
export interface MomentumOptions extends OptimizerOptions {
  /** μ in [0, 1); default 0.9. */
  momentum?: number;
}

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends OptimizerOptions {
  /** β₁ in [0, 1); default 0.9. */
  beta1?: number;
  /** β₂ in [0, 1); default 0.999. */
  beta2?: number;
  /** δ > 0 added to √v̂; default 1e-8. */
  eps?: number;
}

/** Options of {@link ProximalL1}: the L1 coefficient α is required (threshold ε·α per step). */
export interface ProximalL1Options extends OptimizerOptions {
  alpha: PerParam;
}

/** The penalty of an alias: α per parameter by the classes' rule, given to the chain as a function over every parameter. */
function penalty(arena: ParamArena, make: (o: PenaltyOptions) => PenaltyTransform, alpha: PerParam | undefined, kind: 'l1' | 'l2'): PenaltyTransform {
  const c = arena.coefficients(alpha ?? 0, kind);
  return make({ alpha: (p) => c[p.index], include: () => true });
}

/** The direction of an alias, its learning rate checked first so that errors read as before (`SGD: lr must be in [0, …]`). */
function direction(name: string, rule: DirectionRule, o: OptimizerOptions & MomentumOptions & AdamOptions): DirectionTransform {
  if (!(Number.isFinite(o.lr) && o.lr >= 0)) throw new ArgumentError(`${name}: lr must be in [0, ${Number.MAX_VALUE}], got ${o.lr}`);
  return new DirectionTransform(rule, o, name);
}

/** Plain SGD with coupled L2: `chain(coupledL2({ alpha }), sgd({ lr }))`. */
export class SGD extends ChainOptimizer {
  constructor(arena: ParamArena, o: OptimizerOptions) {
    super(arena, chain(penalty(arena, coupledL2, o.alpha, 'l2'), direction('SGD', 'sgd', o)), { ...o, name: 'SGD' });
  }
}

/** SGD with momentum and coupled L2: `chain(coupledL2({ alpha }), momentum({ lr, momentum }))`. */
export class Momentum extends ChainOptimizer {
  constructor(arena: ParamArena, o: MomentumOptions) {
    super(arena, chain(penalty(arena, coupledL2, o.alpha, 'l2'), direction('Momentum', 'momentum', o)), { ...o, name: 'Momentum' });
  }
}

/** Adam with coupled L2 (the decay goes through the moments): `chain(coupledL2({ alpha }), adam(…))`. */
export class Adam extends ChainOptimizer {
  constructor(arena: ParamArena, o: AdamOptions) {
    super(arena, chain(penalty(arena, coupledL2, o.alpha, 'l2'), direction('Adam', 'adam', o)), { ...o, name: 'Adam' });
  }
}

/** AdamW, decoupled decay scaled by the learning rate as in PyTorch: `chain(adam(…), decoupledWeightDecay({ alpha }))`. */
export class AdamW extends ChainOptimizer {
  constructor(arena: ParamArena, o: AdamOptions) {
    super(arena, chain(direction('AdamW', 'adam', o), penalty(arena, decoupledWeightDecay, o.alpha, 'l2')), { ...o, name: 'AdamW' });
  }
}

/** Proximal gradient descent for L1 (ISTA): `chain(sgd({ lr }), proximalL1({ alpha }))`; biases (α = 0) take a plain step. */
export class ProximalL1 extends ChainOptimizer {
  constructor(arena: ParamArena, o: ProximalL1Options) {
    super(arena, chain(direction('ProximalL1', 'sgd', o), penalty(arena, proximalL1, o.alpha, 'l1')), { ...o, name: 'ProximalL1' });
  }
}
