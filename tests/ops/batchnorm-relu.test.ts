/**
 * The fused batch-norm op with the ReLU that follows fused into it (`relu: true`,
 * engine/ops/batchnorm.ts, shaders/batchnorm.wgsl): y, the gradients and the running statistics bit
 * for bit those of batchNorm then the relu op, at one and two levels, in every mode, with dγ and dβ
 * or dx alone, and without the ReLU's dispatches; y within the forward bound of the f64 reference;
 * central finite differences with the kink kept away from every output (ladder columns); and
 * `forwardLayers` fusing BatchNorm or BatchNorm2d then Relu (training steps bit for bit as the
 * layers one by one), but not across a layer between them.
 */
import { describe, expect, it } from 'vitest';
import { ag, BatchNorm, BatchNorm2d, Dropout, type Layer, Linear, Relu, SGD, Sequential, tidy, type Var } from '../../engine/index';
import { forwardLayers } from '../../engine/nn/linear';
import type { ForwardContext } from '../../engine/nn/layer';
import { batchNormDispatches, batchNormSlices } from '../../engine/ops/batchnorm';
import { type CheckInput, gradCheck } from '../autograd/gradcheck';
import { randomArray, useRuntime } from '../helpers/gpu';
import { batchNormForward } from '../regularizers/reference';
import { batchNormBounds, worstRatio } from './batchnorm-bounds';
import { columns, EPS, run, runningRef } from './batchnorm-run';

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

  it('forwardLayers runs BatchNorm then Relu as one op: training steps bit for bit as the layers one by one, two dispatches fewer per pair; also with the Linear layers left unfused (linear: false)', async () => {
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
      // A run of two Linear layers, which `linear: false` leaves unfused.
      new Linear('l3', hidden, hidden, { activation: 'relu' }),
      new Linear('l4', hidden, classes),
    ];
    // 'all': every fusion; 'separate': each layer its own forward (fuse = false); 'bn': batch norm's ReLU fused, the Linear layers not.
    const train = async (mode: 'all' | 'separate' | 'bn') => {
      const model = Sequential.create(rt(), layers(), { seed: 3 });
      model.fuse = mode === 'all';
      const forward = (input: Var, ctx: ForwardContext) =>
        mode === 'bn' ? forwardLayers(model.layers, input, ctx, { linear: false }) : model.forward(input, ctx);
      const opt = new SGD(model.arena, { lr: 0.05 });
      const losses: number[] = [];
      const dispatches: number[] = [];
      for (let step = 0; step < 3; step++) {
        const w0 = rt().workStats().dispatches;
        const loss = tidy(() => {
          model.zeroGrads();
          const l = ag.softmaxCrossEntropy(forward(ag.constant(x), { training: true, step }), labels);
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
    const fused = await train('all');
    const separate = await train('separate');
    const bnOnly = await train('bn');
    for (const other of [fused, bnOnly]) {
      expect(other.losses).toEqual(separate.losses);
      expect(other.state).toEqual(separate.state);
    }
    // Each pair saves the ReLU's pass forward and its derivative's backward (steps after the first: cached seeds).
    expect(bnOnly.dispatches.slice(1)).toEqual(separate.dispatches.slice(1).map((n) => n - 4));
    // The Linear run fused saves more on top (its ReLU derivative between the two products).
    expect(fused.dispatches[1]).toBeLessThan(bnOnly.dispatches[1]);
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
