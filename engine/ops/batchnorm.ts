/**
 * Batch normalization as fused kernels (shaders/batchnorm.wgsl): x [rows, features] normalized per
 * feature over its rows, then scaled by γ and shifted by β.
 *
 *   'train'    batch statistics μ, σ² (biased), and the running averages updated in the same pass:
 *              r ← (1 − m)·r + m·batch value, the variance unbiased (σ²·N/(N − 1))
 *   'batch'    batch statistics, running averages left alone
 *   'running'  the running mean and variance normalize (inference): one dispatch
 *
 * The statistics take one dispatch (one invocation per feature walks its column) or, for many rows,
 * two ({@link batchNormSlices}); the normalization one more. The backward takes the same one or two
 * for dβ = Σg and dγ = Σg·x̂, then one for dx = γ·s·(g − (dβ + x̂·dγ)/N), s = 1/√(σ² + ε). x̂ is never
 * stored: the forward saves μ and s ([features] each) and the backward recomputes x̂ from x.
 *
 * With `relu`, the ReLU that follows is fused: normalize writes y = max(γ·x̂ + β, 0), and the first
 * level of the backward's sums masks the incoming gradient by y > 0 (writing the masked gradient
 * that dx then reads), so neither the ReLU nor its derivative takes a pass: the same dispatches as
 * without, and the same bits as batch norm followed by the `relu` op.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { sameShape } from './strided';
import { activationGrad } from './unary';

const WG = 64;
/** Rows of one feature each invocation of the element-wise passes (normalize, grad_input) takes. */
const ROWS = 8;
/** Invocations the first level of a two-level reduction aims at: 64 workgroups. */
const TARGET_THREADS = 64 * WG;
/** Rows each invocation of the first level walks at least (below twice this, one level). */
const MIN_SLICE_ROWS = 128;

/** Which statistics normalize, and whether the running averages are updated. */
export type BatchNormMode = 'train' | 'batch' | 'running';

/** Attributes of the `batchNorm` op. */
export interface BatchNormAttrs {
  mode: BatchNormMode;
  /** ε added to the variance, > 0. */
  eps: number;
  /** Weight m of this batch in the running averages ('train'), in (0, 1]. */
  momentum: number;
  /** Fuse the ReLU that follows: y = max(γ·x̂ + β, 0), its derivative in the backward's kernels. Default false. */
  relu?: boolean;
}

/**
 * The row slices P of the first level of a per-feature reduction over `rows` rows of `features`
 * features: 1 (one level: one invocation per feature walks all rows) below 2·128 rows; otherwise
 * enough slices of at least 128 rows for about 4,096 invocations in all, then one invocation per
 * feature combines its P partials. Always ≤ rows.
 */
export function batchNormSlices(rows: number, features: number): number {
  return Math.max(1, Math.min(Math.ceil(TARGET_THREADS / features), Math.floor(rows / MIN_SLICE_ROWS)));
}

/** Dispatches of one reduction over the rows: one level or two. */
function reductionDispatches(rows: number, features: number): number {
  return batchNormSlices(rows, features) > 1 ? 2 : 1;
}

/**
 * Dispatches the op records for x [rows, features]: the forward with batch statistics (statistics,
 * normalize), the backward (dβ and dγ, dx), and the forward in inference mode without a gradient.
 * The same with the fused ReLU (one more in the backward of the running statistics when only dx is
 * needed: no sums then to mask the gradient in, so the ReLU's derivative takes its own pass).
 */
export function batchNormDispatches(rows: number, features: number): { forward: number; backward: number; inference: number } {
  const levels = reductionDispatches(rows, features);
  return { forward: levels + 1, backward: levels + 1, inference: 1 };
}

function check(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, attrs: BatchNormAttrs): { rows: number; features: number } {
  const op = 'batchNorm';
  assertF32(op, x, gamma, beta, runningMean, runningVar);
  if (x.rank !== 2) throw new ShapeError(`${op}: x must be [rows, features], got ${fmtShape(x.shape)}`);
  const [rows, features] = x.shape;
  for (const [what, t] of [
    ['gamma', gamma],
    ['beta', beta],
    ['the running mean', runningMean],
    ['the running variance', runningVar],
  ] as const) {
    if (!sameShape(t.shape, [features])) throw new ShapeError(`${op}: ${what} ${fmtShape(t.shape)} must be [${features}] for x ${fmtShape(x.shape)}`);
  }
  const { mode, eps, momentum, relu } = attrs;
  if (relu !== undefined && typeof relu !== 'boolean') throw new ArgumentError(`${op}: relu must be true or false, got ${String(relu)}`);
  if (mode !== 'train' && mode !== 'batch' && mode !== 'running')
    throw new ArgumentError(`${op}: unknown mode ${String(mode)} ('train', 'batch' or 'running')`);
  if (!(Number.isFinite(eps) && eps > 0)) throw new ArgumentError(`${op}: eps must be a finite number > 0, got ${eps}`);
  if (!(Number.isFinite(momentum) && momentum > 0 && momentum <= 1)) throw new ArgumentError(`${op}: momentum must be in (0, 1], got ${momentum}`);
  if (mode !== 'running' && rows < 2) throw new ShapeError(`${op}: batch statistics need at least 2 rows, got ${fmtShape(x.shape)}`);
  return { rows, features };
}

/**
 * One per-feature reduction over the rows: `entry`_direct, or `entry`_partial then `entry`_final,
 * with the bindings both levels share.
 */
function reduceRows(
  rt: Runtime,
  entry: 'stats' | 'grad',
  rows: number,
  features: number,
  uniforms: Record<string, number>,
  overrides: Record<string, number>,
  first: Record<string, Tensor>,
  last: Record<string, Tensor>,
): void {
  const slices = batchNormSlices(rows, features);
  const base = { shader: 'batchnorm', overrides: { WG, ...overrides }, uniforms: { ...uniforms, rows, features, slices } } as const;
  if (slices === 1) {
    rt.dispatch({ ...base, entry: `${entry}_direct`, bindings: { ...first, ...last }, workgroups: grid1d(features, WG) });
    return;
  }
  const partials = rt.empty([2, slices, features]);
  rt.dispatch({ ...base, entry: `${entry}_partial`, bindings: { ...first, partials }, workgroups: grid1d(slices * features, WG) });
  rt.dispatch({ ...base, entry: `${entry}_final`, bindings: { partials_in: partials, ...last }, workgroups: grid1d(features, WG) });
  partials.dispose();
}

/** y [rows, features], and μ and s [features] (the batch's, or the running ones' when `stats` is set). */
function batchNormForward(inputs: readonly Tensor[], attrs: BatchNormAttrs, needsGrad: boolean): { y: Tensor<'f32'>; stats?: [Tensor<'f32'>, Tensor<'f32'>] } {
  const [x, gamma, beta, runningMean, runningVar] = inputs;
  const { rows, features } = check(x, gamma, beta, runningMean, runningVar, attrs);
  const rt = x.runtime;
  const uniforms = { rows, features, slices: 1, eps: attrs.eps, momentum: attrs.momentum };
  const y = rt.empty([rows, features]);
  const relu: Record<string, number> = attrs.relu ? { RELU: 1 } : {};
  const normalize = (mu: Tensor, spread: Tensor, running: boolean): void =>
    rt.dispatch({
      shader: 'batchnorm',
      entry: 'normalize',
      overrides: running ? { WG, ROWS, RUNNING: 1, ...relu } : { WG, ROWS, ...relu },
      uniforms,
      bindings: { x, gamma, beta, mu, spread, y },
      workgroups: grid1d(Math.ceil(rows / ROWS) * features, WG),
    });
  if (attrs.mode === 'running' && !needsGrad) {
    normalize(runningMean, runningVar, true);
    return { y };
  }
  const mean = rt.empty([features]);
  const invStd = rt.empty([features]);
  const outs = { mean_out: mean, inv_std_out: invStd, running_mean: runningMean, running_var: runningVar };
  if (attrs.mode === 'running') {
    rt.dispatch({ shader: 'batchnorm', entry: 'running_stats', overrides: { WG }, uniforms, bindings: outs, workgroups: grid1d(features, WG) });
  } else {
    reduceRows(rt, 'stats', rows, features, uniforms, attrs.mode === 'train' ? { UPDATE: 1 } : {}, { x }, outs);
  }
  normalize(mean, invStd, false);
  return { y, stats: [mean, invStd] };
}

/**
 * Autodiff op `batchNorm(x, γ, β, runningMean, runningVar)`: x [rows, features], the others
 * [features]. The running statistics are buffers, not differentiable inputs: 'train' updates them in
 * place during the forward, and their gradient is null.
 */
export const batchNormOp: OpDef<BatchNormAttrs> = {
  forward: (inputs, attrs, needsGrad) => {
    const { y, stats } = batchNormForward(inputs, attrs, needsGrad);
    if (stats && !needsGrad) for (const t of stats) t.dispose();
    return { out: y, saved: needsGrad ? stats : undefined };
  },
  backward: ({ grad, inputs: [x, gamma], out, saved: [mean, invStd], attrs, needs }) => {
    const [rows, features] = x.shape;
    const rt = x.runtime;
    const dgamma = rt.empty([features]);
    const dbeta = rt.empty([features]);
    const uniforms = { rows, features, slices: 1, eps: attrs.eps, momentum: attrs.momentum };
    const stats = { mu: mean, spread: invStd };
    const batch = attrs.mode !== 'running';
    // dx needs both sums only with batch statistics; dγ and dβ are the sums themselves.
    const sums = needs[1] || needs[2] || (needs[0] && batch);
    // The gradient the normalization sees: ∂L/∂y, or through the fused ReLU [y > 0]·∂L/∂y, which the
    // sums' first level writes (or, without sums, relu's own derivative kernel).
    let g: Tensor<'f32'> = grad;
    let masked: Tensor<'f32'> | null = null;
    if (sums) {
      // Without the ReLU the sums never touch y_in and g_masked: x and a one-element scratch fill them.
      masked = rt.empty(attrs.relu ? [rows, features] : [1]);
      const relu: Record<string, number> = attrs.relu ? { RELU: 1 } : {};
      const mask = { y_in: attrs.relu ? out : x, g_masked: masked };
      reduceRows(rt, 'grad', rows, features, uniforms, relu, { x, g: grad, ...stats, ...mask }, { dgamma, dbeta });
      if (attrs.relu) g = masked;
    } else if (attrs.relu && needs[0]) {
      masked = activationGrad('relu_grad', out, grad);
      g = masked;
    }
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dx = rt.empty([rows, features]);
      rt.dispatch({
        shader: 'batchnorm',
        entry: 'grad_input',
        overrides: batch ? { WG, ROWS } : { WG, ROWS, BATCH: 0 },
        uniforms,
        bindings: { x, g, gamma, ...stats, sum_g: dbeta, sum_gx: dgamma, dx },
        workgroups: grid1d(Math.ceil(rows / ROWS) * features, WG),
      });
    }
    masked?.dispose();
    const keep = (t: Tensor<'f32'>, needed: boolean): Tensor<'f32'> | null => {
      if (needed) return t;
      t.dispose();
      return null;
    };
    return [dx, keep(dgamma, needs[1]), keep(dbeta, needs[2]), null, null];
  },
};
