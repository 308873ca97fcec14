/**
 * Dropout (chapter 7.12): units kept with probability p (per layer; defaults 0.8 on the inputs and
 * 0.5 on the hidden units), trained through the fused kernel (shaders/dropout.wgsl: the mask is
 * drawn in the shader and drawn again in the backward pass, never stored). Inference by:
 *
 *   predict(model, x)                 (a) the weight scaling rule / (b) inverted dropout: one
 *                                         deterministic pass. Which of the two depends on how the
 *                                         model was trained (`rule`): 'weight-scaling' trains with
 *                                         unscaled kept units and multiplies by p at inference;
 *                                         'inverted' divides by p in training and does nothing at
 *                                         inference. Both are the same network (eq. 7.56–7.66).
 *   predictMonteCarlo(model, x, k)    (c) the arithmetic mean over k sampled masks (eq. 7.53), with
 *                                         the spread of the k predictions
 *   predictGeometricMean(model, x)    (d) the renormalized geometric mean over ALL masks
 *                                         (eq. 7.54–7.55), exactly, for tiny networks (≤ 16 units
 *                                         under dropout): every mask is enumerated on the GPU
 */
import {
  ArgumentError,
  constant,
  Dropout,
  keepProbabilityOf,
  type DropoutProbability,
  noGrad,
  softmaxRows,
  tidy,
  type DropoutRule,
  type LayerSite,
  type Runtime,
  type Sequential,
  type Tensor,
} from '../engine/index';
import { integerAtLeast } from './check';
import type { Regularizer } from './types';

/** Options of {@link dropout}. */
export interface DropoutConfig {
  /** Dropout on the inputs, `{ keep: p }` or `{ rate: r }` (default { keep: 0.8 }; { keep: 1 } = none). */
  input?: DropoutProbability;
  /** Dropout on the hidden units: one for all, or exactly one per hidden layer (default { keep: 0.5 }). */
  hidden?: DropoutProbability | readonly DropoutProbability[];
  /** Default 'inverted'. */
  rule?: DropoutRule;
}

/** Dropout layers on the inputs and after every hidden activation; the probabilities are named ({ keep } or { rate }), never bare numbers. */
export function dropout(config: DropoutConfig = {}): Regularizer & { input: number; hidden: number | readonly number[] } {
  if (typeof config !== 'object' || config === null) throw new ArgumentError(`dropout: expected an options object, got ${String(config)}`);
  const input = keepProbabilityOf('dropout', 'input', config.input ?? { keep: 0.8 });
  const spec = config.hidden ?? { keep: 0.5 };
  const hidden: number | readonly number[] = Array.isArray(spec)
    ? spec.map((p, i) => keepProbabilityOf('dropout', `hidden[${i}]`, p))
    : keepProbabilityOf('dropout', 'hidden', spec);
  const rule = config.rule ?? 'inverted';
  if (rule !== 'inverted' && rule !== 'weight-scaling') throw new ArgumentError(`dropout: rule must be 'inverted' or 'weight-scaling', got ${String(rule)}`);
  const hiddenAt = (site: LayerSite): number => {
    if (typeof hidden === 'number') return hidden;
    if (hidden.length !== site.hiddenLayers)
      throw new ArgumentError(
        `dropout: ${hidden.length} hidden keep probabilities, but the model has ${site.hiddenLayers} hidden layer(s); give one for all, or one per hidden layer`,
      );
    return hidden[site.index - 1];
  };
  return {
    name: 'dropout',
    input,
    hidden,
    layers: (site: LayerSite) => {
      if (site.kind === 'input' && input < 1) return [new Dropout('drop0', { keep: input }, site.seed, 0, { rule })];
      if (site.kind === 'hidden') {
        const keep = hiddenAt(site);
        if (keep < 1) return [new Dropout(`drop${site.index}`, { keep }, site.seed, site.index, { rule })];
      }
      return [];
    },
  };
}

/** The model's dropout layers, in order. */
export function dropoutLayers(model: Sequential): Dropout[] {
  return model.layers.filter((l): l is Dropout => l instanceof Dropout);
}

/** Class probabilities of one deterministic pass (dropout off: the weight scaling or inverted rule), read back. */
export async function predict(model: Sequential, x: Tensor): Promise<Float32Array> {
  const p = noGrad(() => tidy(() => softmaxRows(model.forward(constant(x), { training: false, step: 0 }).data)));
  const out = (await p.toArray()) as Float32Array;
  p.dispose();
  return out;
}

/** What Monte-Carlo dropout returns, per row and class. */
export interface MonteCarloPrediction {
  /** Mean of the k sampled distributions, [rows·classes]. */
  mean: Float32Array;
  /** Standard deviation over the k samples, [rows·classes]. */
  std: Float32Array;
  samples: number;
}

/**
 * (c) Monte-Carlo dropout: k forward passes with dropout on (batch norm, if any, in inference
 * mode), masks keyed by steps offset, offset + 1, …; the arithmetic mean of the distributions and
 * their spread.
 */
export async function predictMonteCarlo(model: Sequential, x: Tensor, samples: number, offset = 1 << 30): Promise<MonteCarloPrediction> {
  integerAtLeast('predictMonteCarlo', 'samples', samples, 1);
  let sum = new Float64Array(0);
  let sq = new Float64Array(0);
  for (let s = 0; s < samples; s++) {
    const p = noGrad(() => tidy(() => softmaxRows(model.forward(constant(x), { training: false, dropout: true, step: offset + s }).data)));
    const v = await p.toArray();
    p.dispose();
    if (s === 0) {
      sum = new Float64Array(v.length);
      sq = new Float64Array(v.length);
    }
    for (let i = 0; i < v.length; i++) {
      sum[i] += v[i];
      sq[i] += v[i] * v[i];
    }
  }
  const n = sum.length;
  const mean = new Float32Array(n);
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = sum[i] / samples;
    mean[i] = m;
    std[i] = Math.sqrt(Math.max(sq[i] / samples - m * m, 0));
  }
  return { mean, std, samples };
}

/** Units under dropout the exact geometric mean may enumerate (2^16 masks). */
export const GEOMETRIC_MEAN_MAX_UNITS = 16;

/**
 * (d) The exact renormalized geometric mean over every dropout mask (eq. 7.54–7.55):
 *   p̃(y|x) = Π_μ p(y|x, μ)^{P(μ)},  p_ens(y|x) = p̃(y|x) / Σ_y' p̃(y'|x)
 * with P(μ) = Π_i p_i^{μ_i}(1 − p_i)^{1 − μ_i} (uniform when every p = ½, as in the book). For each
 * row of x, the 2ⁿ masks of the n units under dropout (n ≤ 16) run as one batch on the GPU with
 * explicit masks; the weighted mean of log-probabilities is taken in f64 on the CPU.
 */
export async function predictGeometricMean(rt: Runtime, model: Sequential, x: Float32Array, features: number): Promise<Float32Array> {
  const layers = dropoutLayers(model);
  if (layers.length === 0) throw new ArgumentError('predictGeometricMean: the model has no dropout layers');
  const rows = x.length / features;
  if (!Number.isInteger(rows) || rows < 1) throw new ArgumentError(`predictGeometricMean: ${x.length} inputs do not split into rows of ${features}`);
  // The width of each dropout layer: run one row through the model and record each layer's input.
  const widths = await dropoutWidths(rt, model, x.subarray(0, features), features, layers);
  const n = widths.reduce((a, b) => a + b, 0);
  if (n > GEOMETRIC_MEAN_MAX_UNITS)
    throw new ArgumentError(`predictGeometricMean: ${n} units under dropout means 2^${n} masks; at most ${GEOMETRIC_MEAN_MAX_UNITS} are enumerated`);
  const masks = 2 ** n;
  // Per layer, the [masks, width] 0/1 table: bit (offset + j) of mask m is unit j's draw.
  const tables: Tensor[] = [];
  let bit = 0;
  for (const w of widths) {
    const t = new Float32Array(masks * w);
    for (let m = 0; m < masks; m++) for (let j = 0; j < w; j++) t[m * w + j] = (m >>> (bit + j)) & 1;
    tables.push(rt.tensor(t, [masks, w]));
    bit += w;
  }
  const logWeight = new Float64Array(masks);
  for (let m = 0; m < masks; m++) {
    let lw = 0;
    let b = 0;
    layers.forEach((l, li) => {
      for (let j = 0; j < widths[li]; j++, b++) lw += (m >>> b) & 1 ? Math.log(l.keepProb) : Math.log(1 - l.keepProb);
    });
    logWeight[m] = lw;
  }
  const byName = new Map(layers.map((l, i) => [l.name, tables[i]]));
  const out: number[] = [];
  try {
    for (let r = 0; r < rows; r++) {
      const rep = new Float32Array(masks * features);
      for (let m = 0; m < masks; m++) rep.set(x.subarray(r * features, (r + 1) * features), m * features);
      const xt = rt.tensor(rep, [masks, features]);
      const logits = noGrad(() => tidy(() => model.forward(constant(xt), { training: false, dropout: false, step: 0, masks: byName }).data));
      const z = await logits.toArray();
      logits.dispose();
      xt.dispose();
      const k = z.length / masks;
      const acc = new Float64Array(k);
      for (let m = 0; m < masks; m++) {
        let mx = -Infinity;
        for (let c = 0; c < k; c++) mx = Math.max(mx, z[m * k + c]);
        let s = 0;
        for (let c = 0; c < k; c++) s += Math.exp(z[m * k + c] - mx);
        const lse = mx + Math.log(s);
        const w = Math.exp(logWeight[m]);
        for (let c = 0; c < k; c++) acc[c] += w * (z[m * k + c] - lse);
      }
      let mx = -Infinity;
      for (const a of acc) mx = Math.max(mx, a);
      let s = 0;
      for (const a of acc) s += Math.exp(a - mx);
      for (const a of acc) out.push(Math.exp(a - mx) / s);
    }
  } finally {
    tables.forEach((t) => t.dispose());
  }
  return Float32Array.from(out);
}

/** The number of units each dropout layer sees, from one forward pass of one row. */
async function dropoutWidths(rt: Runtime, model: Sequential, row: Float32Array, features: number, layers: Dropout[]): Promise<number[]> {
  const widths = new Map<Dropout, number>();
  const xt = rt.tensor(row, [1, features]);
  noGrad(() =>
    tidy(() => {
      let h = constant(xt);
      for (const l of model.layers) {
        if (l instanceof Dropout) widths.set(l, h.shape[1]);
        h = l.forward(h, { training: false, step: 0 });
      }
      return undefined;
    }),
  );
  xt.dispose();
  return layers.map((l) => widths.get(l) ?? 0);
}
