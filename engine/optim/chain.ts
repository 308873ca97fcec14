/**
 * Chainable gradient transformations over a parameter arena (the Optax idea, on the GPU), applied
 * in the order the caller writes them:
 *
 *   const opt = chain(clipByGlobalNorm({ maxNorm: 1 }), coupledL2({ alpha: 1e-4 }), momentum({ lr: 0.02 }), proximalL1({ alpha: 1e-5 })).init(model.arena);
 *   opt.step();   // ONE fused dispatch (plus the clip's norm reduction when clipping)
 *
 * Per element, the update u starts as the gradient g. The transforms before the direction act on u:
 * clipByGlobalNorm (u ← c·u, c = min(1, maxNorm/‖g‖) from the norm of the raw gradient, so it comes
 * first), coupledL2 (u ← u + α·w), l1Subgradient (u ← u + α·sign(w)). The direction turns u into a
 * step already scaled by the learning rate ε (sgd: ε·u; momentum: v ← μv + u, ε·v; adam:
 * ε·m̂/(√v̂ + δ)), and w ← w − step. The transforms after it act, in order, on the new weights:
 * decoupledWeightDecay (w ← w − ε·α·w_old, w_old the weights before the step: AdamW's decay) and
 * proximalL1 (w ← soft-threshold(w, ε·α): exact zeros). Custom transforms record their own
 * dispatches on the gradients first. Orders that would give a name two meanings are refused with an
 * error naming the order (engine/optim/program.ts has the rules); penalties of one kind at one
 * position add up. The kernel's per-element program is shaders/update_chain.wgsl, specialized by
 * override constants: one pipeline per chain signature.
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
import { UPDATE_VEC4S_PER_INVOCATION, VPI_CHOICES, type Optimizer } from './optimizer';
import { compileChain, hasDirection, POST_SLOTS, PRE_SLOTS, SLOT_CODE, type ChainProgram, type Slot } from './program';
import { resolveCoefficients, type Coefficient, type Selection } from './select';
import {
  adam,
  ClipTransform,
  CustomTransform,
  decoupledWeightDecay,
  DirectionTransform,
  PenaltyTransform,
  type AdamRuleOptions,
  type GradientTransformation,
  type PenaltyKind,
} from './transforms';

export * from './transforms';

const WG = 256;

/** Adam with decoupled weight decay: `chain(adam(…), decoupledWeightDecay({ alpha, include, exclude }))`. */
export function adamw(options: AdamRuleOptions & { alpha: Coefficient } & Selection): Chain {
  return chain(adam(options), decoupledWeightDecay({ alpha: options.alpha, include: options.include, exclude: options.exclude }));
}

/** Options of {@link Chain.init}. */
export interface ChainInitOptions {
  /** Vec4s per invocation (1, 2, 4, 8 or 16); default {@link UPDATE_VEC4S_PER_INVOCATION} of the adapter. */
  vec4sPerInvocation?: number;
  /** How errors name the optimizer (the aliases of engine/optim/optimizers.ts pass their class name). */
  name?: string;
}

/** A list of transformations, to be bound to an arena with {@link Chain.init}. */
export class Chain {
  readonly transforms: readonly GradientTransformation[];

  constructor(parts: readonly (GradientTransformation | Chain)[]) {
    this.transforms = parts.flatMap((p) => (p instanceof Chain ? p.transforms : [p]));
    // A chain without a direction may be a part of a longer one; with one, its order is final.
    if (hasDirection(this.transforms)) compileChain(this.transforms);
    else if (this.transforms.filter((t) => t instanceof ClipTransform).length > 1) throw new ArgumentError('chain: more than one clipByGlobalNorm');
  }

  /** The chain's direction, if it has one yet. */
  get direction(): DirectionTransform | undefined {
    return this.transforms.find((t): t is DirectionTransform => t instanceof DirectionTransform);
  }

  /** Binds the chain to `arena`: allocates the state of its direction and its coefficient table. */
  init(arena: ParamArena, options: ChainInitOptions = {}): ChainOptimizer {
    return new ChainOptimizer(arena, this, options);
  }
}

/** Joins transformations (and chains) into one chain, applied in the order given. */
export function chain(...parts: (GradientTransformation | Chain)[]): Chain {
  return new Chain(parts);
}

/**
 * `base` (a direction or a chain) with `extra` transforms (a regularizer's) each placed where its
 * kind acts: custom transforms first, clipping next, coupledL2 and l1Subgradient just before the
 * direction, decoupledWeightDecay and proximalL1 at the end, each group in the order given.
 */
export function chainWith(base: DirectionTransform | Chain, extra: readonly GradientTransformation[]): Chain {
  const own = base instanceof Chain ? base.transforms : [base];
  const at = own.findIndex((t) => t instanceof DirectionTransform);
  const before = at < 0 ? own : own.slice(0, at);
  const after = at < 0 ? [] : own.slice(at);
  const custom = (t: GradientTransformation) => t instanceof CustomTransform;
  const clip = (t: GradientTransformation) => t instanceof ClipTransform;
  const onUpdate = (t: GradientTransformation) => t instanceof PenaltyTransform && (t.kind === 'l2' || t.kind === 'l1');
  const onWeights = (t: GradientTransformation) => t instanceof PenaltyTransform && (t.kind === 'decay' || t.kind === 'prox');
  return chain(
    ...before.filter(custom),
    ...extra.filter(custom),
    ...before.filter(clip),
    ...extra.filter(clip),
    ...before.filter(onUpdate),
    ...extra.filter(onUpdate),
    ...extra.filter((t) => t instanceof DirectionTransform),
    ...after,
    ...extra.filter(onWeights),
  );
}

/** The kernel's override constants of a program: the kind of every slot (0 where unused). */
function slotOverrides(program: ChainProgram): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < PRE_SLOTS; k++) out[`PRE${k}`] = SLOT_CODE[program.pre[k]?.kind ?? 'none'];
  for (let k = 0; k < POST_SLOTS; k++) out[`POST${k}`] = SLOT_CODE[program.post[k]?.kind ?? 'none'];
  return out;
}

/** A part of the arena one dispatch covers: all of it, or one parameter's views. */
interface Range {
  view(t: Tensor<'f32'>): Tensor<'f32'>;
  vec4s: number;
  table: Tensor<'u32'>;
}

/** A chain bound to an arena: the optimizer the training loop steps. */
export class ChainOptimizer implements Optimizer {
  private stepCount = 0;
  readonly direction: DirectionTransform;
  private readonly program: ChainProgram;
  /** The program's slots by column: PRE_SLOTS before the direction, then POST_SLOTS (undefined where unused). */
  private readonly slots: readonly (Slot | undefined)[];
  private readonly overrides: Record<string, number>;
  private readonly table: Tensor<'u32'>;
  private perTensorTables: Tensor<'u32'>[] | null = null;
  private readonly state: Record<string, Tensor<'f32'>> = {};
  private readonly dummy: Tensor<'f32'>;
  private seenVersions: number[];
  private columns: number[][];
  /** Vec4s per invocation of the fused kernel. */
  readonly vec4sPerInvocation: number;

  constructor(
    readonly arena: ParamArena,
    readonly chainSpec: Chain,
    options: ChainInitOptions = {},
  ) {
    // Everything that can be refused is checked before any GPU state exists (a refused optimizer leaks nothing).
    this.program = compileChain(chainSpec.transforms);
    this.direction = this.program.direction;
    const vpi = options.vec4sPerInvocation ?? UPDATE_VEC4S_PER_INVOCATION[arena.rt.info.kind];
    if (!VPI_CHOICES.includes(vpi))
      throw new ArgumentError(`${options.name ?? 'chain'}: vec4sPerInvocation must be one of ${VPI_CHOICES.join(', ')}, got ${vpi}`);
    this.vec4sPerInvocation = vpi;
    // The table's columns: PRE_SLOTS before the direction, then POST_SLOTS after it (zeros where unused).
    this.slots = [...Array.from({ length: PRE_SLOTS }, (_, k) => this.program.pre[k]), ...Array.from({ length: POST_SLOTS }, (_, k) => this.program.post[k])];
    this.overrides = { WG, VPI: vpi, ...slotOverrides(this.program) };
    this.columns = this.resolve();
    this.seenVersions = this.penalties.map((p) => p.version);
    this.table = keepTensor(arena.chunkTableColumns(this.columns));
    if (this.direction.rule === 'momentum') this.state.velocity = keepTensor(arena.zerosLike());
    if (this.direction.rule === 'adam') {
      this.state.m = keepTensor(arena.zerosLike());
      this.state.v = keepTensor(arena.zerosLike());
    }
    this.dummy = keepTensor(fill(arena.rt.empty([1]), 0));
  }

  private get penalties(): PenaltyTransform[] {
    return [...this.program.pre, ...this.program.post].flatMap((s) => s.penalties);
  }

  /** Per-parameter coefficients of every slot (a sum over its penalties), one column per slot. */
  private resolve(): number[][] {
    const a = this.arena;
    const cols = this.slots.map((slot) => {
      const col = a.params.map(() => 0);
      for (const p of slot?.penalties ?? []) resolveCoefficients(a, p.alpha, p.selection, p.name, 'alpha').forEach((x, i) => (col[i] += x));
      return col;
    });
    const sum = (kind: PenaltyKind) => this.columnOf(cols, kind);
    const l1 = sum('l1');
    const prox = sum('prox');
    a.params.forEach((p, i) => {
      if (l1[i] > 0 && prox[i] > 0) throw new ArgumentError(`chain: ${p.name} has L1 both by subgradient and proximal; pick one`);
    });
    return cols;
  }

  /** The sum of the columns of every slot of one kind. */
  private columnOf(cols: readonly (readonly number[])[], kind: PenaltyKind): number[] {
    const out = this.arena.params.map(() => 0);
    this.slots.forEach((s, k) => {
      if (s?.kind === kind) cols[k].forEach((x, i) => (out[i] += x));
    });
    return out;
  }

  /** The resolved coefficient of each parameter for one penalty kind, summed over its slots (reports, tests). */
  coefficients(kind: PenaltyKind): ReadonlyMap<string, number> {
    const col = this.columnOf(this.columns, kind);
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
    if (!this.program.clip) return 1;
    // The clip's norm: reduction passes (the first squares on load) that each shrink the array 2,048-fold.
    let passes = 0;
    for (let n = this.arena.length; passes === 0 || n > 1; n = Math.ceil(n / 2048)) passes++;
    return 1 + passes;
  }

  /** Records the update of every parameter: custom transforms, then one fused dispatch. */
  step(): void {
    const gnorm2 = this.begin();
    const a = this.arena;
    this.record({ view: (t) => t, vec4s: a.length / 4, table: this.table }, gnorm2);
    if (gnorm2 !== this.dummy) gnorm2.dispose();
  }

  /**
   * The same update as {@link step}, dispatched once per parameter (views of the arena, each with
   * the coefficient table of its parameter alone): the baseline the fused update is measured
   * against, and a check of it (the same element-wise arithmetic, so the same bits).
   */
  stepPerTensor(): void {
    const gnorm2 = this.begin();
    const a = this.arena;
    this.perTensorTables ??= a.params.map((p) => keepTensor(a.chunkTableColumns(this.columns, p)));
    const tables = this.perTensorTables;
    for (const p of a.params) {
      const views: Tensor[] = [];
      const view = (t: Tensor<'f32'>): Tensor<'f32'> => {
        const v = a.rt.slice(t, p.offset * 4, [p.paddedSize]);
        views.push(v);
        return v;
      };
      this.record({ view, vec4s: p.paddedSize / 4, table: tables[p.index] }, gnorm2);
      for (const v of views) v.dispose();
    }
    if (gnorm2 !== this.dummy) gnorm2.dispose();
  }

  /** Counts the step, runs the custom transforms, refreshes changed coefficients; returns ‖g‖² (or a dummy). */
  private begin(): Tensor<'f32'> {
    this.stepCount++;
    const a = this.arena;
    for (const c of this.program.customs) c.apply(a, this.stepCount);
    const penalties = this.penalties;
    if (penalties.some((p, i) => p.version !== this.seenVersions[i])) {
      this.columns = this.resolve();
      this.seenVersions = penalties.map((p) => p.version);
      a.writeChunkTableColumns(this.table, this.columns);
      this.perTensorTables?.forEach((t, i) => a.writeChunkTableColumns(t, this.columns, a.params[i]));
    }
    return this.program.clip ? sumOfSquares(a.grads) : this.dummy;
  }

  /** Records one dispatch of shaders/update_chain.wgsl over `range`. */
  private record(range: Range, gnorm2: Tensor<'f32'>): void {
    const d = this.direction;
    const t = this.stepCount;
    // Bias corrections 1 − βᵗ in f64 on the host, from the f32 value of β the shader's moments use.
    const bc = (beta: number): number => 1 - Math.fround(beta) ** t;
    const state: Record<string, Tensor<'f32'>> = {};
    for (const [slot, s] of Object.entries(this.state)) state[slot] = range.view(s);
    this.arena.rt.dispatch({
      shader: 'update_chain',
      entry: `chain_${d.rule}`,
      overrides: this.overrides,
      uniforms: {
        n4: range.vec4s,
        lr: d.lr,
        momentum: d.momentum,
        beta1: d.beta1,
        beta2: d.beta2,
        eps: d.eps,
        bc1: d.rule === 'adam' ? bc(d.beta1) : 1,
        bc2: d.rule === 'adam' ? bc(d.beta2) : 1,
        max_norm: this.program.clip?.maxNorm ?? 0,
      },
      bindings: { coefs: range.table, gnorm2, w: range.view(this.arena.values), g: range.view(this.arena.grads), ...state },
      workgroups: grid1d(range.vec4s / this.vec4sPerInvocation, WG),
    });
  }

  /** Frees the state and the tables (not the arena). */
  dispose(): void {
    this.table.dispose();
    this.perTensorTables?.forEach((t) => t.dispose());
    this.perTensorTables = null;
    this.dummy.dispose();
    for (const t of Object.values(this.state)) t.dispose();
  }
}
