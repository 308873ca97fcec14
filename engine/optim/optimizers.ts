/**
 * Optimizers over a {@link ParamArena}: SGD, momentum, Adam, AdamW (shaders/optim.wgsl) and the L1
 * proximal step (shaders/soft_threshold.wgsl). `step()` records ONE dispatch that updates every
 * parameter with its own decay coefficient, and reads nothing back; the update runs when the
 * runtime's batch is submitted. The rules and their conventions are written out in the shaders.
 *
 * Coefficients (`weightDecay`, `l1`): a number is the global α of the weights; biases get 0 and a
 * parameter spec's `l2` overrides the decay. A function of the parameter gives per-layer α (and
 * decides alone: it sees the spec's `role`, `layer` and `l2`).
 * `lr` may be changed between steps (schedules); the coefficients are fixed at construction.
 */
import type { AdapterKind } from '../runtime/device';
import { keepTensor } from '../autograd/scope';
import { ArgumentError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Tensor } from '../runtime/tensor';
import type { ParamArena, PerParam } from './arena';

const WG = 256;

/**
 * Vec4s each invocation of the update kernels handles (their `VPI` constant), per kind of adapter.
 * Timed side by side on the arena of a 784-512-512-10 MLP: 16 on SwiftShader and 2 on lavapipe
 * were the fastest for both SGD and AdamW (shaders/optim.wgsl says why); real GPUs (untested here)
 * get 1, so that neighbouring invocations read neighbouring memory.
 */
export const UPDATE_VEC4S_PER_INVOCATION: Readonly<Record<AdapterKind, number>> = { lavapipe: 2, swiftshader: 16, other: 1 };

/** The values `VPI` may take: divisors of a chunk's 16 vec4s. */
const VPI_CHOICES = [1, 2, 4, 8, 16];

/** Options every rule takes. */
export interface OptimizerOptions {
  /** Learning rate ε. */
  lr: number;
  /** Coupled L2 (SGD, momentum, Adam) or decoupled decay (AdamW) coefficient α; default 0. */
  weightDecay?: PerParam;
  /** Vec4s per invocation (1, 2, 4, 8 or 16); default {@link UPDATE_VEC4S_PER_INVOCATION} of the adapter. */
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

/** Options of {@link ProximalL1}. */
export interface ProximalL1Options {
  lr: number;
  /** L1 coefficient α (threshold ε·α per step); biases get 0 unless a function says otherwise. */
  l1: PerParam;
  /** As in {@link OptimizerOptions}. */
  vec4sPerInvocation?: number;
}

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

/** A contiguous part of the arena a dispatch covers: all of it, or one parameter. */
interface Range {
  /** Binds the part of an arena-layout tensor the dispatch covers. */
  view(t: Tensor<'f32'>): Tensor<'f32'>;
  /** Vec4s in the part: a multiple of a chunk's 16, so that every run of VPI lies inside it. */
  vec4s: number;
  /** The chunk table of that part (see ParamArena.chunkTable). */
  chunks: Tensor<'u32'>;
  /** The kernels' `VPI`. */
  vpi: number;
}

function checkRate(what: string, x: number, lo: number, hi: number, hiOpen: boolean): number {
  const ok = Number.isFinite(x) && x >= lo && (hiOpen ? x < hi : x <= hi);
  if (!ok) throw new ArgumentError(`${what} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${x}`);
  return x;
}

/** The shared machinery: segment tables, the fused dispatch, and a one-dispatch-per-parameter twin. */
abstract class ArenaOptimizer implements Optimizer {
  private stepCount = 0;
  private lrValue = 0;
  private readonly chunks: Tensor<'u32'>;
  private readonly coefficients: number[];
  private perTensorChunks: Tensor<'u32'>[] | null = null;
  /** Vec4s per invocation of the update kernel (its `VPI` constant). */
  readonly vec4sPerInvocation: number;

  protected constructor(
    readonly arena: ParamArena,
    private readonly name: string,
    lr: number,
    coefficients: number[],
    vec4sPerInvocation: number | undefined,
    /** The rule's own hyper-parameter checks, run before any GPU state exists (a refused optimizer leaks nothing). */
    check: () => void = () => undefined,
  ) {
    check();
    this.lr = lr;
    const vpi = vec4sPerInvocation ?? UPDATE_VEC4S_PER_INVOCATION[arena.rt.info.kind];
    if (!VPI_CHOICES.includes(vpi)) throw new ArgumentError(`${name}: vec4sPerInvocation must be one of ${VPI_CHOICES.join(', ')}, got ${vpi}`);
    this.vec4sPerInvocation = vpi;
    this.coefficients = coefficients;
    this.chunks = arena.chunkTable(coefficients);
  }

  /** Steps recorded so far. */
  get steps(): number {
    return this.stepCount;
  }

  setSteps(steps: number): void {
    if (!(Number.isSafeInteger(steps) && steps >= 0)) throw new ArgumentError(`${this.name}.setSteps: steps must be an integer ≥ 0, got ${steps}`);
    this.stepCount = steps;
  }

  /** The state tensors by slot (see {@link Optimizer.stateTensors}). */
  abstract stateTensors(): Readonly<Record<string, Tensor<'f32'>>>;

  /** Learning rate ε; a finite number ≥ 0, read when a step is recorded. */
  get lr(): number {
    return this.lrValue;
  }

  set lr(value: number) {
    this.lrValue = checkRate(`${this.name}: lr`, value, 0, Number.MAX_VALUE, false);
  }

  /** Records the update of every parameter: one dispatch. */
  step(): void {
    this.stepCount++;
    const a = this.arena;
    this.record({ view: (t) => t, vec4s: a.length / 4, chunks: this.chunks, vpi: this.vec4sPerInvocation });
  }

  /**
   * The same update as {@link step}, dispatched once per parameter (views of the arena, each with
   * the chunk table of its parameter alone): the baseline the fused update is measured against,
   * and a check of it.
   */
  stepPerTensor(): void {
    this.stepCount++;
    const a = this.arena;
    this.perTensorChunks ??= a.params.map((p) => keepTensor(a.chunkTable(this.coefficients, p)));
    const tables = this.perTensorChunks;
    for (const p of a.params) {
      const views: Tensor[] = [];
      const view = (t: Tensor<'f32'>): Tensor<'f32'> => {
        const v = a.rt.slice(t, p.offset * 4, [p.paddedSize]);
        views.push(v);
        return v;
      };
      this.record({ view, vec4s: p.paddedSize / 4, chunks: tables[p.index], vpi: this.vec4sPerInvocation });
      for (const v of views) v.dispose();
    }
  }

  /** Records one dispatch of the rule over `range`. */
  protected abstract record(range: Range): void;

  /** Frees state tensors of the rule. */
  protected abstract disposeState(): void;

  dispose(): void {
    this.chunks.dispose();
    this.perTensorChunks?.forEach((t) => t.dispose());
    this.perTensorChunks = null;
    this.disposeState();
  }
}

type OptimEntry = 'sgd' | 'momentum' | 'adam' | 'adamw';

/** Records one dispatch of shaders/optim.wgsl; unused uniforms are 0. */
function recordOptim(
  arena: ParamArena,
  entry: OptimEntry,
  range: Range,
  state: Record<string, Tensor>,
  u: { lr: number; momentum?: number; beta1?: number; beta2?: number; eps?: number; bc1?: number; bc2?: number },
): void {
  arena.rt.dispatch({
    shader: 'optim',
    entry,
    overrides: { WG, VPI: range.vpi },
    uniforms: {
      n4: range.vec4s,
      lr: u.lr,
      momentum: u.momentum ?? 0,
      beta1: u.beta1 ?? 0,
      beta2: u.beta2 ?? 0,
      eps: u.eps ?? 0,
      bc1: u.bc1 ?? 1,
      bc2: u.bc2 ?? 1,
    },
    bindings: { chunks: range.chunks, w: range.view(arena.values), g: range.view(arena.grads), ...state },
    workgroups: grid1d(range.vec4s / range.vpi, WG),
  });
}

/** Plain SGD with coupled L2: w ← (1 − εα)·w − ε·g (eq. 7.5). */
export class SGD extends ArenaOptimizer {
  constructor(arena: ParamArena, options: OptimizerOptions) {
    super(arena, 'SGD', options.lr, arena.coefficients(options.weightDecay ?? 0, 'l2'), options.vec4sPerInvocation);
  }

  protected record(range: Range): void {
    recordOptim(this.arena, 'sgd', range, {}, { lr: this.lr });
  }

  stateTensors(): Readonly<Record<string, Tensor<'f32'>>> {
    return {};
  }

  protected disposeState(): void {}
}

/** SGD with momentum: u ← μ·u + g + α·w; w ← w − ε·u (PyTorch's convention; u starts at 0). */
export class Momentum extends ArenaOptimizer {
  readonly momentum: number;
  /** The velocity u, in the arena's layout. */
  readonly velocity: Tensor<'f32'>;

  constructor(arena: ParamArena, options: MomentumOptions) {
    const mu = (): number => checkRate('Momentum: momentum', options.momentum ?? 0.9, 0, 1, true);
    super(arena, 'Momentum', options.lr, arena.coefficients(options.weightDecay ?? 0, 'l2'), options.vec4sPerInvocation, mu);
    this.momentum = mu();
    this.velocity = arena.zerosLike();
  }

  protected record(range: Range): void {
    recordOptim(this.arena, 'momentum', range, { velocity: range.view(this.velocity) }, { lr: this.lr, momentum: this.momentum });
  }

  stateTensors(): Readonly<Record<string, Tensor<'f32'>>> {
    return { velocity: this.velocity };
  }

  protected disposeState(): void {
    this.velocity.dispose();
  }
}

/** The shared part of Adam and AdamW: moments and hyper-parameters. */
abstract class AdamBase extends ArenaOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** First moment m, in the arena's layout. */
  readonly m: Tensor<'f32'>;
  /** Second moment v, in the arena's layout. */
  readonly v: Tensor<'f32'>;

  protected constructor(
    arena: ParamArena,
    name: string,
    private readonly entry: 'adam' | 'adamw',
    options: AdamOptions,
  ) {
    const hyper = () => {
      const eps = options.eps ?? 1e-8;
      if (!(Number.isFinite(eps) && eps > 0)) throw new ArgumentError(`${name}: eps must be a finite number > 0, got ${eps}`);
      return {
        beta1: checkRate(`${name}: beta1`, options.beta1 ?? 0.9, 0, 1, true),
        beta2: checkRate(`${name}: beta2`, options.beta2 ?? 0.999, 0, 1, true),
        eps,
      };
    };
    super(arena, name, options.lr, arena.coefficients(options.weightDecay ?? 0, 'l2'), options.vec4sPerInvocation, hyper);
    ({ beta1: this.beta1, beta2: this.beta2, eps: this.eps } = hyper());
    this.m = arena.zerosLike();
    this.v = arena.zerosLike();
  }

  protected record(range: Range): void {
    // Bias corrections 1 − βᵗ from the step counter t (already counted), in f64 on the host, from
    // the f32 value of β the shader's moment updates use, so that both sides agree.
    const t = this.steps;
    const bc = (beta: number) => 1 - Math.fround(beta) ** t;
    const u = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, bc1: bc(this.beta1), bc2: bc(this.beta2) };
    recordOptim(this.arena, this.entry, range, { m: range.view(this.m), v: range.view(this.v) }, u);
  }

  stateTensors(): Readonly<Record<string, Tensor<'f32'>>> {
    return { m: this.m, v: this.v };
  }

  protected disposeState(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

/** Adam with coupled L2: the decay α·w is added to the gradient before the moments. */
export class Adam extends AdamBase {
  constructor(arena: ParamArena, options: AdamOptions) {
    super(arena, 'Adam', 'adam', options);
  }
}

/**
 * AdamW: Adam on the raw gradient plus decoupled decay, w ← w − ε·(m̂/(√v̂ + δ) + α·w); the decay
 * is scaled by the learning rate (as PyTorch's AdamW; Loshchilov & Hutter's schedule multiplier
 * is the learning rate here).
 */
export class AdamW extends AdamBase {
  constructor(arena: ParamArena, options: AdamOptions) {
    super(arena, 'AdamW', 'adamw', options);
  }
}

/**
 * Proximal gradient descent for L1 (ISTA): w ← prox_{ε·α}(w − ε·g), the soft threshold of
 * shaders/soft_threshold.wgsl over the whole arena in one dispatch. Weights whose step lands within
 * ε·α of zero become exactly zero; biases (α = 0 by default) take a plain gradient step.
 */
export class ProximalL1 extends ArenaOptimizer {
  constructor(arena: ParamArena, options: ProximalL1Options) {
    super(arena, 'ProximalL1', options.lr, arena.coefficients(options.l1, 'l1'), options.vec4sPerInvocation);
  }

  protected record(range: Range): void {
    this.arena.rt.dispatch({
      shader: 'soft_threshold',
      entry: 'prox_step_arena',
      overrides: { WG, VPI: range.vpi },
      uniforms: { n: range.vec4s, tau: 0, lr: this.lr },
      bindings: { chunks: range.chunks, w4: range.view(this.arena.values), g4: range.view(this.arena.grads) },
      workgroups: grid1d(range.vec4s / range.vpi, WG),
    });
  }

  stateTensors(): Readonly<Record<string, Tensor<'f32'>>> {
    return {};
  }

  protected disposeState(): void {}
}
