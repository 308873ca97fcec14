/**
 * The fused batch-norm op (engine/ops/batchnorm.ts, shaders/batchnorm.wgsl):
 * - forward with batch statistics ('train', 'batch') and with the running ones ('running'), and the
 *   gradients of x, γ, β, against the f64 reference of ../regularizers/reference.ts within the
 *   derived f32 bounds of ./batchnorm-bounds.ts, for odd feature counts and row counts from 2 to
 *   1,000: one level (one invocation per feature) and two levels (row slices, then their merge);
 *   columns with offsets up to 4 and spreads from 0.5 to 3;
 * - a directional finite difference through the two-level kernels (the one-level ones are checked
 *   element by element in ../regularizers/batchnorm.test.ts and ../property/table.test.ts);
 * - the running statistics after several training passes against the f64 recurrence (unbiased
 *   variance), two levels, and that 'batch' and 'running' leave them alone;
 * - batch 1: batch statistics refuse it (as BatchNorm did before the fused op), inference takes it;
 * - BatchNorm2d through the same op (the maps as [B·H·W, C] rows);
 * - dispatches: what the kernel design says (statistics in one level or two, normalize; sums in one
 *   level or two, dx), fewer than the same layer composed from the tape's ops, no submit of its
 *   own, and an MLP training step with batch norm is the plain step plus exactly those dispatches,
 *   in one submit;
 * (The ReLU fused into the op: ./batchnorm-relu.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ag, BatchNorm, BatchNorm2d, type Layer, Linear, noGrad, Relu, SGD, Sequential, tidy, type Var } from '../../engine/index';
import { batchNormDispatches, batchNormSlices } from '../../engine/ops/batchnorm';
import { randomArray, useRuntime } from '../helpers/gpu';
import { type BatchNormRef, batchNormBackward, batchNormForward } from '../regularizers/reference';
import { batchNormBounds, runningBounds, worstRatio } from './batchnorm-bounds';
import { columns, EPS, run, runningRef, SHAPES } from './batchnorm-run';

describe('fused batch norm', () => {
  const rt = useRuntime();

  it('the shapes cover one and two levels', () => {
    expect(SHAPES.map(([r, c]) => batchNormSlices(r, c))).toEqual([1, 1, 1, 1, 1, 1, 2, 4, 7]);
  });

  for (const [rows, features] of SHAPES) {
    for (const mode of ['train', 'batch', 'running'] as const) {
      it(`${mode}, [${rows}, ${features}]: y, dx, dγ, dβ within the f32 bounds of the f64 reference`, async () => {
        const seed = rows * 31 + features;
        const x = columns(rows, features, seed);
        const r = await run(rt(), x, rows, features, mode, seed);
        const batch = mode !== 'running';
        const ref = batch ? batchNormForward(x, rows, features, r.gamma, r.beta, EPS) : runningRef(x, features, r.gamma, r.beta, r.rmHost, r.rvHost);
        const want = batch ? batchNormBackward(ref, r.g, rows, features, r.gamma) : constantStatsBackward(ref, r.g, rows, features, r.gamma);
        const bound = batchNormBounds(x, rows, features, r.gamma, ref, r.g, batch);
        expect(worstRatio(r.y, ref.y, bound.y), 'y').toBeLessThanOrEqual(1);
        expect(worstRatio(r.dx, want.dx, bound.dx), 'dx').toBeLessThanOrEqual(1);
        expect(worstRatio(r.dgamma!, want.dgamma, bound.dgamma), 'dγ').toBeLessThanOrEqual(1);
        expect(worstRatio(r.dbeta!, want.dbeta, bound.dbeta), 'dβ').toBeLessThanOrEqual(1);
        // The running statistics: updated by 'train' only (the recurrence in f64, the variance unbiased), never touched otherwise.
        if (mode === 'train') {
          const m = 0.1;
          const wantMean = Float64Array.from(r.rmHost, (v, f) => (1 - m) * v + m * ref.mean[f]);
          const wantVar = Float64Array.from(r.rvHost, (v, f) => (1 - m) * v + (m * ref.variance[f] * rows) / (rows - 1));
          for (let f = 0; f < features; f++) {
            const [eMean, eVar] = runningBounds(bound, ref, rows, f, m, [r.rmHost[f], r.rvHost[f]], [wantMean[f], wantVar[f]]);
            expect(Math.abs(r.running[0][f] - wantMean[f]), `running mean ${f}`).toBeLessThanOrEqual(eMean);
            expect(Math.abs(r.running[1][f] - wantVar[f]), `running variance ${f}`).toBeLessThanOrEqual(eVar);
          }
        } else {
          expect(r.running[0]).toEqual(r.rmHost);
          expect(r.running[1]).toEqual(r.rvHost);
        }
        // Dispatches as designed: the statistics (one level or two) and normalize; the sums (one or two) and dx. No submit.
        const d = batchNormDispatches(rows, features);
        expect(r.forward).toEqual({ dispatches: batch ? d.forward : 2, submits: 0 });
        expect(r.backward).toEqual({ dispatches: d.backward, submits: 0 });
      });
    }
  }

  it('batch 1: batch statistics are refused (op and layer), inference normalizes it', async () => {
    const xt = rt().tensor(new Float32Array([1, 2, 3]), [1, 3]);
    const ones = rt().tensor(new Float32Array(3).fill(1), [3]);
    const zeros = rt().tensor(new Float32Array(3), [3]);
    for (const mode of ['train', 'batch'] as const) {
      expect(() => ag.batchNorm(xt, ones, zeros, zeros, ones, { mode, eps: EPS, momentum: 0.1 })).toThrow(/at least 2 rows/);
    }
    const model = Sequential.create(rt(), [new BatchNorm('bn', 3, { eps: EPS })]);
    expect(() => model.forward(ag.constant(xt), { training: true, step: 0 })).toThrow(/at least 2 rows/);
    const y = noGrad(() => tidy(() => model.forward(ag.constant(xt), { training: false, step: 0 }).data));
    // Fresh running statistics (mean 0, variance 1): y = x/√(1 + ε), within the inference bound (3 roundings, inverseSqrt's 2 ULP).
    const got = await y.toArray();
    [1, 2, 3].forEach((v, i) => expect(Math.abs(got[i] - v / Math.sqrt(1 + EPS))).toBeLessThanOrEqual(v * 6 * 2 ** -23));
    y.dispose();
    model.dispose();
    [xt, ones, zeros].forEach((t) => t.dispose());
  });

  it('BatchNorm2d runs the same op on [B·H·W, C] rows: forward, gradients and running statistics, two levels', async () => {
    const [b, h, w, c] = [2, 12, 12, 3];
    const rows = b * h * w;
    expect(batchNormSlices(rows, c)).toBeGreaterThan(1);
    const model = Sequential.create(rt(), [new BatchNorm2d('bn', c, { eps: EPS, momentum: 0.1 })]);
    const gamma = randomArray(c, 91, 0.5, 1.5);
    const beta = randomArray(c, 92, -0.5, 0.5);
    model.arena.setValues('bn.gamma', gamma);
    model.arena.setValues('bn.beta', beta);
    const x = columns(rows, c, 93);
    const g = randomArray(rows * c, 94, -1, 1);
    const [xt, gt] = [rt().tensor(x, [b, h, w, c]), rt().tensor(g, [b, h, w, c])];
    model.zeroGrads();
    const xv = ag.variable(xt);
    const d0 = rt().workStats();
    const y = model.forward(xv, { training: true, step: 0 });
    const d1 = rt().workStats();
    expect(y.shape).toEqual([b, h, w, c]);
    const yv = await y.data.toArray();
    const loss = ag.sum(ag.mul(y, gt));
    ag.backward(loss);
    loss.dispose();
    // The reshapes are views: the forward is the op's dispatches alone.
    expect(d1.dispatches - d0.dispatches).toBe(batchNormDispatches(rows, c).forward);
    expect(d1.submits - d0.submits).toBe(0);
    const ref = batchNormForward(x, rows, c, gamma, beta, EPS);
    const want = batchNormBackward(ref, g, rows, c, gamma);
    const bound = batchNormBounds(x, rows, c, gamma, ref, g, true);
    const grads = Object.fromEntries(await Promise.all(model.arena.params.map(async (p) => [p.name, await p.grad.toArray()] as const)));
    expect(worstRatio(yv, ref.y, bound.y), 'y').toBeLessThanOrEqual(1);
    expect(worstRatio(await xv.grad!.toArray(), want.dx, bound.dx), 'dx').toBeLessThanOrEqual(1);
    expect(worstRatio(grads['bn.gamma'], want.dgamma, bound.dgamma), 'dγ').toBeLessThanOrEqual(1);
    expect(worstRatio(grads['bn.beta'], want.dbeta, bound.dbeta), 'dβ').toBeLessThanOrEqual(1);
    const state = await model.exportState();
    for (let f = 0; f < c; f++) {
      const next: [number, number] = [0.1 * ref.mean[f], 0.9 + (0.1 * ref.variance[f] * rows) / (rows - 1)];
      const [eMean, eVar] = runningBounds(bound, ref, rows, f, 0.1, [0, 1], next);
      expect(Math.abs(state.buffers['bn.runningMean'][f] - next[0])).toBeLessThanOrEqual(eMean);
      expect(Math.abs(state.buffers['bn.runningVar'][f] - next[1])).toBeLessThanOrEqual(eVar);
    }
    xv.dispose();
    [xt, gt].forEach((t) => t.dispose());
    model.dispose();
  });

  it('an MLP training step with batch norm is the plain step plus the dispatches of the op, in one submit, fewer than the composed layer', async () => {
    const [batch, inputs, hidden, classes] = [32, 16, 24, 4];
    const x = rt().tensor(columns(batch, inputs, 7), [batch, inputs]);
    const labels = rt().tensor(
      Uint32Array.from({ length: batch }, (_, i) => i % classes),
      [batch],
      'u32',
    );
    /** Dispatches and submits of the second training step (the first compiles and makes the cached seed). */
    const stepWork = async (layers: readonly Layer[]) => {
      const model = Sequential.create(rt(), layers);
      // Linear and ReLU as separate ops in both models, so that batch norm is the only difference.
      model.fuse = false;
      const opt = new SGD(model.arena, { lr: 0.01 });
      const step = (): void =>
        tidy(() => {
          model.zeroGrads();
          const loss = ag.softmaxCrossEntropy(model.forward(ag.constant(x), { training: true, step: 0 }), labels);
          ag.backward(loss);
          loss.dispose();
          opt.step();
          rt().flush();
        });
      step();
      await rt().sync();
      const w0 = rt().workStats();
      step();
      const w1 = rt().workStats();
      opt.dispose?.();
      model.dispose();
      return { dispatches: w1.dispatches - w0.dispatches, submits: w1.submits - w0.submits };
    };
    const plain = await stepWork([new Linear('l1', inputs, hidden), new Relu('r'), new Linear('l2', hidden, classes)]);
    const withBn = await stepWork([new Linear('l1', inputs, hidden), new BatchNorm('bn', hidden), new Relu('r'), new Linear('l2', hidden, classes)]);
    const d = batchNormDispatches(batch, hidden);
    // The tape adds each parameter's gradient into its arena slot (engine/autograd/grads.ts accumulateLeaf): one dispatch for γ, one for β.
    expect(withBn).toEqual({ dispatches: plain.dispatches + d.forward + d.backward + 2, submits: plain.submits });
    expect(withBn.submits).toBe(1);
    // The layer composed from the tape's ops (as BatchNorm was before the fused op), forward and backward, no running update.
    const xt = rt().tensor(columns(batch, hidden, 8), [batch, hidden]);
    const ones = rt().tensor(new Float32Array(hidden).fill(1), [hidden]);
    const zeros = rt().tensor(new Float32Array(hidden), [hidden]);
    const composed = (v: Var, gamma: Var, beta: Var): Var => {
      const mu = ag.mean(v, [0], true);
      const xc = ag.sub(v, mu);
      return ag.add(ag.mul(ag.mul(xc, ag.rsqrt(ag.mean(ag.square(xc), [0], true), EPS)), gamma), beta);
    };
    const fused = (v: Var, gamma: Var, beta: Var): Var => ag.batchNorm(v, gamma, beta, zeros, ones, { mode: 'batch', eps: EPS, momentum: 0.1 });
    const work = (f: typeof composed): { dispatches: number; y: Promise<ArrayLike<number>> } => {
      const vs = [xt, ones, zeros].map((t) => ag.variable(t));
      const d0 = rt().workStats().dispatches;
      const y = f(vs[0], vs[1], vs[2]);
      const out = y.data.toArray();
      const loss = ag.sum(y);
      ag.backward(loss);
      const n = rt().workStats().dispatches - d0;
      loss.dispose();
      vs.forEach((v) => v.dispose());
      return { dispatches: n, y: out };
    };
    const a = work(composed);
    const b = work(fused);
    expect(b.dispatches).toBeLessThan(a.dispatches);
    await Promise.all([a.y, b.y]);
    [x, labels, xt, ones, zeros].forEach((t) => t.dispose());
  });

  it('inference without a gradient is one dispatch', async () => {
    const [rows, features] = [7, 3];
    const xt = rt().tensor(columns(rows, features, 5), [rows, features]);
    const ones = rt().tensor(new Float32Array(features).fill(1), [features]);
    const zeros = rt().tensor(new Float32Array(features), [features]);
    const d0 = rt().workStats().dispatches;
    const y = noGrad(() => ag.batchNorm(xt, ones, zeros, zeros, ones, { mode: 'running', eps: EPS, momentum: 0.1 }));
    expect(rt().workStats().dispatches - d0).toBe(batchNormDispatches(rows, features).inference);
    y.dispose();
    [xt, ones, zeros].forEach((t) => t.dispose());
  });
});

/** dx = γ·s·g, dγ = Σ g·x̂, dβ = Σ g: the gradients when the statistics are constants (inference mode). */
function constantStatsBackward(ref: BatchNormRef, g: ArrayLike<number>, rows: number, features: number, gamma: ArrayLike<number>) {
  const dgamma = new Float64Array(features);
  const dbeta = new Float64Array(features);
  const dx = new Float64Array(rows * features);
  for (let i = 0; i < rows * features; i++) {
    const f = i % features;
    dbeta[f] += g[i];
    dgamma[f] += g[i] * ref.xhat[i];
    dx[i] = gamma[f] * ref.invStd[f] * g[i];
  }
  return { dx, dgamma, dbeta };
}
