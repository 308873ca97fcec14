/**
 * CPU references of the optimizer rules in f64 (plain TypeScript), the oracle of tests/optim.
 *
 * Each reference also keeps, per element, an error budget: the GPU computes each step in f32, a
 * handful of roundings of relative size u = 2⁻²⁴, each at most u times the magnitude of the
 * quantity rounded. The budget adds, per step, C·u·(|w| + ε·|step direction computed with absolute
 * values|): the absolute-value recurrences bound what cancellation can hide (e.g. m = β₁m + (1−β₁)g
 * with opposite signs). C = 16 covers the ≤ 10 roundings on the longest chain (Adam: moment update,
 * bias corrections, sqrt, + δ, division, ε·d, subtraction) with slack. The rounding of w feeds back
 * into the next step only through α·ε·w and the moments' (1 − β)·g, which are covered by the same
 * per-step term. Hyper-parameters must be passed already rounded to f32 (what the GPU sees).
 */

/** Unit roundoff of f32. */
export const U32 = 2 ** -24;
const C = 16;

/** The rules of the optimizer aliases (engine/optim/optimizers.ts). */
export type Rule = 'sgd' | 'momentum' | 'adam' | 'adamw';

/** Hyper-parameters, each already rounded to f32. */
export interface RefHyper {
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** One parameter's state in the reference. */
export interface RefParam {
  w: Float64Array;
  alpha: number;
  /** Momentum velocity, or Adam's first moment. */
  s1: Float64Array;
  /** Adam's second moment. */
  s2: Float64Array;
  /** |s1| recurrence on absolute values (for the error budget). */
  s1Abs: Float64Array;
  /** Accumulated error budget per element. */
  budget: Float64Array;
}

/** A parameter at its initial values, with zero state. */
export function refParam(w: ArrayLike<number>, alpha: number): RefParam {
  const n = w.length;
  return { w: Float64Array.from(w), alpha, s1: new Float64Array(n), s2: new Float64Array(n), s1Abs: new Float64Array(n), budget: new Float64Array(n) };
}

/** One step t (1-based) of `rule` on `p` with gradient `g`, in f64. */
export function refStep(rule: Rule, p: RefParam, g: ArrayLike<number>, h: RefHyper, t: number): void {
  const { w, alpha: a, s1, s2, s1Abs, budget } = p;
  const bc1 = Math.fround(1 - h.beta1 ** t);
  const bc2 = Math.fround(1 - h.beta2 ** t);
  for (let i = 0; i < w.length; i++) {
    const wi = w[i];
    let dir: number;
    let mag: number;
    if (rule === 'sgd') {
      dir = g[i] + a * wi;
      mag = Math.abs(g[i]) + a * Math.abs(wi);
    } else if (rule === 'momentum') {
      s1[i] = h.momentum * s1[i] + g[i] + a * wi;
      s1Abs[i] = h.momentum * s1Abs[i] + Math.abs(g[i]) + a * Math.abs(wi);
      dir = s1[i];
      mag = s1Abs[i];
    } else {
      const gg = rule === 'adam' ? g[i] + a * wi : g[i];
      s1[i] = h.beta1 * s1[i] + (1 - h.beta1) * gg;
      s2[i] = h.beta2 * s2[i] + (1 - h.beta2) * gg * gg;
      s1Abs[i] = h.beta1 * s1Abs[i] + (1 - h.beta1) * Math.abs(gg);
      const den = Math.sqrt(s2[i] / bc2) + h.eps;
      dir = s1[i] / bc1 / den;
      mag = s1Abs[i] / bc1 / den;
      if (rule === 'adamw') {
        dir += a * wi;
        mag += a * Math.abs(wi);
      }
    }
    w[i] = wi - h.lr * dir;
    budget[i] += C * U32 * (Math.abs(wi) + h.lr * mag);
  }
}

/** Largest |got − want| / budget over the elements (≤ 1 means within the budget). */
export function worstRatio(got: ArrayLike<number>, p: RefParam): number {
  let worst = 0;
  for (let i = 0; i < p.w.length; i++) {
    const d = Math.abs(got[i] - p.w[i]);
    const r = d === 0 ? 0 : d / p.budget[i];
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}

/** One penalty slot of a chain, as the test states it: its kind and α for this parameter. */
export interface RefPenalty {
  kind: 'l2' | 'l1' | 'decay' | 'prox';
  alpha: number;
}

/** A chain in the caller's order: penalties on the update, the direction, penalties on the new weights. */
export interface RefChain {
  pre: readonly RefPenalty[];
  rule: 'sgd' | 'momentum' | 'adam';
  post: readonly RefPenalty[];
}

/**
 * One step t (1-based) of `chain` on `p` in f64, written from the chain semantics of
 * engine/optim/chain.ts: u ← g; u ← u + α·w (l2) or u + α·sign(w) (l1) in order; the step s of the
 * direction (ε·u, ε·v with v ← μv + u, or ε·m̂/(√v̂ + δ)); w ← w_old − s; then in order
 * w ← w − ε·α·w_old (decay) or w ← sign(w)·max(|w| − ε·α, 0) (prox). `p.alpha` is not used.
 * The budget grows as in {@link refStep}, with each term of the chain counted at its magnitude (the
 * soft threshold is 1-Lipschitz, so it never enlarges an error; its own rounding is of size u·|w|).
 */
export function refChainStep(chain: RefChain, p: RefParam, g: ArrayLike<number>, h: RefHyper, t: number): void {
  const { w, s1, s2, s1Abs, budget } = p;
  const bc1 = Math.fround(1 - h.beta1 ** t);
  const bc2 = Math.fround(1 - h.beta2 ** t);
  for (let i = 0; i < w.length; i++) {
    const w0 = w[i];
    let u = g[i];
    let uAbs = Math.abs(g[i]);
    for (const q of chain.pre) {
      u += q.kind === 'l2' ? q.alpha * w0 : q.alpha * Math.sign(w0);
      uAbs += q.alpha * (q.kind === 'l2' ? Math.abs(w0) : 1);
    }
    let dir: number;
    let mag: number;
    if (chain.rule === 'sgd') {
      dir = u;
      mag = uAbs;
    } else if (chain.rule === 'momentum') {
      s1[i] = h.momentum * s1[i] + u;
      s1Abs[i] = h.momentum * s1Abs[i] + uAbs;
      dir = s1[i];
      mag = s1Abs[i];
    } else {
      s1[i] = h.beta1 * s1[i] + (1 - h.beta1) * u;
      s2[i] = h.beta2 * s2[i] + (1 - h.beta2) * u * u;
      s1Abs[i] = h.beta1 * s1Abs[i] + (1 - h.beta1) * uAbs;
      const den = Math.sqrt(s2[i] / bc2) + h.eps;
      dir = s1[i] / bc1 / den;
      mag = s1Abs[i] / bc1 / den;
    }
    let x = w0 - h.lr * dir;
    let size = Math.abs(w0) + h.lr * mag;
    for (const q of chain.post) {
      const tau = h.lr * q.alpha;
      if (q.kind === 'decay') x -= tau * w0;
      else x = Math.abs(x) > tau ? Math.sign(x) * (Math.abs(x) - tau) : 0;
      size += tau * (q.kind === 'decay' ? Math.abs(w0) : 1);
    }
    w[i] = x;
    budget[i] += C * U32 * size;
  }
}
