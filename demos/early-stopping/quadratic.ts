/**
 * The quadratic problem of section 7.8 and its closed forms, in f64 (the page's oracle):
 *
 *   J(w) = ½(w − w*)ᵀH(w − w*),   H = QΛQᵀ,   gradient descent from w⁽⁰⁾ = 0 with learning rate ε.
 *
 * In the eigenbasis (z = Qᵀw) every direction is on its own:
 *   early stopping after τ steps  zᵢ⁽τ⁾ = [1 − (1 − ελᵢ)^τ]·zᵢ*            (eq. 7.40)
 *   L2 with coefficient α         z̃ᵢ(α) = λᵢ/(λᵢ + α)·zᵢ*                 (eqs. 7.13, 7.42)
 *   equal when (1 − ελᵢ)^τ = α/(λᵢ + α), i.e. αᵢ = λᵢ(1 − ελᵢ)^τ/(1 − (1 − ελᵢ)^τ)   (eq. 7.43)
 *   and, for small ελᵢ and λᵢ/α, αᵢ ≈ 1/(τε)                               (eqs. 7.44–7.45)
 *
 * The eigen-decomposition is recomputed from the f32 H the GPU uses (one Jacobi rotation is exact
 * for a symmetric 2 × 2), so the closed forms describe the very problem the GPU solves.
 */

/** A 2-D vector or the columns of a 2 × 2 matrix. */
export type Vec2 = [number, number];

/** The problem: H (row-major, f32-rounded), w*, and H's eigen-decomposition in f64. */
export interface Quadratic {
  /** H row-major, each entry an f32 value (what the GPU multiplies by). */
  h: [number, number, number, number];
  wStar: Vec2;
  /** Eigenvalues, largest first. */
  lambda: Vec2;
  /** Eigenvectors: q[i] is the unit eigenvector of lambda[i]. */
  q: [Vec2, Vec2];
  /** w* in the eigenbasis: zᵢ* = qᵢ·w*. */
  zStar: Vec2;
}

const f32 = Math.fround;

/**
 * The page's problem: Λ = (1, 0.1) rotated by 20°, w* = 1.2·q₁ + 1.2·q₂. Stiff and flat directions
 * 10 : 1 and w* far along both, so the path bends: first along q₁, then slowly along q₂.
 */
export function makeQuadratic(): Quadratic {
  const theta = (20 * Math.PI) / 180;
  const [c, s] = [Math.cos(theta), Math.sin(theta)];
  const l0: Vec2 = [1, 0.1];
  // H = QΛQᵀ with Q's columns (c, s) and (−s, c).
  const h00 = l0[0] * c * c + l0[1] * s * s;
  const h01 = (l0[0] - l0[1]) * c * s;
  const h11 = l0[0] * s * s + l0[1] * c * c;
  const h: Quadratic['h'] = [f32(h00), f32(h01), f32(h01), f32(h11)];
  const wStar: Vec2 = [f32(1.2 * (c - s)), f32(1.2 * (s + c))];
  const { lambda, q } = eigen2(h);
  return { h, wStar, lambda, q, zStar: [dot(q[0], wStar), dot(q[1], wStar)] };
}

/**
 * Eigen-decomposition of the symmetric 2 × 2 [a b; b d] by one Jacobi rotation (exact for 2 × 2;
 * the same rotation as Golub & Van Loan's algorithm 8.5.1), eigenvalues largest first.
 */
export function eigen2(h: readonly number[]): { lambda: Vec2; q: [Vec2, Vec2] } {
  const [a, b, , d] = h;
  let c = 1;
  let s = 0;
  if (b !== 0) {
    const theta = (d - a) / (2 * b);
    const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    c = 1 / Math.sqrt(t * t + 1);
    s = t * c;
  }
  const l1 = c * c * a - 2 * s * c * b + s * s * d;
  const l2 = s * s * a + 2 * s * c * b + c * c * d;
  const v1: Vec2 = [c, -s];
  const v2: Vec2 = [s, c];
  return l1 >= l2 ? { lambda: [l1, l2], q: [v1, v2] } : { lambda: [l2, l1], q: [v2, v1] };
}

/** a·b. */
export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0] * b[0] + a[1] * b[1];
}

/** w = Σᵢ zᵢqᵢ (back from the eigenbasis). */
export function fromEigenbasis(p: Quadratic, z: readonly number[]): Vec2 {
  return [z[0] * p.q[0][0] + z[1] * p.q[1][0], z[0] * p.q[0][1] + z[1] * p.q[1][1]];
}

/** zᵢ = qᵢ·w. */
export function toEigenbasis(p: Quadratic, w: readonly number[]): Vec2 {
  return [dot(p.q[0], w), dot(p.q[1], w)];
}

/** Eq. 7.40's filter factor 1 − (1 − ελ)^τ. */
export const earlyFactor = (lambda: number, eps: number, tau: number): number => 1 - (1 - eps * lambda) ** tau;

/** Eq. 7.13's filter factor λ/(λ + α). */
export const l2Factor = (lambda: number, alpha: number): number => lambda / (lambda + alpha);

/** Eq. 7.40: w⁽τ⁾ of gradient descent from 0. */
export function earlyStoppedW(p: Quadratic, eps: number, tau: number): Vec2 {
  return fromEigenbasis(
    p,
    p.lambda.map((l, i) => earlyFactor(l, eps, tau) * p.zStar[i]),
  );
}

/** Eq. 7.13: the L2-regularized optimum w̃(α) = Q(Λ + αI)⁻¹ΛQᵀw*. */
export function l2W(p: Quadratic, alpha: number): Vec2 {
  return fromEigenbasis(
    p,
    p.lambda.map((l, i) => l2Factor(l, alpha) * p.zStar[i]),
  );
}

/** Eq. 7.43: the α at which L2 shrinks direction λ exactly as τ steps of early stopping do (∞ at τ = 0). */
export function equivalentAlpha(lambda: number, eps: number, tau: number): number {
  const r = (1 - eps * lambda) ** tau;
  return (lambda * r) / (1 - r);
}

/** What eqs. 7.44–7.45 promise for one direction, and whether it holds. */
export interface AlphaCheck {
  lambda: number;
  /** αᵢ of eq. 7.43. */
  alpha: number;
  /** αᵢτε − 1: 0 when α = 1/(τε) exactly. */
  rel: number;
  /** The first-order bound −(ελ + τελ/2) ≤ ατε − 1 ≤ 0 (see {@link alphaCheck}). */
  lower: number;
  upper: 0;
  /** x = −τ·ln(1 − ελ) < 6: where the upper bound is proved (the lower holds for every τ). */
  applies: boolean;
  within: boolean;
}

/**
 * Eqs. 7.44–7.45 made exact: with x = −τ·ln(1 − ελ) (so τελ ≤ x ≤ τελ/(1 − ελ)) eq. 7.43 reads
 * ατε = τελ/(eˣ − 1), and 1/x − ½ < 1/(eˣ − 1) < 1/x − ½ + x/12 give
 *     −(ελ + τελ/2) < ατε − 1 < 0   (the upper side for x < 6):
 * the error of α ≈ 1/(τε) is first order in ελ and τελ ≈ λ/α, the book's "small ελᵢ and λᵢ/α".
 */
export function alphaCheck(lambda: number, eps: number, tau: number): AlphaCheck {
  const alpha = equivalentAlpha(lambda, eps, tau);
  const rel = alpha * tau * eps - 1;
  const lower = -(eps * lambda + (tau * eps * lambda) / 2);
  const x = -tau * Math.log(1 - eps * lambda);
  const applies = x < 6;
  return { lambda, alpha, rel, lower, upper: 0, applies, within: rel >= lower && (!applies || rel <= 0) };
}

/** ‖|H|‖_F, a bound on ‖|H|‖₂. */
function absFrobenius(h: readonly number[]): number {
  return Math.sqrt(h.reduce((s, v) => s + v * v, 0));
}

/** γₖ = k·u/(1 − k·u), u = 2⁻²⁴: Higham's bound on k chained f32 roundings. */
const gamma = (k: number): number => (k * 2 ** -24) / (1 - k * 2 ** -24);

/**
 * A bound on ‖w_GPU⁽τ⁾ − w⁽τ⁾‖₂ from f32 rounding: ‖I − εH‖₂ ≤ 1 here (ελ ≤ 1), so the error after
 * τ steps is at most τ times one step's rounding: the gradient H(w − w*) (a 2-term dot product, the
 * ½ and the sum of the mul's two backward paths: γ₇·‖|H|‖_F·‖w*‖ along the exact path) times ε, and
 * the update w − εg (γ₂·(‖w‖ + ε‖g‖)). Doubled for slack; it holds per eigen-component too.
 */
export function trajectoryBound(p: Quadratic, eps: number, tau: number): number {
  const norm = (v: readonly number[]): number => Math.hypot(v[0], v[1]);
  const wTau = earlyStoppedW(p, eps, tau);
  const perStep = eps * (gamma(7) * absFrobenius(p.h) + gamma(2) * p.lambda[0]) * norm(p.wStar) + gamma(2) * norm(wTau);
  return 2 * tau * perStep;
}
