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
 * - the ReLU fused into the op (`relu: true`): y, the gradients and the running statistics bit for
 *   bit those of batchNorm then the relu op, at one and two levels, in every mode, with dγ and dβ or
 *   dx alone, and without the ReLU's dispatches; y within the forward bound of the f64 reference;
 *   central finite differences with the kink kept away from every output (ladder columns); and
 *   `forwardLayers` fusing BatchNorm or BatchNorm2d then Relu (training steps bit for bit as the
 *   layers one by one), but not across a layer between them.
 */
import { describe, expect, it } from 'vitest';
import { ag, BatchNorm, BatchNorm2d, Dropout, type Layer, Linear, noGrad, Relu, SGD, Sequential, tidy, type Var } from '../../engine/index';
import { batchNormDispatches, batchNormSlices, type BatchNormMode } from '../../engine/ops/batchnorm';
import type { Runtime } from '../../engine/runtime/runtime';
import { type CheckInput, gradCheck } from '../autograd/gradcheck';
import { randomArray, useRuntime } from '../helpers/gpu';
import { type BatchNormRef, batchNormBackward, batchNormForward } from '../regularizers/reference';
import { batchNormBounds, runningBounds, worstRatio } from './batchnorm-bounds';

const EPS = 1e-5;

/** x [rows, features] with per-feature offsets in [−4, 4) and spreads in [0.5, 3). */
function columns(rows: number, features: number, seed: number): Float32Array {
  const offset = randomArray(features, seed + 1, -4, 4);
  const spread = randomArray(features, seed + 2, 0.5, 3);
  return randomArray(rows * features, seed, -1, 1).map((v, i) => v * spread[i % features] + offset[i % features]);
}

/** The reference of normalizing with given (running) statistics instead of the batch's. */
function runningRef(
  x: ArrayLike<number>,
  features: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  rm: Float32Array,
  rv: Float32Array,
): BatchNormRef {
  const mean = Float64Array.from(rm);
  const variance = Float64Array.from(rv);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % features]) * invStd[i % features]);
  const y = xhat.map((v, i) => gamma[i % features] * v + beta[i % features]);
  return { y, xhat, mean, variance, invStd };
}

/** How a ReLU follows the op in {@link run}: none, fused into it (`relu: true`), or the `relu` op after it. */
type ReluAfter = 'none' | 'fused' | 'op';

/**
 * L = Σ f(x) ⊙ g, f = batchNorm(x) or its ReLU (`relu`): the output, the gradients (γ and β
 * constants with `dxOnly`), the running statistics, and the dispatches and submits of each pass.
 */
async function run(rt: Runtime, x: Float32Array, rows: number, features: number, mode: BatchNormMode, seed: number, relu: ReluAfter = 'none', dxOnly = false) {
  const gamma = randomArray(features, seed + 3, 0.5, 1.5);
  const beta = randomArray(features, seed + 4, -0.5, 0.5);
  const rmHost = randomArray(features, seed + 5, -1, 1);
  const rvHost = randomArray(features, seed + 6, 0.5, 2);
  const g = randomArray(rows * features, seed + 7, -1, 1);
  const [xt, gt, bt, rm, rv, gr] = [
    rt.tensor(x, [rows, features]),
    rt.tensor(gamma, [features]),
    rt.tensor(beta, [features]),
    rt.tensor(rmHost, [features]),
    rt.tensor(rvHost, [features]),
    rt.tensor(g, [rows, features]),
  ];
  // What the rest of the graph costs backward (sum's seed and mul's rule), measured on a plain leaf in y's
  // place; the second time, once autodiff's cached seed exists.
  let rest = 0;
  for (let k = 0; k < 2; k++) {
    const plain = ag.variable(xt);
    const other = ag.sum(ag.mul(plain, gr));
    const p0 = rt.workStats().dispatches;
    ag.backward(other);
    rest = rt.workStats().dispatches - p0;
    other.dispose();
    plain.dispose();
  }
  const vars = [xt, gt, bt].map((t, i) => ag.variable(t, { requiresGrad: i === 0 || !dxOnly }));
  const w0 = rt.workStats();
  const bn = ag.batchNorm(vars[0], vars[1], vars[2], rm, rv, { mode, eps: EPS, momentum: 0.1, relu: relu === 'fused' });
  const y = relu === 'op' ? ag.relu(bn) : bn;
  const w1 = rt.workStats();
  // Read now: backward frees the graph's intermediate results.
  const yHost = await y.data.toArray();
  const loss = ag.sum(ag.mul(y, gr));
  const w2 = rt.workStats();
  ag.backward(loss);
  const w3 = rt.workStats();
  loss.dispose();
  const out = {
    y: yHost,
    dx: await vars[0].grad!.toArray(),
    dgamma: await vars[1].grad?.toArray(),
    dbeta: await vars[2].grad?.toArray(),
    running: [await rm.toArray(), await rv.toArray()],
    gamma,
    beta,
    g,
    rmHost,
    rvHost,
    forward: { dispatches: w1.dispatches - w0.dispatches, submits: w1.submits - w0.submits },
    backward: { dispatches: w3.dispatches - w2.dispatches - rest, submits: w3.submits - w2.submits },
  };
  vars.forEach((v) => v.dispose());
  [xt, gt, bt, rm, rv, gr].forEach((t) => t.dispose());
  return out;
}

// One level up to 255 rows; two levels with 2, 4 and 7 slices.
const SHAPES: [number, number][] = [
  [2, 1],
  [2, 5],
  [3, 7],
  [7, 3],
  [64, 33],
  [255, 5],
  [300, 5],
  [520, 33],
  [1000, 3],
];

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

/**
 * Columns that keep the fused ReLU's kink away from every output, for finite differences: column f
 * a shuffled ladder scale·2·(k − (N − 1)/2) + f/2 (so x̂ takes N evenly spaced values, the same in
 * every column), γ in [0.5, 1.5), and β putting the kink halfway between two rungs (a different
 * pair per column, so that the ReLU cuts a different share of each). `margin`: the least distance
 * |γ·x̂ + β| of an output from the kink; `slope`: the largest γ·s (s = 1/√(σ² + ε)), which bounds how
 * far a step in one x moves its own output.
 */
function ladderColumns(rows: number, features: number, scale: number, seed: number) {
  const x = new Float32Array(rows * features);
  const gamma = randomArray(features, seed + 1, 0.5, 1.5);
  const beta = new Float32Array(features);
  const sigma = scale * Math.sqrt((rows * rows - 1) / 3);
  const s = 1 / Math.sqrt(sigma * sigma + EPS);
  const xhat = (k: number): number => scale * 2 * (k - (rows - 1) / 2) * s;
  let margin = Number.POSITIVE_INFINITY;
  for (let f = 0; f < features; f++) {
    const order = Array.from(randomArray(rows, seed + 10 + f), (u, r) => [u, r] as const).sort((p, q) => p[0] - q[0]);
    order.forEach(([, r], k) => (x[r * features + f] = scale * 2 * (k - (rows - 1) / 2) + f / 2));
    const k = Math.floor(((f + 1) * (rows - 1)) / (features + 1));
    beta[f] = -gamma[f] * ((xhat(k) + xhat(k + 1)) / 2);
    for (let j = 0; j < rows; j++) margin = Math.min(margin, Math.abs(gamma[f] * xhat(j) + beta[f]));
  }
  return { x, gamma, beta, margin, slope: Math.max(...gamma) * s };
}

describe('batch norm with the ReLU fused', () => {
  const rt = useRuntime();

  // One level and two (2, 4 and 7 slices).
  const FUSED_SHAPES: [number, number][] = [
    [2, 5],
    [7, 3],
    [64, 33],
    [300, 5],
    [520, 33],
    [1000, 3],
  ];
  for (const [rows, features] of FUSED_SHAPES) {
    for (const mode of ['train', 'batch', 'running'] as const) {
      for (const dxOnly of [false, true]) {
        it(`${mode}, [${rows}, ${features}]${dxOnly ? ', dx alone' : ''}: the bits of batchNorm then relu (y, gradients, running statistics), without the ReLU's passes`, async () => {
          const seed = rows * 17 + features;
          const x = columns(rows, features, seed);
          const fused = await run(rt(), x, rows, features, mode, seed, 'fused', dxOnly);
          const op = await run(rt(), x, rows, features, mode, seed, 'op', dxOnly);
          // The ReLU is exercised: it cuts some outputs and passes others.
          expect(fused.y.some((v) => v === 0)).toBe(true);
          expect(fused.y.some((v) => v > 0)).toBe(true);
          expect(fused.y).toEqual(op.y);
          expect(fused.dx).toEqual(op.dx);
          expect(fused.dgamma).toEqual(op.dgamma);
          expect(fused.dbeta).toEqual(op.dbeta);
          expect(dxOnly ? [fused.dgamma, fused.dbeta] : [typeof fused.dgamma, typeof fused.dbeta]).toEqual(
            dxOnly ? [undefined, undefined] : ['object', 'object'],
          );
          expect(fused.running).toEqual(op.running);
          // y within the forward bound of the f64 reference (the ReLU moves no value further from it).
          const batch = mode !== 'running';
          const ref = batch
            ? batchNormForward(x, rows, features, fused.gamma, fused.beta, EPS)
            : runningRef(x, features, fused.gamma, fused.beta, fused.rmHost, fused.rvHost);
          const bound = batchNormBounds(x, rows, features, fused.gamma, ref, fused.g, batch);
          expect(
            worstRatio(
              fused.y,
              Float64Array.from(ref.y, (v) => Math.max(v, 0)),
              bound.y,
            ),
            'y',
          ).toBeLessThanOrEqual(1);
          // Dispatches: the op's own (running statistics with a gradient: running_stats, normalize); the
          // relu op adds one each way, except for dx alone under running statistics, where no sums run
          // to carry the mask and the fused op takes relu's derivative pass too.
          const d = batchNormDispatches(rows, features);
          const forward = batch ? d.forward : 2;
          const sums = batch || !dxOnly;
          const backward = sums ? d.backward : 2;
          expect(fused.forward).toEqual({ dispatches: forward, submits: 0 });
          expect(op.forward).toEqual({ dispatches: forward + 1, submits: 0 });
          expect(fused.backward).toEqual({ dispatches: backward, submits: 0 });
          expect(op.backward).toEqual({ dispatches: sums ? backward + 1 : backward, submits: 0 });
        });
      }
    }
  }

  it('relu must be a boolean', () => {
    const xt = rt().tensor(new Float32Array(6), [2, 3]);
    const ones = rt().tensor(new Float32Array(3).fill(1), [3]);
    const zeros = rt().tensor(new Float32Array(3), [3]);
    const attrs = { mode: 'batch', eps: EPS, momentum: 0.1, relu: 1 } as unknown as Parameters<typeof ag.batchNorm>[5];
    expect(() => ag.batchNorm(xt, ones, zeros, zeros, ones, attrs)).toThrow(/relu must be true or false/);
    [xt, ones, zeros].forEach((t) => t.dispose());
  });

  it('its gradients pass central finite differences: x, γ, β at one level; x at two levels', async () => {
    const h = 1e-2;
    const check = async (rows: number, features: number, scale: number, seed: number, all: boolean) => {
      const c = ladderColumns(rows, features, scale, seed);
      // A step of h in x moves its output by about h·γ·s (and the others far less), in γ by h·|x̂|, in β by h.
      const maxXhat = (rows - 1) * scale * c.slope;
      expect(2 * h * c.slope, 'x steps stay clear of the kink').toBeLessThan(c.margin);
      if (all) expect(2 * h * (maxXhat + 1), 'γ and β steps stay clear of the kink').toBeLessThan(c.margin);
      const rm = rt().tensor(new Float32Array(features), [features]);
      const rv = rt().tensor(new Float32Array(features).fill(1), [features]);
      const fixed = [rt().tensor(c.gamma, [features]), rt().tensor(c.beta, [features])];
      const f = (xs: Var[]): Var => ag.batchNorm(xs[0], xs[1] ?? fixed[0], xs[2] ?? fixed[1], rm, rv, { mode: 'batch', eps: EPS, momentum: 0.1, relu: true });
      const inputs: CheckInput[] = [{ data: c.x, shape: [rows, features] }];
      if (all) inputs.push({ data: c.gamma, shape: [features] }, { data: c.beta, shape: [features] });
      await gradCheck(rt(), f, inputs);
      [rm, rv, ...fixed].forEach((t) => t.dispose());
    };
    expect(batchNormSlices(6, 3)).toBe(1);
    await check(6, 3, 1, 41, true);
    expect(batchNormSlices(256, 2)).toBe(2);
    await check(256, 2, 1 / 8, 42, false);
  });

  it('forwardLayers runs BatchNorm then Relu as one op: training steps bit for bit as the layers one by one, two dispatches fewer per pair', async () => {
    const [batch, inputs, hidden, classes] = [32, 16, 24, 4];
    const x = rt().tensor(columns(batch, inputs, 11), [batch, inputs]);
    const labels = rt().tensor(
      Uint32Array.from({ length: batch }, (_, i) => i % classes),
      [batch],
      'u32',
    );
    const layers = () => [
      new Linear('l1', inputs, hidden),
      new BatchNorm('bn1', hidden),
      new Relu('r1'),
      new Linear('l2', hidden, hidden),
      new BatchNorm('bn2', hidden),
      new Relu('r2'),
      new Linear('l3', hidden, classes),
    ];
    const train = async (fuse: boolean) => {
      const model = Sequential.create(rt(), layers(), { seed: 3 });
      model.fuse = fuse;
      const opt = new SGD(model.arena, { lr: 0.05 });
      const losses: number[] = [];
      const dispatches: number[] = [];
      for (let step = 0; step < 3; step++) {
        const w0 = rt().workStats().dispatches;
        const loss = tidy(() => {
          model.zeroGrads();
          const l = ag.softmaxCrossEntropy(model.forward(ag.constant(x), { training: true, step }), labels);
          ag.backward(l);
          opt.step();
          return l.data;
        });
        dispatches.push(rt().workStats().dispatches - w0);
        losses.push(await loss.item());
        loss.dispose();
      }
      const state = await model.exportState();
      opt.dispose?.();
      model.dispose();
      return { losses, state, dispatches };
    };
    const fused = await train(true);
    const separate = await train(false);
    expect(fused.losses).toEqual(separate.losses);
    expect(fused.state).toEqual(separate.state);
    // Each pair saves the ReLU's pass forward and its derivative's backward (steps after the first: cached seeds).
    expect(fused.dispatches.slice(1)).toEqual(separate.dispatches.slice(1).map((n) => n - 4));
    [x, labels].forEach((t) => t.dispose());
  });

  it('BatchNorm2d then Relu fuses too; a layer between them keeps the ReLU its own pass, with the same values', async () => {
    const [b, h, w, c] = [2, 12, 12, 3];
    const rows = b * h * w;
    const x = columns(rows, c, 51);
    const g = randomArray(rows * c, 52, -1, 1);
    const ctx = { training: false, batchStats: true, step: 0 };
    const pass = async (layers: Layer[], shape: number[], fuse: boolean) => {
      const model = Sequential.create(rt(), layers, { seed: 4 });
      model.fuse = fuse;
      model.arena.setValues('bn.beta', randomArray(c, 53, -0.5, 0.5));
      const [xt, gt] = [rt().tensor(x, shape), rt().tensor(g, shape)];
      model.zeroGrads();
      const xv = ag.variable(xt);
      const d0 = rt().workStats().dispatches;
      const y = model.forward(xv, ctx);
      const forward = rt().workStats().dispatches - d0;
      const yv = await y.data.toArray();
      const loss = ag.sum(ag.mul(y, gt));
      ag.backward(loss);
      loss.dispose();
      const out = { y: yv, dx: await xv.grad!.toArray(), grads: await model.arena.grads.toArray(), forward };
      xv.dispose();
      [xt, gt].forEach((t) => t.dispose());
      model.dispose();
      return out;
    };
    const maps = [b, h, w, c];
    const fused2d = await pass([new BatchNorm2d('bn', c), new Relu('r')], maps, true);
    const separate2d = await pass([new BatchNorm2d('bn', c), new Relu('r')], maps, false);
    expect(fused2d.y.some((v) => v === 0)).toBe(true);
    expect(fused2d).toEqual({ ...separate2d, forward: batchNormDispatches(rows, c).forward });
    expect(separate2d.forward).toBe(batchNormDispatches(rows, c).forward + 1);
    // Dropout is the identity here (not training): between BatchNorm and Relu it still ends the fusion.
    const between = await pass([new BatchNorm('bn', c), new Dropout('drop', { rate: 0.5 }, 1, 1), new Relu('r')], [rows, c], true);
    expect(between).toEqual({ ...fused2d, forward: batchNormDispatches(rows, c).forward + 1 });
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
