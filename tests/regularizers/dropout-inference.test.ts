/**
 * The dropout inference rules of regularizers/dropout.ts against exact results (chapter 7.12):
 *
 * (a) Softmax regression: the renormalized weighted geometric mean over all 2ⁿ input masks
 *     (`predictGeometricMean`) equals the weight scaling rule (`predict`), for both training
 *     conventions and for any keep probability p (eq. 7.56–7.66). The book shows it for p = ½; for
 *     general p the weights P(μ) = Π p^μ(1 − p)^(1−μ) make Σ_μ P(μ)·log softmax(Wᵀ(μ ⊙ v) + b)_y equal
 *     Wᵀ(E[μ] ⊙ v) + b − (a term that does not depend on y), and E[μ] = p: the weight-scaled logits
 *     up to a constant that renormalization removes. With inverted dropout the kept units are also
 *     scaled by s = 1/p in training, so the mean is softmax(Wᵀv + b), the inverted rule's plain
 *     inference pass; with the weight-scaling rule (s = 1) it is softmax(Wᵀ(p·v) + b). Checked
 *     against that closed form in f64.
 * (b) A two-hidden-layer ReLU net: the same two predictions differ; the gap is recorded (annotation)
 *     and must be far above float tolerance. Both are first checked against an f64 CPU enumeration.
 * (c) Monte-Carlo dropout: the mean of k sampled predictions lies within a few standard errors
 *     (exact σ / √k, σ from the enumeration) of the exact arithmetic mean over all masks (eq. 7.53), enumerated on the
 *     GPU with explicit masks (ctx.masks) and cross-checked on the CPU; the reported spread matches
 *     the exact per-sample std, is positive where masks matter, and is exactly zero with keep prob 1.
 *
 * Tolerances: the GPU computes logits in f32. A dot product of n terms carries at most about
 * (n + 2)·2⁻²⁴·Σ|terms| of rounding; a probability moves by at most ½·max|Δlogit| (Σ_j |∂p_c/∂z_j| =
 * 2p_c(1 − p_c) ≤ ½); the mixtures are formed in f64 from the f32 logits, which adds nothing of
 * that order. Each test states the bound it uses.
 */
import { describe, expect, it } from 'vitest';
import { constant, Dropout, Linear, noGrad, Sequential, tidy, type DropoutRule, type Runtime } from '../../engine/index';
import { dropout, dropoutLayers, mlp, predict, predictGeometricMean, predictMonteCarlo } from '../../regularizers/index';
import { randomArray, useRuntime } from '../helpers/gpu';
import { allMasks, denseLayers, logSoftmax, mixtures, mlpLogits, softmax, type DenseLayer } from './reference';

const EPS32 = 2 ** -24;

/** Sets every parameter of the model: weights uniform in ±w, biases in ±b (seeded). */
function setParams(model: Sequential, seed: number, w: number, b: number): void {
  for (const p of model.arena.params) {
    const r = p.role === 'weight' ? w : b;
    model.arena.setValues(p.name, randomArray(p.size, seed + p.index, -r, r));
  }
}

/**
 * Per-mask log-probabilities of one row computed on the GPU with explicit masks (ctx.masks), as
 * predictGeometricMean does: the row repeated once per mask, each dropout layer given its [masks, width] table.
 */
async function gpuMaskLogProbs(rt: Runtime, model: Sequential, row: Float32Array, masks: Float64Array[][]): Promise<Float64Array[]> {
  const layers = dropoutLayers(model);
  const count = masks.length;
  const tables = layers.map((_, g) => {
    const w = masks[0][g].length;
    const t = new Float32Array(count * w);
    for (let m = 0; m < count; m++) t.set(masks[m][g], m * w);
    return rt.tensor(t, [count, w]);
  });
  const rep = new Float32Array(count * row.length);
  for (let m = 0; m < count; m++) rep.set(row, m * row.length);
  const xt = rt.tensor(rep, [count, row.length]);
  const byName = new Map(layers.map((l, g) => [l.name, tables[g]]));
  const logits = noGrad(() => tidy(() => model.forward(constant(xt), { training: false, dropout: false, step: 0, masks: byName }).data));
  const z = await logits.toArray();
  logits.dispose();
  xt.dispose();
  tables.forEach((t) => t.dispose());
  const k = z.length / count;
  return Array.from({ length: count }, (_, m) => logSoftmax(z.subarray(m * k, (m + 1) * k)));
}

/** Exact mixtures of one row by f64 CPU enumeration: masks on groups of `widths` kept with `keep`. */
function cpuMixtures(layers: readonly DenseLayer[], row: Float32Array, widths: number[], keep: number[], rule: DropoutRule): ReturnType<typeof mixtures> {
  const { masks, weight } = allMasks(widths, keep);
  const scales = rule === 'inverted' ? keep.map((p) => 1 / p) : keep.map(() => 1);
  return mixtures(
    masks.map((m) => logSoftmax(mlpLogits(layers, row, m, scales))),
    weight,
  );
}

/** The weight scaling prediction of one row in f64: every dropout group's units multiplied by p (weight-scaling rule) or left (inverted). */
function cpuWeightScaled(layers: readonly DenseLayer[], row: Float32Array, keep: number[], rule: DropoutRule): Float64Array {
  return softmax(mlpLogits(layers, row, [], rule === 'weight-scaling' ? keep : keep.map(() => 1)));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('dropout inference rules', () => {
  const rt = useRuntime();

  describe('(a) softmax regression: the geometric mean over all masks IS weight scaling', () => {
    const N = 12;
    const K = 4;
    const ROWS = 3;
    for (const rule of ['inverted', 'weight-scaling'] as const) {
      for (const p of [0.5, 0.8, 0.3]) {
        it(`rule '${rule}', keep p = ${p}: predictGeometricMean = predict = softmax(Wᵀ(E[μ]·s·v) + b) over 2^${N} masks`, async () => {
          const model = mlp(rt(), { sizes: [N, K], seed: 3, regularizers: [dropout({ input: { keep: p }, rule })] });
          expect(model.layers.map((l) => l.name)).toEqual(['drop0', 'fc1']);
          setParams(model, 40, 1.5, 0.5);
          const x = randomArray(ROWS * N, 11, -2, 2);
          const xt = rt().tensor(x, [ROWS, N]);
          const ws = await predict(model, xt);
          const geo = await predictGeometricMean(rt(), model, x, N);
          const layers = denseLayers((await model.exportState()).params);
          // Rounding bound: logits are dot products of N terms (times 1/p where a mask is scaled).
          let terms = 0;
          const closed: number[] = [];
          const arith: number[] = [];
          for (let r = 0; r < ROWS; r++) {
            const row = x.subarray(r * N, (r + 1) * N);
            closed.push(...cpuWeightScaled(layers, row, [p], rule));
            arith.push(...cpuMixtures(layers, row, [N], [p], rule).arithmetic);
            for (let c = 0; c < K; c++) {
              let s = Math.abs(layers[0].b[c]);
              for (let i = 0; i < N; i++) s += Math.abs(layers[0].w[i * K + c] * row[i]) / p;
              terms = Math.max(terms, s);
            }
          }
          const tol = 0.5 * (N + 3) * EPS32 * terms + 2 * EPS32;
          expect(maxDiff(geo, closed), 'geometric mean vs closed form').toBeLessThanOrEqual(tol);
          expect(maxDiff(ws, closed), 'weight scaling vs closed form').toBeLessThanOrEqual(tol);
          expect(maxDiff(geo, ws), 'geometric mean vs weight scaling').toBeLessThanOrEqual(2 * tol);
          // Not vacuous: the arithmetic mean over the same masks is a different distribution.
          expect(maxDiff(arith, closed)).toBeGreaterThan(100 * tol);
          xt.dispose();
          model.dispose();
        });
      }
    }
  });

  describe('(b) a two-hidden-layer ReLU net: weight scaling only approximates the geometric mean', () => {
    // 4 inputs kept with 0.8, two hidden layers of 6 kept with 0.5: 16 units, 2^16 masks per row.
    const SIZES = [4, 6, 6, 3];
    const KEEP = [0.8, 0.5, 0.5];
    const WIDTHS = [4, 6, 6];
    const ROWS = 2;
    for (const rule of ['inverted', 'weight-scaling'] as const) {
      it(`rule '${rule}': both predictions match f64 enumeration, and differ from each other by far more than rounding`, async ({ annotate }) => {
        const model = mlp(rt(), { sizes: SIZES, seed: 5, regularizers: [dropout({ input: { keep: KEEP[0] }, hidden: { keep: KEEP[1] }, rule })] });
        expect(dropoutLayers(model).map((l) => l.name)).toEqual(['drop0', 'drop1', 'drop2']);
        setParams(model, 70, 1, 0.3);
        const x = randomArray(ROWS * SIZES[0], 13, -2, 2);
        const xt = rt().tensor(x, [ROWS, SIZES[0]]);
        const ws = await predict(model, xt);
        const geo = await predictGeometricMean(rt(), model, x, SIZES[0]);
        const layers = denseLayers((await model.exportState()).params);
        const refGeo: number[] = [];
        const refWs: number[] = [];
        for (let r = 0; r < ROWS; r++) {
          const row = x.subarray(r * SIZES[0], (r + 1) * SIZES[0]);
          refGeo.push(...cpuMixtures(layers, row, WIDTHS, KEEP, rule).geometric);
          refWs.push(...cpuWeightScaled(layers, row, KEEP, rule));
        }
        // Three layers of ≤ 6-term dot products on values of order ≤ 10 (×1/p ≤ 2 under masks):
        // ≲ 30 roundings of ≤ 20 each, 30·20·2⁻²⁴ ≈ 4e-5 on a logit, half that on a probability.
        const tol = 2e-5;
        expect(maxDiff(geo, refGeo), 'geometric mean vs f64 enumeration').toBeLessThanOrEqual(tol);
        expect(maxDiff(ws, refWs), 'weight scaling vs f64').toBeLessThanOrEqual(tol);
        const gap = maxDiff(geo, ws);
        await annotate(`rule ${rule}: max |geometric mean − weight scaling| = ${gap.toExponential(3)} (float tolerance ${tol})`);
        expect(gap).toBeGreaterThan(50 * tol);
        xt.dispose();
        model.dispose();
      });
    }
  });

  describe('(c) Monte-Carlo dropout converges to the arithmetic mean over all masks', () => {
    const SIZES = [4, 6, 6, 3];
    const KEEP = [0.8, 0.5, 0.5];
    const WIDTHS = [4, 6, 6];
    const ROWS = 2;

    it('the mean of k samples is within 5 standard errors of the exact mixture (k = 50 and 500); the spread matches the exact std', async ({ annotate }) => {
      const model = mlp(rt(), { sizes: SIZES, seed: 5, regularizers: [dropout({ input: { keep: KEEP[0] }, hidden: { keep: KEEP[1] } })] });
      setParams(model, 70, 1, 0.3);
      const x = randomArray(ROWS * SIZES[0], 17, -2, 2);
      const xt = rt().tensor(x, [ROWS, SIZES[0]]);
      const layers = denseLayers((await model.exportState()).params);
      const { masks, weight } = allMasks(WIDTHS, KEEP);
      const exact: ReturnType<typeof mixtures>[] = [];
      for (let r = 0; r < ROWS; r++) {
        const row = x.subarray(r * SIZES[0], (r + 1) * SIZES[0]);
        const gpu = mixtures(await gpuMaskLogProbs(rt(), model, row, masks), weight);
        const cpu = cpuMixtures(layers, row, WIDTHS, KEEP, 'inverted');
        // Same rounding budget as (b).
        expect(maxDiff(gpu.arithmetic, cpu.arithmetic), 'explicit-mask enumeration on the GPU vs f64').toBeLessThanOrEqual(2e-5);
        exact.push(gpu);
      }
      const mean = exact.flatMap((e) => [...e.arithmetic]);
      const sigma = exact.flatMap((e) => [...e.std]);
      const fourth = exact.flatMap((e) => [...e.fourth]);
      expect(Math.min(...sigma), 'every class probability varies with the mask').toBeGreaterThan(1e-3);
      const ws = await predict(model, xt);
      let worst = 0;
      for (const k of [50, 500]) {
        const mc = await predictMonteCarlo(model, xt, k);
        expect(mc.samples).toBe(k);
        for (let i = 0; i < mean.length; i++) {
          expect(mc.std[i], `spread of entry ${i}`).toBeGreaterThan(0);
          // The standard error from the exact σ over all masks (not the std the implementation
          // reports, which the test would otherwise trust to judge itself).
          const se = sigma[i] / Math.sqrt(k);
          const z = Math.abs(mc.mean[i] - mean[i]) / se;
          worst = Math.max(worst, z);
          // 5 standard errors plus f32 rounding: a per-sample probability under dropout is bounded
          // but skewed, so the normal tail (6e-7 at 5σ) is only a guide.
          expect(Math.abs(mc.mean[i] - mean[i]), `k = ${k}, entry ${i}`).toBeLessThanOrEqual(5 * se + 2e-5);
          if (k === 500) {
            // The sample std against the exact σ: Var(s²) ≈ (μ₄ − σ⁴)/k, so s is within
            // 5·√((μ₄ − σ⁴)/k)/(2σ) of σ (delta method), plus rounding.
            const sdErr = Math.sqrt(Math.max(fourth[i] - sigma[i] ** 4, 0) / k) / (2 * sigma[i]);
            expect(Math.abs(mc.std[i] - sigma[i]), `std of entry ${i}`).toBeLessThanOrEqual(5 * sdErr + 2e-5);
          }
        }
        if (k === 500) {
          // The estimate tells the arithmetic mean from weight scaling: somewhere their gap exceeds 5 SE.
          const separated = mean.some((m, i) => Math.abs(m - ws[i]) > 5 * (sigma[i] / Math.sqrt(k)) + 2e-5);
          expect(separated, 'the arithmetic mean differs from weight scaling beyond the MC tolerance').toBe(true);
        }
      }
      await annotate(
        `largest |MC mean − exact mean| = ${worst.toFixed(2)} standard errors; max |arithmetic − weight scaling| = ${maxDiff(mean, ws).toExponential(3)}`,
      );
      xt.dispose();
      model.dispose();
    });

    it('with keep probability 1 every sample is the deterministic prediction: spread exactly 0', async () => {
      const model = Sequential.create(
        rt(),
        [
          new Dropout('drop0', { rate: 0 }, 1, 0),
          new Linear('fc1', 4, 6, { activation: 'relu' }),
          new Dropout('drop1', { rate: 0 }, 1, 1),
          new Linear('fc2', 6, 3),
        ],
        { seed: 2 },
      );
      setParams(model, 90, 1, 0.3);
      const xt = rt().tensor(randomArray(3 * 4, 19, -2, 2), [3, 4]);
      const mc = await predictMonteCarlo(model, xt, 8);
      expect([...mc.std]).toEqual(new Array(9).fill(0));
      // The mean of 8 identical f32 values, formed in f64 and rounded back, is that value exactly.
      expect([...mc.mean]).toEqual([...(await predict(model, xt))]);
      xt.dispose();
      model.dispose();
    });
  });
});
