/**
 * f64 CPU references for the regularizer tests (test helper, not a test file): an MLP forward pass
 * with explicit dropout masks, the exact mixtures over every dropout mask (arithmetic mean, eq. 7.53;
 * renormalized weighted geometric mean, eq. 7.54–7.55), and batch normalization forward and backward.
 * No code is shared with the engine.
 */

/** A dense layer y = x·W + b, W [inF, outF] row-major. */
export interface DenseLayer {
  w: Float64Array;
  b: Float64Array;
  inF: number;
  outF: number;
}

/** The dense layers `fc1, fc2, …` of an exported model state (Sequential.exportState()). */
export function denseLayers(params: Record<string, Float32Array>): DenseLayer[] {
  const out: DenseLayer[] = [];
  for (let i = 1; params[`fc${i}.weight`]; i++) {
    const w = Float64Array.from(params[`fc${i}.weight`]);
    const b = Float64Array.from(params[`fc${i}.bias`]);
    out.push({ w, b, inF: w.length / b.length, outF: b.length });
  }
  return out;
}

/**
 * Logits of one row through dense layers with ReLU on the hidden ones. `masks[0]` multiplies the
 * input, `masks[l]` (l ≥ 1) hidden layer l's ReLU output; `scales[l]` multiplies the same units
 * (1/p for inverted dropout with a mask, p for the weight scaling rule without one).
 */
export function mlpLogits(
  layers: readonly DenseLayer[],
  x: ArrayLike<number>,
  masks: readonly (ArrayLike<number> | undefined)[] = [],
  scales: readonly number[] = [],
): Float64Array {
  let a = Float64Array.from(x);
  const gate = (l: number): void => {
    const m = masks[l];
    const s = scales[l] ?? 1;
    for (let i = 0; i < a.length; i++) a[i] *= (m ? m[i] : 1) * s;
  };
  gate(0);
  layers.forEach((L, l) => {
    const z = new Float64Array(L.outF);
    for (let j = 0; j < L.outF; j++) {
      let s = L.b[j];
      for (let i = 0; i < L.inF; i++) s += a[i] * L.w[i * L.outF + j];
      z[j] = s;
    }
    const last = l === layers.length - 1;
    a = last ? z : z.map((v) => Math.max(v, 0));
    if (!last) gate(l + 1);
  });
  return a;
}

/** log-softmax of a vector, in f64. */
export function logSoftmax(z: ArrayLike<number>): Float64Array {
  let mx = -Infinity;
  for (let i = 0; i < z.length; i++) mx = Math.max(mx, z[i]);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.exp(z[i] - mx);
  const lse = mx + Math.log(s);
  return Float64Array.from(z, (v) => v - lse);
}

/** softmax of a vector, in f64. */
export function softmax(z: ArrayLike<number>): Float64Array {
  return logSoftmax(z).map(Math.exp);
}

/**
 * Every mask over units split into groups of `widths` (bit b of mask m is unit b's draw, groups in
 * order), as [m][group] 0/1 arrays, with P(μ) = Π p^μ (1 − p)^(1−μ), p = keep[group].
 */
export function allMasks(widths: readonly number[], keep: readonly number[]): { masks: Float64Array[][]; weight: Float64Array } {
  const n = widths.reduce((a, b) => a + b, 0);
  const count = 2 ** n;
  const masks: Float64Array[][] = [];
  const weight = new Float64Array(count);
  for (let m = 0; m < count; m++) {
    let bit = 0;
    let w = 1;
    const groups = widths.map((width, g) => {
      const t = new Float64Array(width);
      for (let j = 0; j < width; j++, bit++) {
        t[j] = (m >>> bit) & 1;
        w *= t[j] ? keep[g] : 1 - keep[g];
      }
      return t;
    });
    masks.push(groups);
    weight[m] = w;
  }
  return { masks, weight };
}

/** The mixtures of per-mask class distributions over all masks. */
export interface MaskMixtures {
  /** Σ_μ P(μ)·p(y|x, μ) (eq. 7.53). */
  arithmetic: Float64Array;
  /** The per-sample standard deviation of p(y|x, μ) under P(μ): what Monte-Carlo dropout's spread estimates. */
  std: Float64Array;
  /** Its fourth central moment (for the sampling error of an estimated std). */
  fourth: Float64Array;
  /** Π_μ p(y|x, μ)^P(μ), renormalized over y (eq. 7.54–7.55). */
  geometric: Float64Array;
}

/** Mixes per-mask log-probabilities `logp[m][y]` with weights P(μ). */
export function mixtures(logp: readonly ArrayLike<number>[], weight: ArrayLike<number>): MaskMixtures {
  const k = logp[0].length;
  const arithmetic = new Float64Array(k);
  const logGeo = new Float64Array(k);
  for (let m = 0; m < logp.length; m++) {
    for (let c = 0; c < k; c++) {
      arithmetic[c] += weight[m] * Math.exp(logp[m][c]);
      logGeo[c] += weight[m] * logp[m][c];
    }
  }
  const second = new Float64Array(k);
  const fourth = new Float64Array(k);
  for (let m = 0; m < logp.length; m++) {
    for (let c = 0; c < k; c++) {
      const d = Math.exp(logp[m][c]) - arithmetic[c];
      second[c] += weight[m] * d * d;
      fourth[c] += weight[m] * d ** 4;
    }
  }
  return { arithmetic, std: second.map(Math.sqrt), fourth, geometric: softmax(logGeo) };
}

/** Batch normalization over the rows of x [rows, features], in f64, with the intermediates backward needs. */
export interface BatchNormRef {
  y: Float64Array;
  xhat: Float64Array;
  mean: Float64Array;
  /** Biased batch variance (divided by rows). */
  variance: Float64Array;
  invStd: Float64Array;
}

/** y = γ ⊙ (x − μ_B)/√(σ²_B + ε) + β with the batch's mean and biased variance. */
export function batchNormForward(
  x: ArrayLike<number>,
  rows: number,
  features: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
): BatchNormRef {
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  for (let r = 0; r < rows; r++) for (let f = 0; f < features; f++) mean[f] += x[r * features + f] / rows;
  for (let r = 0; r < rows; r++) for (let f = 0; f < features; f++) variance[f] += (x[r * features + f] - mean[f]) ** 2 / rows;
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = new Float64Array(rows * features);
  const y = new Float64Array(rows * features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const i = r * features + f;
      xhat[i] = (x[i] - mean[f]) * invStd[f];
      y[i] = gamma[f] * xhat[i] + beta[f];
    }
  }
  return { y, xhat, mean, variance, invStd };
}

/**
 * Gradients of L = Σ y ⊙ g through batch statistics (the standard closed form):
 * dx = γ·invStd·(g − mean_rows g − x̂·mean_rows(g ⊙ x̂)), dγ = Σ_rows g ⊙ x̂, dβ = Σ_rows g.
 */
export function batchNormBackward(
  ref: BatchNormRef,
  g: ArrayLike<number>,
  rows: number,
  features: number,
  gamma: ArrayLike<number>,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dgamma = new Float64Array(features);
  const dbeta = new Float64Array(features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      dbeta[f] += g[r * features + f];
      dgamma[f] += g[r * features + f] * ref.xhat[r * features + f];
    }
  }
  const dx = new Float64Array(rows * features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const i = r * features + f;
      dx[i] = gamma[f] * ref.invStd[f] * (g[i] - dbeta[f] / rows - (ref.xhat[i] * dgamma[f]) / rows);
    }
  }
  return { dx, dgamma, dbeta };
}

/** max |a − b| relative to max(|b|, floor). */
export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), floor);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
