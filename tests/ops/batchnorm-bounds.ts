/**
 * First-order f32 error bounds of the fused batch-norm kernels (shaders/batchnorm.wgsl) against the
 * f64 reference of ../regularizers/reference.ts (test helper, not a test file). u = 2^-24; WGSL's
 * x/y is within 2.5 ULP and inverseSqrt within 2 ULP, one ULP of y at most 2^-23·|y|.
 *
 * Per feature, X = max|x| over its N rows and K = the longest chain of updates behind a statistic:
 * N with one level, ⌈N/P⌉ + P with P slices (the slice's rows, then the P partials).
 *  - mean μ: update k (Welford's mean += d/k, or Chan's mean += d·n_b/n) rounds the sum (≤ u·X) and
 *    d, the quotient and the product (≤ 7u·|d|·n_b/n, |d| ≤ 2X); an error made at update k reaches
 *    the result scaled by n_k/N (later updates damp it), so the sums' roundings add ≤ u·X·(n + 1)/2
 *    per level and the rest ≤ 14u·X·Σ n_b/n_k ≤ 14u·X·(1 + ln n): with both levels inside K,
 *    e_μ = u·X·((K + 2)/2 + 14·(2 + ln K)).
 *  - M2: each of the N row updates and P merges adds a term ≤ 4X² rounded a few times (≤ 20u·X²)
 *    with factors off by ≤ e_μ + 2u·X each (≤ 4X·e_μ in all, first order), and the running sum's
 *    roundings, ≤ K·u·M2: e_σ² = (N + P)/N·(20u·X² + 4X·e_μ) + (K + 1)·u·σ² for σ² = M2/N.
 *  - s = 1/√(σ² + ε): relative e_s = e_σ²/(2(σ² + ε)) + 2·2^-23 + u.
 *  - x̂ = (x − μ)·s: e_x̂ = s·(e_μ + u·|x − μ|) + |x̂|·(e_s + u); y = γ·x̂ + β: |γ|·e_x̂ + u·(|γx̂| + |y|).
 *  - dβ = Σg, dγ = Σ g·x̂ (K-deep sums): e_dβ = (K + 1)·u·Σ|g|, e_dγ = Σ|g|·e_x̂ + (K + 2)·u·Σ|g·x̂|.
 *  - dx = γ·s·d, d = g − (dβ + x̂·dγ)/N: e_d = (e_dβ + |x̂|·e_dγ + e_x̂·|dγ|)/N + 4u·(|g| + (|dβ| + |x̂·dγ|)/N),
 *    e_dx = |γ|·s·(e_d + |d|·(e_s + 3u)).
 *  - the running averages r ← (1 − m)·r + m·b, b = μ or M2/(N − 1): m·(the bound of b) plus 4u·(|r| + m·|b| + |r'|)
 *    for the roundings of (1 − m), the two products and the sum (M2/(N − 1) adds 2.5 ULP of b).
 * In inference mode μ and σ² are the running values (exact): e_μ = e_σ² = 0.
 */
import { batchNormSlices } from '../../engine/ops/batchnorm';
import type { BatchNormRef } from '../regularizers/reference';

const U = 2 ** -24;
const ULP = 2 ** -23;

/** The per-element bounds of y, and of dx, dγ, dβ for an incoming gradient g. */
export interface BatchNormBounds {
  y: Float64Array;
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
  /** e_μ and e_σ² per feature: the batch statistics' bounds (0 in inference mode). */
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * Bounds for x [rows, features] normalized with batch statistics (`batch`) or with the running
 * statistics of `ref` (its mean and variance taken as exact), `ref` the f64 reference of the same
 * inputs and `g` the incoming gradient.
 */
export function batchNormBounds(
  x: ArrayLike<number>,
  rows: number,
  features: number,
  gamma: ArrayLike<number>,
  ref: BatchNormRef,
  g: ArrayLike<number>,
  batch: boolean,
): BatchNormBounds {
  const n = rows;
  const p = batchNormSlices(rows, features);
  const k = p > 1 ? Math.ceil(n / p) + p : n;
  const y = new Float64Array(rows * features);
  const dx = new Float64Array(rows * features);
  const dgamma = new Float64Array(features);
  const dbeta = new Float64Array(features);
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  for (let f = 0; f < features; f++) {
    let xMax = 0;
    for (let r = 0; r < rows; r++) xMax = Math.max(xMax, Math.abs(x[r * features + f]));
    const s = ref.invStd[f];
    const v = 1 / (s * s);
    const eMu = batch ? U * xMax * ((k + 2) / 2 + 14 * (2 + Math.log(k))) : 0;
    const eVar = batch ? ((n + p) / n) * (20 * U * xMax * xMax + 4 * xMax * eMu) + (k + 1) * U * ref.variance[f] : 0;
    mean[f] = eMu;
    variance[f] = eVar;
    const eS = eVar / (2 * v) + 2 * ULP + U;
    const exh = new Float64Array(rows);
    let sg = 0;
    let sgx = 0;
    let sumG = 0;
    let sumGx = 0;
    for (let r = 0; r < rows; r++) {
      const i = r * features + f;
      const xh = Math.abs(ref.xhat[i]);
      exh[r] = s * (eMu + U * Math.abs(x[i] - ref.mean[f])) + xh * (eS + U);
      y[i] = Math.abs(gamma[f]) * exh[r] + U * (Math.abs(gamma[f]) * xh + Math.abs(ref.y[i]));
      sg += Math.abs(g[i]);
      sgx += Math.abs(g[i]) * exh[r];
      sumG += g[i];
      sumGx += g[i] * ref.xhat[i];
    }
    dbeta[f] = (k + 1) * U * sg;
    let sAbsGx = 0;
    for (let r = 0; r < rows; r++) sAbsGx += Math.abs(g[r * features + f] * ref.xhat[r * features + f]);
    dgamma[f] = sgx + (k + 2) * U * sAbsGx;
    for (let r = 0; r < rows; r++) {
      const i = r * features + f;
      const xh = Math.abs(ref.xhat[i]);
      const centre = batch ? (Math.abs(sumG) + xh * Math.abs(sumGx)) / n : 0;
      const d = Math.abs(g[i]) + centre;
      const eD = batch ? (dbeta[f] + xh * dgamma[f] + exh[r] * Math.abs(sumGx)) / n + 4 * U * (Math.abs(g[i]) + centre) : U * Math.abs(g[i]);
      dx[i] = Math.abs(gamma[f]) * s * (eD + d * (eS + 3 * U));
    }
  }
  return { y, dx, dgamma, dbeta, mean, variance };
}

/** The largest |got − want| / bound over the elements (≤ 1 when every element is within its bound). */
export function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / bound[i]);
  return worst;
}

/** Bounds of the running mean and variance after one update with momentum m (see the header). */
export function runningBounds(
  bounds: BatchNormBounds,
  ref: BatchNormRef,
  rows: number,
  f: number,
  m: number,
  old: [number, number],
  next: [number, number],
): [number, number] {
  const unbiased = (ref.variance[f] * rows) / (rows - 1);
  const mean = m * bounds.mean[f] + 4 * U * (Math.abs(old[0]) + m * Math.abs(ref.mean[f]) + Math.abs(next[0]));
  const variance = m * ((bounds.variance[f] * rows) / (rows - 1) + 2.5 * ULP * unbiased) + 4 * U * (Math.abs(old[1]) + m * unbiased + Math.abs(next[1]));
  return [mean, variance];
}
