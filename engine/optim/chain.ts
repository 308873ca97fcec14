/**
 * Chainable gradient transformations over a parameter arena (the Optax idea, on the GPU):
 *
 *   const opt = chain(clipByGlobalNorm({ maxNorm: 1 }), coupledL2({ alpha: 1e-4 }), momentum({ lr: 0.02 }), proximalL1({ alpha: 1e-5 })).init(model.arena);
 *   opt.step();   // ONE fused dispatch (plus the clip's norm reduction when clipping)
 *
 * Each transformation is a small object: a kind, its coefficients and which parameters it touches
 * (by role, layer or name: engine/optim/select.ts). A chain has exactly one direction (sgd, momentum
 * or adam) and any of: global-norm clipping, coupled L2 (eq. 7.5), L1 by subgradient (eq. 7.20),
 * decoupled weight decay (AdamW), a proximal L1 step after the update (exact zeros), and custom
 * transforms that record their own dispatches on the gradients before the update. Whatever the
 * order given, they apply in the order of shaders/update_chain.wgsl: custom → clip → coupled
 * penalties → direction → decoupled decay → proximal L1. Penalties of the same kind add up.
 *
 * Coefficients and the learning rate can change between steps (`opt.lr = …`, `t.alpha = …`): the
 * chain rewrites its coefficient table (a few bytes per 64 parameters) and keeps the optimizer's
 * state (velocity, moments) as it is.
 */
import { keepTensor } from '../autograd/scope';
import { fill } from '../ops/elementwise';
import { sumOfSquares } from '../ops/reduce';
import { ArgumentError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Tensor } from '../runtime/tensor';
import type { ParamArena } from './arena';
import { UPDATE_VEC4S_PER_INVOCATION, type Optimizer } from './optimizers';
import { checkCoefficient, checkCoefficientSpec, resolveCoefficients, type Coefficient, type Selection } from './select';

const WG = 256;

/** The penalty kinds the fused kernel applies per parameter. */
export type PenaltyKind = 'l2' | 'l1' | 'decay' | 'prox';

/** Where each penalty kind sits in the fused update (and its column in the coefficient table). */
const PENALTY_COLUMN: Readonly<Record<PenaltyKind, number>> = { l2: 0, l1: 1, decay: 2, prox: 3 };

const PENALTY_NAME: Readonly<Record<PenaltyKind, string>> = {
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
  beta1?: number;
  beta2?: number;
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
  ) {
    this.lr = options.lr;
    this.momentum = checkUnit(rule, 'momentum', options.momentum ?? 0.9);
    this.beta1 = checkUnit(rule, 'beta1', options.beta1 ?? 0.9);
    this.beta2 = checkUnit(rule, 'beta2', options.beta2 ?? 0.999);
    this.eps = options.eps ?? 1e-8;
    if (!(Number.isFinite(this.eps) && this.eps > 0)) throw new ArgumentError(`${rule}: eps must be a finite number > 0, got ${this.eps}`);
  }

  /** Learning rate ε; may be changed between steps (schedules). */
  get lr(): number {
    return this.lrValue;
  }

  set lr(x: number) {
    this.lrValue = checkCoefficient(this.rule, 'lr', x);
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

/** Clip the gradient to a global L2 norm of at most `maxNorm` (before the penalties are added). */
export function clipByGlobalNorm(options: { maxNorm: number }): ClipTransform {
  return new ClipTransform(options.maxNorm);
}

/** Coupled L2: α·w added to the gradient before the direction (eq. 7.5 with SGD). */
export function coupledL2(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('l2', options);
}

/** L1 by subgradient: α·sign(w) added to the gradient (eq. 7.20): no exact zeros. */
export function l1Subgradient(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('l1', options);
}

/** Decoupled weight decay: w ← w − ε·α·w after the direction (AdamW's decay). */
export function decoupledWeightDecay(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('decay', options);
}

/** Proximal L1 after the update: w ← sign(w)·max(|w| − ε·α, 0): exact zeros. */
export function proximalL1(options: PenaltyOptions): PenaltyTransform {
  return new PenaltyTransform('prox', options);
}

/** Plain gradient descent. */
export function sgd(options: SgdOptions): DirectionTransform {
  return new DirectionTransform('sgd', options);
}

/** SGD with momentum (u ← μ·u + g; w ← w − ε·u). */
export function momentum(options: MomentumRuleOptions): DirectionTransform {
  return new DirectionTransform('momentum', options);
}

/** Adam (bias-corrected moments). */
export function adam(options: AdamRuleOptions): DirectionTransform {
  return new DirectionTransform('adam', options);
}

/** Adam with decoupled weight decay: `chain(adam(…), decoupledWeightDecay(…))`. */
export function adamw(options: AdamRuleOptions & { weightDecay: Coefficient } & Selection): Chain {
  return chain(adam(options), decoupledWeightDecay({ alpha: options.weightDecay, include: options.include, exclude: options.exclude }));
}

/** A custom transformation of the gradients (recorded before the fused update). */
export function customTransform(name: string, apply: (arena: ParamArena, step: number) => void): CustomTransform {
  if (typeof name !== 'string' || name === '') throw new ArgumentError(`customTransform: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof apply !== 'function') throw new ArgumentError(`customTransform ${name}: apply must be a function, got ${typeof apply}`);
  return new CustomTransform(name, apply);
}

/** A list of transformations, to be bound to an arena with {@link Chain.init}. */
export class Chain {
  readonly transforms: readonly GradientTransformation[];

  constructor(parts: readonly (GradientTransformation | Chain)[]) {
    this.transforms = parts.flatMap((p) => (p instanceof Chain ? p.transforms : [p]));
    const dirs = this.transforms.filter((t) => t instanceof DirectionTransform);
    if (dirs.length > 1)
      throw new ArgumentError(`chain: ${dirs.length} update directions (${dirs.map((d) => (d as DirectionTransform).rule).join(', ')}); a chain has one`);
    if (this.transforms.filter((t) => t instanceof ClipTransform).length > 1) throw new ArgumentError('chain: more than one clipByGlobalNorm');
  }

  /** The chain's direction, if it has one yet. */
  get direction(): DirectionTransform | undefined {
    return this.transforms.find((t): t is DirectionTransform => t instanceof DirectionTransform);
  }

  /** Binds the chain to `arena`: allocates the state of its direction and its coefficient table. */
  init(arena: ParamArena): ChainOptimizer {
    return new ChainOptimizer(arena, this);
  }
}

/** Joins transformations (and chains) into one chain. */
export function chain(...parts: (GradientTransformation | Chain)[]): Chain {
  return new Chain(parts);
}

/** A chain bound to an arena: the optimizer the training loop steps. */
export class ChainOptimizer implements Optimizer {
  private stepCount = 0;
  readonly direction: DirectionTransform;
  private readonly penalties: PenaltyTransform[];
  private readonly clip: ClipTransform | undefined;
  private readonly customs: CustomTransform[];
  private readonly table: Tensor<'u32'>;
  private readonly state: Record<string, Tensor<'f32'>> = {};
  private readonly dummy: Tensor<'f32'>;
  private seenVersions: number[];
  private columns: number[][];
  /** Vec4s per invocation of the fused kernel. */
  readonly vec4sPerInvocation: number;

  constructor(
    readonly arena: ParamArena,
    readonly chainSpec: Chain,
  ) {
    const dir = chainSpec.direction;
    if (!dir) throw new ArgumentError('chain: no update direction (add sgd, momentum or adam)');
    this.direction = dir;
    this.penalties = chainSpec.transforms.filter((t): t is PenaltyTransform => t instanceof PenaltyTransform);
    this.clip = chainSpec.transforms.find((t): t is ClipTransform => t instanceof ClipTransform);
    this.customs = chainSpec.transforms.filter((t): t is CustomTransform => t instanceof CustomTransform);
    this.vec4sPerInvocation = UPDATE_VEC4S_PER_INVOCATION[arena.rt.info.kind];
    this.columns = this.resolve();
    this.seenVersions = this.penalties.map((p) => p.version);
    this.table = keepTensor(arena.chunkTableColumns(this.columns));
    if (dir.rule === 'momentum') this.state.velocity = keepTensor(arena.zerosLike());
    if (dir.rule === 'adam') {
      this.state.m = keepTensor(arena.zerosLike());
      this.state.v = keepTensor(arena.zerosLike());
    }
    this.dummy = keepTensor(fill(arena.rt.empty([1]), 0));
  }

  /** Per-parameter coefficients of every penalty kind, columns in the kernel's order. */
  private resolve(): number[][] {
    const cols = [0, 1, 2, 3].map(() => this.arena.params.map(() => 0));
    for (const p of this.penalties) {
      const c = resolveCoefficients(this.arena, p.alpha, p.selection, p.name, 'alpha');
      const col = cols[PENALTY_COLUMN[p.kind]];
      c.forEach((x, i) => (col[i] += x));
    }
    const l1 = cols[PENALTY_COLUMN.l1];
    const prox = cols[PENALTY_COLUMN.prox];
    this.arena.params.forEach((p, i) => {
      if (l1[i] > 0 && prox[i] > 0) throw new ArgumentError(`chain: ${p.name} has L1 both by subgradient and proximal; pick one`);
    });
    return cols;
  }

  /** The resolved coefficient of each parameter for one penalty kind (reports, tests). */
  coefficients(kind: PenaltyKind): ReadonlyMap<string, number> {
    const col = this.columns[PENALTY_COLUMN[kind]];
    return new Map(this.arena.params.map((p, i) => [p.name, col[i]]));
  }

  /** Learning rate of the direction. */
  get lr(): number {
    return this.direction.lr;
  }

  set lr(x: number) {
    this.direction.lr = x;
  }

  /** Steps recorded so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Sets the step counter, when a checkpoint is restored (Adam's bias corrections read it). */
  setSteps(steps: number): void {
    if (!(Number.isSafeInteger(steps) && steps >= 0)) throw new ArgumentError(`ChainOptimizer.setSteps: steps must be an integer ≥ 0, got ${steps}`);
    this.stepCount = steps;
  }

  /** The direction's state in the arena's layout, by slot: `velocity` (momentum), `m` and `v` (adam), none for sgd. */
  stateTensors(): Readonly<Record<string, Tensor<'f32'>>> {
    return { ...this.state };
  }

  /** Dispatches one {@link step} records, custom transforms not counted. */
  get dispatchesPerStep(): number {
    if (!this.clip) return 1;
    // The clip's norm: reduction passes (the first squares on load) that each shrink the array 2,048-fold.
    let passes = 0;
    for (let n = this.arena.length; passes === 0 || n > 1; n = Math.ceil(n / 2048)) passes++;
    return 1 + passes;
  }

  /** Records the update of every parameter: custom transforms, then one fused dispatch. */
  step(): void {
    this.stepCount++;
    const a = this.arena;
    for (const c of this.customs) c.apply(a, this.stepCount);
    if (this.penalties.some((p, i) => p.version !== this.seenVersions[i])) {
      this.columns = this.resolve();
      this.seenVersions = this.penalties.map((p) => p.version);
      a.writeChunkTableColumns(this.table, this.columns);
    }
    let gnorm2: Tensor<'f32'> = this.dummy;
    if (this.clip) gnorm2 = sumOfSquares(a.grads);
    const d = this.direction;
    const t = this.stepCount;
    const bc = (beta: number): number => 1 - Math.fround(beta) ** t;
    const n4 = a.length / 4;
    const vpi = this.vec4sPerInvocation;
    a.rt.dispatch({
      shader: 'update_chain',
      entry: `chain_${d.rule}`,
      overrides: { WG, VPI: vpi },
      uniforms: {
        n4,
        lr: d.lr,
        momentum: d.momentum,
        beta1: d.beta1,
        beta2: d.beta2,
        eps: d.eps,
        bc1: d.rule === 'adam' ? bc(d.beta1) : 1,
        bc2: d.rule === 'adam' ? bc(d.beta2) : 1,
        max_norm: this.clip?.maxNorm ?? 0,
      },
      bindings: { coefs: this.table, gnorm2, w: a.values, g: a.grads, ...this.state },
      workgroups: grid1d(n4 / vpi, WG),
    });
    if (gnorm2 !== this.dummy) gnorm2.dispose();
  }

  /** Frees the state and the table (not the arena). */
  dispose(): void {
    this.table.dispose();
    this.dummy.dispose();
    for (const t of Object.values(this.state)) t.dispose();
  }
}
