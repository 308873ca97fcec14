/**
 * The gradient transformations a chain is made of (engine/optim/chain.ts joins them, in the order
 * written): a direction (sgd, momentum, adam), global-norm clipping, four penalties and custom
 * transforms. Each is a small object holding its kind, its coefficients (changeable between steps)
 * and which parameters it touches (engine/optim/select.ts); none does any GPU work by itself.
 */
import { ArgumentError } from '../runtime/errors';
import type { ParamArena } from './arena';
import { checkCoefficient, checkCoefficientSpec, type Coefficient, type Selection } from './select';

/**
 * The penalty kinds: `l2` and `l1` act on the update before the direction (coupledL2,
 * l1Subgradient), `decay` and `prox` on the new weights after it (decoupledWeightDecay, proximalL1).
 */
export type PenaltyKind = 'l2' | 'l1' | 'decay' | 'prox';

/** The factory that makes each kind: the name errors and reports use. */
export const PENALTY_NAME: Readonly<Record<PenaltyKind, string>> = {
  l2: 'coupledL2',
  l1: 'l1Subgradient',
  decay: 'decoupledWeightDecay',
  prox: 'proximalL1',
};

/** Anything a chain holds. */
export type GradientTransformation = PenaltyTransform | ClipTransform | DirectionTransform | CustomTransform;

/** Options of the penalty transformations: a coefficient and the parameters it applies to (default: the weights). */
export interface PenaltyOptions extends Selection {
  alpha: Coefficient;
}

/** A per-parameter penalty: coupled L2, L1 subgradient, decoupled decay or proximal L1. */
export class PenaltyTransform {
  readonly type = 'penalty';
  private value: Coefficient;
  /** Bumped on every change of {@link alpha}. */
  version = 0;
  /** The parameters it applies to. */
  readonly selection: Selection;

  constructor(
    readonly kind: PenaltyKind,
    options: PenaltyOptions,
  ) {
    checkCoefficientSpec(PENALTY_NAME[kind], 'alpha', options.alpha);
    this.value = options.alpha;
    this.selection = { include: options.include, exclude: options.exclude };
  }

  /** The coefficient α; may be changed between steps. */
  get alpha(): Coefficient {
    return this.value;
  }

  set alpha(a: Coefficient) {
    checkCoefficientSpec(PENALTY_NAME[this.kind], 'alpha', a);
    this.value = a;
    this.version++;
  }

  /** The name of the factory that makes this kind. */
  get name(): string {
    return PENALTY_NAME[this.kind];
  }
}

/** Clipping of the whole gradient to a global L2 norm. */
export class ClipTransform {
  readonly type = 'clip';
  readonly name = 'clipByGlobalNorm';
  private value: number;

  constructor(maxNorm: number) {
    this.value = ClipTransform.check(maxNorm);
  }

  private static check(x: number): number {
    if (!(Number.isFinite(x) && x > 0)) throw new ArgumentError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${x}`);
    return x;
  }

  /** The largest global norm let through; may be changed between steps. */
  get maxNorm(): number {
    return this.value;
  }

  set maxNorm(x: number) {
    this.value = ClipTransform.check(x);
  }
}

/** The direction rules of the fused kernel. */
export type DirectionRule = 'sgd' | 'momentum' | 'adam';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Learning rate ε ≥ 0. */
  lr: number;
}

/** Options of {@link momentum}. */
export interface MomentumRuleOptions extends SgdOptions {
  /** μ in [0, 1); default 0.9. */
  momentum?: number;
}

/** Options of {@link adam}. */
export interface AdamRuleOptions extends SgdOptions {
  /** β₁ in [0, 1); default 0.9. */
  beta1?: number;
  /** β₂ in [0, 1); default 0.999. */
  beta2?: number;
  /** δ > 0 added to √v̂; default 1e-8. */
  eps?: number;
}

function checkUnit(where: string, what: string, x: number): number {
  if (!(Number.isFinite(x) && x >= 0 && x < 1)) throw new ArgumentError(`${where}: ${what} must be in [0, 1), got ${x}`);
  return x;
}

/** The update direction: SGD, momentum or Adam, with its learning rate. */
export class DirectionTransform {
  readonly type = 'direction';
  private lrValue = 0;
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(
    readonly rule: DirectionRule,
    options: AdamRuleOptions & MomentumRuleOptions,
    /** How errors name it (the optimizer aliases pass their class name). */
    readonly name: string = rule,
  ) {
    this.lr = options.lr;
    this.momentum = checkUnit(name, 'momentum', options.momentum ?? 0.9);
    this.beta1 = checkUnit(name, 'beta1', options.beta1 ?? 0.9);
    this.beta2 = checkUnit(name, 'beta2', options.beta2 ?? 0.999);
    this.eps = options.eps ?? 1e-8;
    if (!(Number.isFinite(this.eps) && this.eps > 0)) throw new ArgumentError(`${name}: eps must be a finite number > 0, got ${this.eps}`);
  }

  /** Learning rate ε; may be changed between steps (schedules). */
  get lr(): number {
    return this.lrValue;
  }

  set lr(x: number) {
    this.lrValue = checkCoefficient(this.name, 'lr', x);
  }
}

/** A transformation that records its own dispatches on the arena's gradients before the update. */
export class CustomTransform {
  readonly type = 'custom';

  constructor(
    readonly name: string,
    /** Records work on `arena.grads` (in place) for step number `step` (1-based). */
    readonly apply: (arena: ParamArena, step: number) => void,
  ) {}
}

/** Clip the gradient to a global L2 norm of at most `maxNorm`: u ← c·u, first in a chain (after custom transforms). */
export function clipByGlobalNorm(options: { maxNorm: number }): ClipTransform {
  return new ClipTransform(options.maxNorm);
}

/** Coupled L2, before the direction: u ← u + α·w (eq. 7.5 with SGD). */
export function coupledL2(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('l2', options);
}

/** L1 by subgradient, before the direction: u ← u + α·sign(w) (eq. 7.20): no exact zeros. */
export function l1Subgradient(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('l1', options);
}

/** Decoupled weight decay, after the direction: w ← w − ε·α·w_old, w_old the weights before the step (AdamW's decay). */
export function decoupledWeightDecay(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('decay', options);
}

/** Proximal L1, after the direction: w ← sign(w)·max(|w| − ε·α, 0): exact zeros. */
export function proximalL1(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('prox', options);
}

/** Plain gradient descent: the step is ε·u. */
export function sgd(options: SgdOptions): DirectionTransform {
  return new DirectionTransform('sgd', options);
}

/** SGD with momentum: v ← μ·v + u, the step is ε·v (PyTorch's convention: v starts at 0, no dampening). */
export function momentum(options: MomentumRuleOptions): DirectionTransform {
  return new DirectionTransform('momentum', options);
}

/** Adam (bias-corrected moments of u): the step is ε·m̂/(√v̂ + δ). */
export function adam(options: AdamRuleOptions): DirectionTransform {
  return new DirectionTransform('adam', options);
}

/** A custom transformation of the gradients: it records its own dispatches, first in the chain. */
export function customTransform(name: string, apply: (arena: ParamArena, step: number) => void): CustomTransform {
  if (typeof name !== 'string' || name === '') throw new ArgumentError(`customTransform: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof apply !== 'function') throw new ArgumentError(`customTransform ${name}: apply must be a function, got ${typeof apply}`);
  return new CustomTransform(name, apply);
}
