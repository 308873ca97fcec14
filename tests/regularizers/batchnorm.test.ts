/**
 * Batch normalization (engine/nn/batchnorm.ts, used by regularizers/batchnorm.ts) on a
 * [batch, features] input:
 *
 * - forward with batch statistics and the gradients of x, γ and β against an f64 CPU reference
 *   (./reference.ts: the closed-form backward of batch norm), and against central finite
 *   differences (tests/autograd/gradcheck.ts, its default f32-aware tolerances);
 * - the running statistics follow r ← (1 − m)·r + m·(batch value), the variance unbiased
 *   (σ²_B·B/(B − 1)), over several training passes, against the same recurrence in f64;
 * - inference mode normalizes with the running statistics and leaves them alone;
 * - `{ training: false, dropout: true }` (Monte-Carlo dropout) keeps batch norm in inference mode
 *   while dropout draws: every output is 0 or the running-statistics value / p, about 1 − p of them
 *   are 0, the masks change with the step, and the running statistics stay bit for bit the same
 *   (also through `predictMonteCarlo` on an `mlp` built with `batchNorm()` and `dropout()`).
 *
 * Tolerances: values of order 1 pass through ~6 f32 operations and a mean over B ≤ 16 rows: a few
 * times B·2⁻²⁴ relative, ~1e-6; 1e-5 absolute leaves a factor 10. The backward's dx has a
 * cancellation (g − mean g − x̂·mean(g x̂)) of terms of order 1, scaled by γ/σ ≲ 3: 2e-5.
 */
import { describe, expect, it } from 'vitest';
import { ag, BatchNorm, constant, Dropout, noGrad, Sequential, tidy, type Var } from '../../engine/index';
import { batchNorm, dropout, mlp, predictMonteCarlo } from '../../regularizers/index';
import { gradCheck, input } from '../autograd/gradcheck';
import { maxAbsDiff, randomArray, useRuntime } from '../helpers/gpu';
import { batchNormBackward, batchNormForward } from './reference';

const B = 8;
const F = 5;
const EPS = 1e-5;

describe('batch normalization', () => {
  const rt = useRuntime();

  function makeBn(momentum = 0.1): { model: Sequential; gamma: Float32Array; beta: Float32Array } {
    const model = Sequential.create(rt(), [new BatchNorm('bn', F, { momentum, eps: EPS })]);
    const gamma = randomArray(F, 3, 0.5, 1.5);
    const beta = randomArray(F, 4, -0.5, 0.5);
    model.arena.setValues('bn.gamma', gamma);
    model.arena.setValues('bn.beta', beta);
    return { model, gamma, beta };
  }

  it('forward and the gradients of x, γ, β (batch statistics) match the f64 reference', async () => {
    const { model, gamma, beta } = makeBn();
    // Features with different offsets and spreads.
    const x = randomArray(B * F, 7, -1, 1).map((v, i) => v * (0.5 + (i % F)) + (i % F) - 2);
    const g = randomArray(B * F, 8, -1, 1);
    const xt = rt().tensor(x, [B, F]);
    const gt = rt().tensor(g, [B, F]);
    model.zeroGrads();
    const xv = ag.variable(xt);
    const y = model.forward(xv, { training: false, batchStats: true, step: 0 });
    const yv = await y.data.toArray();
    const loss = ag.sum(ag.mul(y, gt));
    ag.backward(loss);
    loss.dispose();
    const dx = await xv.grad!.toArray();
    const params = Object.fromEntries(await Promise.all(model.arena.params.map(async (p) => [p.name, await p.grad.toArray()] as const)));
    const ref = batchNormForward(x, B, F, gamma, beta, EPS);
    const back = batchNormBackward(ref, g, B, F, gamma);
    expect(maxAbsDiff(yv, ref.y)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(dx, back.dx)).toBeLessThanOrEqual(2e-5);
    expect(maxAbsDiff(params['bn.gamma'], back.dgamma)).toBeLessThanOrEqual(2e-5);
    expect(maxAbsDiff(params['bn.beta'], back.dbeta)).toBeLessThanOrEqual(2e-5);
    // The gradient of x sums to zero over the batch (normalization removes the mean): a property, not a copy of the formula.
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let r = 0; r < B; r++) s += dx[r * F + f];
      expect(Math.abs(s)).toBeLessThanOrEqual(2e-5);
    }
    xv.dispose();
    xt.dispose();
    gt.dispose();
    model.dispose();
  });

  it('its gradients pass central finite differences (x, γ, β)', async () => {
    const rows = 6;
    const feats = 3;
    const bn = new BatchNorm('bn', feats, { eps: EPS });
    const rm = rt().tensor(new Float32Array(feats), [feats]);
    const rv = rt().tensor(new Float32Array(feats).fill(1), [feats]);
    bn.bindBuffers((name) => (name.endsWith('runningMean') ? rm : rv));
    const f = (xs: Var[]): Var => {
      bn.bind((name) => (name.endsWith('.gamma') ? xs[1] : xs[2]));
      return bn.forward(xs[0], { training: false, batchStats: true, step: 0 });
    };
    await gradCheck(rt(), f, [input([rows, feats], 21), input([feats], 22, 0.5, 1.5), input([feats], 23)]);
    // Batch statistics outside training mode do not touch the running statistics.
    expect([...(await rm.toArray())]).toEqual([0, 0, 0]);
    expect([...(await rv.toArray())]).toEqual([1, 1, 1]);
    rm.dispose();
    rv.dispose();
  });

  it('running statistics follow r ← (1 − m)·r + m·batch value (unbiased variance) over several training passes', async () => {
    const m = 0.2;
    const { model } = makeBn(m);
    const mean = new Float64Array(F);
    const vari = new Float64Array(F).fill(1);
    for (let pass = 0; pass < 5; pass++) {
      const x = randomArray(B * F, 30 + pass, -1, 1).map((v, i) => 2 * v + pass + (i % F));
      const xt = rt().tensor(x, [B, F]);
      noGrad(() => tidy(() => model.forward(constant(xt), { training: true, step: pass }).data));
      xt.dispose();
      const ref = batchNormForward(x, B, F, new Float64Array(F).fill(1), new Float64Array(F), EPS);
      for (let f = 0; f < F; f++) {
        mean[f] = (1 - m) * mean[f] + m * ref.mean[f];
        vari[f] = (1 - m) * vari[f] + (m * ref.variance[f] * B) / (B - 1);
      }
      const state = await model.exportState();
      // Values of order ≤ 10, a handful of f32 roundings per pass, accumulated over 5 passes.
      expect(maxAbsDiff(state.buffers['bn.runningMean'], mean), `mean after pass ${pass}`).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(state.buffers['bn.runningVar'], vari), `variance after pass ${pass}`).toBeLessThanOrEqual(1e-5);
    }
    // Inference mode: the running statistics normalize, and stay as they are.
    const before = await model.exportState();
    const x = randomArray(B * F, 50, -3, 3);
    const xt = rt().tensor(x, [B, F]);
    const y = noGrad(() => tidy(() => model.forward(constant(xt), { training: false, step: 0 }).data));
    const got = await y.toArray();
    const gamma = before.params['bn.gamma'];
    const beta = before.params['bn.beta'];
    const rm = before.buffers['bn.runningMean'];
    const rv = before.buffers['bn.runningVar'];
    const want = Float64Array.from(x, (v, i) => (gamma[i % F] * (v - rm[i % F])) / Math.sqrt(rv[i % F] + EPS) + beta[i % F]);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    // …and not the batch's: the batch-statistics output of the same x is far from it.
    expect(maxAbsDiff(got, batchNormForward(x, B, F, gamma, beta, EPS).y)).toBeGreaterThan(0.1);
    const after = await model.exportState();
    expect(after.buffers).toEqual(before.buffers);
    y.dispose();
    xt.dispose();
    model.dispose();
  });

  it('{ training: false, dropout: true } keeps batch norm on its running statistics while dropout draws', async () => {
    const p = 0.5;
    const rows = 64;
    const model = Sequential.create(rt(), [new BatchNorm('bn', F, { eps: EPS }), new Dropout('drop', { rate: 1 - p }, 5, 1)]);
    // Give the running statistics non-trivial values: a few training passes.
    for (let pass = 0; pass < 3; pass++) {
      const xt = rt().tensor(randomArray(rows * F, 60 + pass, -1, 1), [rows, F]);
      noGrad(() => tidy(() => model.forward(constant(xt), { training: true, step: pass }).data));
      xt.dispose();
    }
    const before = await model.exportState();
    const gamma = before.params['bn.gamma'];
    const beta = before.params['bn.beta'];
    const rm = before.buffers['bn.runningMean'];
    const rv = before.buffers['bn.runningVar'];
    // Inputs offset by 3, so their batch statistics are far from the running ones.
    const x = randomArray(rows * F, 70, -1, 1).map((v) => v + 3);
    const xt = rt().tensor(x, [rows, F]);
    const inference = Float64Array.from(x, (v, i) => (gamma[i % F] * (v - rm[i % F])) / Math.sqrt(rv[i % F] + EPS) + beta[i % F]);
    let zeros = 0;
    let total = 0;
    const outs: Float32Array[] = [];
    for (let step = 0; step < 4; step++) {
      const y = noGrad(() => tidy(() => model.forward(constant(xt), { training: false, dropout: true, step }).data));
      const v = (await y.toArray()) as Float32Array;
      y.dispose();
      outs.push(v);
      for (let i = 0; i < v.length; i++) {
        total++;
        if (v[i] === 0) zeros++;
        // Kept units carry the running-statistics value scaled by 1/p (inverted dropout).
        else expect(Math.abs(v[i] - inference[i] / p), `step ${step} element ${i}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(inference[i] / p)));
      }
    }
    // Drop fraction 1 − p over 4·64·5 = 1280 draws: binomial sd √(1280·¼) ≈ 18, i.e. 0.014; 5 sd.
    expect(Math.abs(zeros / total - (1 - p))).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / total));
    expect([...outs[0]]).not.toEqual([...outs[1]]);
    const after = await model.exportState();
    expect(after.buffers).toEqual(before.buffers);
    xt.dispose();
    model.dispose();
  });

  it('predictMonteCarlo on an mlp with batchNorm() and dropout(): spread > 0, running statistics untouched', async () => {
    const regs = [batchNorm(), dropout({ input: { keep: 1 }, hidden: { keep: 0.5 } })];
    const model = mlp(rt(), { sizes: [6, 8, 3], seed: 4, regularizers: regs });
    expect(model.layers.map((l) => l.constructor.name)).toEqual(['Linear', 'BatchNorm', 'Relu', 'Dropout', 'Linear']);
    const xt = rt().tensor(randomArray(16 * 6, 80, -1, 1), [16, 6]);
    noGrad(() => tidy(() => model.forward(constant(xt), { training: true, step: 0 }).data));
    const before = await model.exportState();
    const mc = await predictMonteCarlo(model, xt, 10);
    expect(Math.max(...mc.std)).toBeGreaterThan(0);
    expect((await model.exportState()).buffers).toEqual(before.buffers);
    xt.dispose();
    model.dispose();
  });
});
