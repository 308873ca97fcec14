/**
 * Parameter norm penalties (chapter 7.1) as gradient transformations fused into the optimizer's
 * update (one dispatch with the update itself: shaders/update_chain.wgsl), and max-norm as a
 * projection after the update.
 *
 *   l2({ alpha })                          coupled: α·w added to the gradient (eq. 7.5 with SGD)
 *   l2({ alpha, mode: 'decoupled' })       decoupled decay w ← w − ε·α·w after the update (AdamW)
 *   l1({ alpha })                          proximal: soft threshold by ε·α after the update (exact zeros)
 *   l1({ alpha, method: 'subgradient' })   α·sign(w) added to the gradient (eq. 7.20)
 *   elasticNet({ l1, l2 })                 both
 *   maxNorm({ c })                         each unit's incoming weight vector projected to norm ≤ c
 *
 * α is a number, `{ byLayer: { fc1: …, fc2: … }, default? }` or a function of the parameter;
 * biases (and batch-norm scales) are excluded unless `include` says otherwise. `alpha` can be
 * changed during training (a slider): the optimizer picks it up at its next step, state intact.
 */
import {
  ArgumentError,
  coupledL2,
  decoupledWeightDecay,
  isSelected,
  l1Subgradient,
  maxNormProject,
  proximalL1,
  type Coefficient,
  type ParamArena,
  type PenaltyTransform,
  type Selection,
  type Sequential,
  type Tensor,
} from '../engine/index';
import { positive } from './check';
import type { Regularizer, SetupContext } from './types';

/** Options of the penalties: α and which parameters (default: weights only). */
export interface PenaltyConfig extends Selection {
  alpha: Coefficient;
}

/** A penalty regularizer: its transformation, with α readable and settable. */
export interface PenaltyRegularizer extends Regularizer {
  readonly transform: PenaltyTransform;
  alpha: Coefficient;
}

function penalty(name: string, transform: PenaltyTransform): PenaltyRegularizer {
  return {
    name,
    transform,
    transforms: [transform],
    get alpha(): Coefficient {
      return transform.alpha;
    },
    set alpha(a: Coefficient) {
      transform.alpha = a;
    },
  };
}

/** L2 weight decay: coupled (default, eq. 7.5) or decoupled (`mode: 'decoupled'`). */
export function l2(config: PenaltyConfig & { mode?: 'coupled' | 'decoupled' }): PenaltyRegularizer {
  const mode = config.mode ?? 'coupled';
  if (mode !== 'coupled' && mode !== 'decoupled') throw new ArgumentError(`l2: mode must be 'coupled' or 'decoupled', got ${String(mode)}`);
  return penalty(`l2 (${mode})`, mode === 'coupled' ? coupledL2(config) : decoupledWeightDecay(config));
}

/** L1: proximal soft threshold after the update (default: exact zeros) or subgradient (eq. 7.20). */
export function l1(config: PenaltyConfig & { method?: 'proximal' | 'subgradient' }): PenaltyRegularizer {
  const method = config.method ?? 'proximal';
  if (method !== 'proximal' && method !== 'subgradient') throw new ArgumentError(`l1: method must be 'proximal' or 'subgradient', got ${String(method)}`);
  return penalty(`l1 (${method})`, method === 'proximal' ? proximalL1(config) : l1Subgradient(config));
}

/** Elastic net: L1 and L2 on the same parameters. */
export function elasticNet(
  config: Selection & { l1: Coefficient; l2: Coefficient; method?: 'proximal' | 'subgradient' },
): Regularizer & { l1: PenaltyRegularizer; l2: PenaltyRegularizer } {
  const a = l1({ alpha: config.l1, method: config.method, include: config.include, exclude: config.exclude });
  const b = l2({ alpha: config.l2, include: config.include, exclude: config.exclude });
  return { name: 'elastic net', l1: a, l2: b, transforms: [a.transform, b.transform] };
}

/**
 * Max-norm: after every update, each unit's incoming weight vector (a column of a [in, out]
 * weight) whose L2 norm exceeds c is rescaled to norm c (Srebro & Shraibman; Hinton et al. use it
 * with dropout). One dispatch per selected weight matrix. A convolution's filters
 * [kh, kw, in, out] are viewed as a [kh·kw·in, out] matrix (a view: the output channel is the last
 * axis), so each output channel's filter is one column: its norm is bounded as a unit's.
 */
export function maxNorm(config: Selection & { c: number }): Regularizer & { c: number } {
  let c = positive('maxNorm', 'c', config.c);
  let targets: Tensor<'f32'>[] = [];
  return {
    name: 'max-norm',
    get c(): number {
      return c;
    },
    set c(x: number) {
      c = positive('maxNorm', 'c', x);
    },
    setup(ctx: SetupContext): void {
      const arena = ctx.model.arena;
      const selected = arena.params.filter((p) => isSelected(config, p, arena, 'maxNorm'));
      const flat = selected.find((p) => p.shape.length < 2);
      if (flat)
        throw new ArgumentError(`maxNorm: ${flat.name} is not a [in, out] matrix or a filter bank (shape [${flat.shape.join(', ')}]); select weights only`);
      targets = selected.map((p) => (p.shape.length === 2 ? p.value : arena.rt.view(p.value, asColumns(p.shape))));
    },
    afterUpdate(): void {
      for (const w of targets) maxNormProject(w, c);
    },
  };
}

/** A weight of rank ≥ 2 as [rows, columns]: every axis but the last folded into the rows. */
function asColumns(shape: readonly number[]): [number, number] {
  const cols = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / cols, cols];
}

/** Per parameter: its L2 norm, its largest column norm (matrices and filter banks), and how many of its entries are exactly zero. */
export interface ParamNormReport {
  name: string;
  layer: string;
  role: string;
  size: number;
  norm: number;
  maxColumnNorm: number | null;
  zeros: number;
  zeroFraction: number;
}

/** Reads the parameters back (one readback) and reports each one's norm and exact-zero fraction. */
export async function weightReport(model: Sequential | ParamArena): Promise<ParamNormReport[]> {
  const arena = 'arena' in model ? model.arena : model;
  const values = await arena.values.toArray();
  return arena.params.map((p) => {
    const v = values.subarray(p.offset, p.offset + p.size);
    let sq = 0;
    let zeros = 0;
    for (const x of v) {
      sq += x * x;
      if (x === 0) zeros++;
    }
    let maxColumnNorm: number | null = null;
    if (p.shape.length >= 2) {
      const [rows, cols] = asColumns(p.shape);
      maxColumnNorm = 0;
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += v[i * cols + j] ** 2;
        maxColumnNorm = Math.max(maxColumnNorm, Math.sqrt(s));
      }
    }
    return {
      name: p.name,
      layer: String(p.layer),
      role: p.role,
      size: p.size,
      norm: Math.sqrt(sq),
      maxColumnNorm,
      zeros,
      zeroFraction: p.size > 0 ? zeros / p.size : 0,
    };
  });
}

/** The exact-zero fraction over the weights (role 'weight') of a report. */
export function weightZeroFraction(report: readonly ParamNormReport[]): number {
  const w = report.filter((r) => r.role === 'weight');
  const size = w.reduce((a, r) => a + r.size, 0);
  return size > 0 ? w.reduce((a, r) => a + r.zeros, 0) / size : 0;
}
