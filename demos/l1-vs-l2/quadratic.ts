/**
 * The two 2-D problems of the page and their closed forms (chapter 7.1), in plain f64 TypeScript.
 *
 *   J(w) = ½(w − w*)ᵀH(w − w*),   H = QΛQᵀ
 *
 * L2 (Ω = ½‖w‖², eq. 7.13): w̃ = Q(Λ + αI)⁻¹ΛQᵀw*, the component of w* along eigenvector i scaled by
 * λᵢ/(λᵢ + α). H is rotated (its eigenvectors are not the axes) so the shrinkage visibly bends the
 * optimum towards the stiff direction.
 *
 * L1 (Ω = ‖w‖₁, eq. 7.23) has this closed form only when H is diagonal: w̃ᵢ = sign(wᵢ*)·max(|wᵢ*| − α/Hᵢᵢ, 0),
 * exactly 0 once α ≥ Hᵢᵢ|wᵢ*|. The L1 panel therefore uses a diagonal H with the same eigenvalues.
 */

/** A 2-vector. */
export type Vec2 = readonly [number, number];

/** One quadratic bowl: its eigenvalues, the angle of its first eigenvector, and its minimum w*. */
export interface Quadratic {
  /** Eigenvalues λ₁, λ₂ > 0. */
  lambda: Vec2;
  /** Angle of the first eigenvector q₁ from the w₁ axis, in radians (0: H is diagonal). */
  theta: number;
  wStar: Vec2;
}

/** The page's L2 problem: H rotated by 35°, eigenvalues 2 and 0.5. */
export const L2_PROBLEM: Quadratic = { lambda: [2, 0.5], theta: (35 * Math.PI) / 180, wStar: [1, 1.2] };

/** The page's L1 problem: the same eigenvalues on the axes (diagonal H), the same w*. */
export const L1_PROBLEM: Quadratic = { lambda: [2, 0.5], theta: 0, wStar: [1, 1.2] };

/** Q = [q₁ q₂] as rows of a 2×2 matrix. */
export function eigenvectors(q: Quadratic): [Vec2, Vec2] {
  const c = Math.cos(q.theta);
  const s = Math.sin(q.theta);
  // Columns q₁ = (c, s), q₂ = (−s, c).
  return [
    [c, -s],
    [s, c],
  ];
}

/** H = QΛQᵀ, row by row. */
export function hessian(q: Quadratic): [Vec2, Vec2] {
  const [[a, b], [c, d]] = eigenvectors(q);
  const [l1, l2] = q.lambda;
  // H_ij = Σ_k Q_ik λ_k Q_jk
  const h00 = a * a * l1 + b * b * l2;
  const h01 = a * c * l1 + b * d * l2;
  const h11 = c * c * l1 + d * d * l2;
  return [
    [h00, h01],
    [h01, h11],
  ];
}

/** J(w). */
export function objective(q: Quadratic, w: Vec2): number {
  const h = hessian(q);
  const d0 = w[0] - q.wStar[0];
  const d1 = w[1] - q.wStar[1];
  return 0.5 * (h[0][0] * d0 * d0 + 2 * h[0][1] * d0 * d1 + h[1][1] * d1 * d1);
}

/** M = QΛ^½, so that MMᵀ = H and J(w) = ½‖(w − w*)ᵀM‖² (how the GPU solver writes J on the tape). */
export function halfFactor(q: Quadratic): [Vec2, Vec2] {
  const [[a, b], [c, d]] = eigenvectors(q);
  const r1 = Math.sqrt(q.lambda[0]);
  const r2 = Math.sqrt(q.lambda[1]);
  return [
    [a * r1, b * r2],
    [c * r1, d * r2],
  ];
}

/** Eq. 7.13: w̃ = Q(Λ + αI)⁻¹ΛQᵀw*. */
export function l2Optimum(q: Quadratic, alpha: number): Vec2 {
  const [[a, b], [c, d]] = eigenvectors(q);
  // Qᵀw*: the coordinates of w* along q₁ and q₂.
  const z1 = a * q.wStar[0] + c * q.wStar[1];
  const z2 = b * q.wStar[0] + d * q.wStar[1];
  const s1 = (q.lambda[0] / (q.lambda[0] + alpha)) * z1;
  const s2 = (q.lambda[1] / (q.lambda[1] + alpha)) * z2;
  return [a * s1 + b * s2, c * s1 + d * s2];
}

/** Eq. 7.23 (H diagonal): wᵢ = sign(wᵢ*)·max(|wᵢ*| − α/Hᵢᵢ, 0). Throws if H is not diagonal. */
export function l1Optimum(q: Quadratic, alpha: number): Vec2 {
  if (q.theta !== 0) throw new Error(`l1Optimum: eq. 7.23 needs a diagonal Hessian; this one is rotated by ${q.theta} rad`);
  const soft = (w: number, h: number): number => Math.sign(w) * Math.max(Math.abs(w) - alpha / h, 0);
  return [soft(q.wStar[0], q.lambda[0]), soft(q.wStar[1], q.lambda[1])];
}

/** Euclidean distance. */
export function distance(a: Vec2, b: Vec2): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
