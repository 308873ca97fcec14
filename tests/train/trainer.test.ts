/**
 * The step runner and the training API for other people's models (issue 16):
 *
 * - `Trainer.step` and `fit` run the same step: the same model, data, order and optimizer give
 *   bit-identical parameters (with dropout fused in the matmuls, L2 in the chain, augmentation-free
 *   hooks on), so `fit` is a loop over the trainer and nothing else;
 * - regression through `fit` against closed forms: full-batch gradient descent on the MSE with the
 *   L2 regularizer converges to the ridge solution (normal equations in f64), and shuffled
 *   minibatches on noise-free targets converge to the exact weights (which they do only if the rows
 *   of x and y stay together when shuffled);
 * - the losses' values against f64 references (MSE, Huber in both regimes, binary cross-entropy),
 *   and the metrics following the loss (accuracy NaN for regression);
 * - dropout's two spellings ({ keep: p } and { rate: 1 − p }) build the same masks bit for bit;
 * - a bias-free MLP has no bias parameters and computes x·W;
 * - regularizers given once (to `mlp`) reach `fit`; a mismatch is an error;
 * - bad inputs refused with errors naming them.
 */
import { describe, expect, it } from 'vitest';
import {
  ag,
  binaryCrossEntropy,
  chain,
  constant,
  coupledL2,
  createMlp,
  Dropout,
  fit as engineFit,
  GpuDataset,
  huber,
  mse,
  sgd,
  tidy,
  Trainer,
} from '../../engine/index';
import { dropout, fit, l2, mlp } from '../../regularizers/index';
import { firstBitDiff, randomArray, useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';
import { gamma, norm2, solve, symmetricEigen, type Matrix } from '../regularizers/linalg';

/** A regression problem y = X·w* (+ noise), X [n, d] with entries in [−1, 1]. */
function regression(n: number, d: number, seed: number, noise: number): { x: Float32Array; y: Float32Array; wStar: number[] } {
  const x = randomArray(n * d, seed);
  const wStar = Array.from(randomArray(d, seed + 1));
  const eps = randomArray(n, seed + 2);
  const y = Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * wStar[j];
    return s + noise * eps[i];
  });
  return { x, y, wStar };
}

/** H = XᵀX/n and b = Xᵀy/n in f64. */
function normalEquations(x: Float32Array, y: Float32Array, n: number, d: number): { h: Matrix; b: number[] } {
  const h: Matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const b = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      b[j] += (x[i * d + j] * y[i]) / n;
      for (let k = 0; k < d; k++) h[j][k] += (x[i * d + j] * x[i * d + k]) / n;
    }
  return { h, b };
}

describe('Trainer and fit', () => {
  const rt = useRuntime();

  it('Trainer.step over the same minibatches gives the parameters of fit bit for bit', async () => {
    const { x, y } = syntheticArgmax(96, 12, 3, 7);
    const data = GpuDataset.upload(rt(), x, y, 3);
    const make = () => {
      const model = createMlp(rt(), { sizes: [12, 16, 16, 3], seed: 3, inputDropout: { rate: 0.2 }, hiddenDropout: { keep: 0.5 } });
      return { model, opt: chain(coupledL2({ alpha: 1e-3 }), sgd({ lr: 0.1 })).init(model.arena) };
    };
    const a = make();
    await engineFit(a.model, a.opt, data, undefined, { epochs: 2, batchSize: 32, seed: 11 });

    const b = make();
    const trainer = new Trainer(b.model, b.opt);
    const windows = GpuDataset.windows(data.count, 32);
    for (let epoch = 1; epoch <= 2; epoch++) {
      trainer.epoch = epoch;
      const order = data.shuffledOrder(11, epoch);
      for (const w of windows) {
        const batch = data.batch(order, w);
        await trainer.step(batch);
        batch.x.dispose();
        batch.targets.dispose();
      }
      order.dispose();
    }
    expect(trainer.globalStep).toBe(2 * windows.length);
    const pa = (await a.model.arena.values.toArray()) as Float32Array;
    const pb = (await b.model.arena.values.toArray()) as Float32Array;
    expect(firstBitDiff(pa, pb)).toBe(-1);
    // The running metrics are the mean training loss of the steps since the last reset.
    const m = await trainer.metrics();
    expect(m.count).toBe(2 * data.count);
    expect(Number.isFinite(m.loss)).toBe(true);
    trainer.dispose();
    for (const r of [a, b]) {
      r.opt.dispose();
      r.model.dispose();
    }
    data.dispose();
  });

  it('regression through fit: full-batch MSE with L2 converges to the ridge solution of the normal equations (f64)', async () => {
    const N = 64;
    const D = 4;
    const ALPHA = 0.05;
    const LR = 0.2;
    const EPOCHS = 150;
    const { x, y } = regression(N, D, 21, 0.1);
    const data = GpuDataset.fromArrays(rt(), x, y, N);
    // J(w) = (1/n)‖Xw − y‖² (mse: the mean over rows), ∇J = 2(Hw − b), plus the coupled L2 gradient α·w:
    // the fixed point solves (2H + αI)·w = 2b, i.e. w̃ = (H + (α/2)I)⁻¹·b (ridge with α′ = nα/2 in eq. 7.17's form).
    const { h, b } = normalEquations(x, y, N, D);
    const a: Matrix = h.map((row, j) => row.map((v, k) => 2 * v + (j === k ? ALPHA : 0)));
    const closed = solve(
      a,
      b.map((v) => 2 * v),
    );
    // Gradient descent contracts the error by ρ = max|1 − ε·μ(A)| per step; the f32 floor is each
    // step's rounding (the gradient's dot products of D and sums of N terms, Higham's γ) summed by
    // the contraction: ‖f‖/(1 − ρ). Doubled for slack, as in tests/regularizers/l2-ridge.test.ts.
    const mu = symmetricEigen(a).values;
    const rho = Math.max(...mu.map((m) => Math.abs(1 - LR * m)));
    const f = closed.map((wj, j) => {
      let e = 0;
      for (let i = 0; i < N; i++) {
        let dot = 0;
        let pred = 0;
        for (let k = 0; k < D; k++) {
          dot += Math.abs(x[i * D + k] * closed[k]);
          pred += x[i * D + k] * closed[k];
        }
        e += Math.abs(x[i * D + j]) * (gamma(D + 1) * (dot + Math.abs(y[i])) + gamma(N + 4) * Math.abs(pred - y[i]));
      }
      return (LR * 2 * e) / N + gamma(4) * Math.abs(wj) * (1 + 2 * LR * ALPHA);
    });
    const tol = 2 * (rho ** EPOCHS * norm2(closed) + norm2(f) / (1 - rho));
    expect(tol).toBeLessThan(1e-4);

    const model = mlp(rt(), { sizes: [D, 1], seed: 2, bias: false, regularizers: [l2({ alpha: ALPHA })] });
    expect(model.arena.params.map((p) => p.name)).toEqual(['fc1.weight']);
    const epochs: number[] = [];
    const run = await fit(
      model,
      { train: data, val: data },
      { optimizer: sgd({ lr: LR }), loss: mse(), epochs: EPOCHS, batchSize: N, onEpoch: (e) => void epochs.push(e.train.loss) },
    );
    const got = Array.from(await model.arena.param('fc1.weight').value.toArray());
    expect(norm2(got.map((v, i) => v - closed[i])), `GPU ${got} vs ${closed}`).toBeLessThanOrEqual(tol);
    // The metrics follow the loss: the MSE (no accuracy), decreasing, and the validation MSE of the
    // final weights equals the f64 MSE of those weights (to the f32 rounding of N squared residuals).
    expect(run.epochs[0].train.accuracy).toBeNaN();
    expect(epochs[epochs.length - 1]).toBeLessThan(epochs[0]);
    let mseRef = 0;
    for (let i = 0; i < N; i++) {
      let p = 0;
      for (let k = 0; k < D; k++) p += x[i * D + k] * got[k];
      mseRef += (p - y[i]) ** 2 / N;
    }
    const val = run.epochs[run.epochs.length - 1].val!;
    expect(val.accuracy).toBeNaN();
    expect(Math.abs(val.loss - mseRef)).toBeLessThanOrEqual(gamma(N + D + 2) * 4 * mseRef + 1e-7);
    run.optimizer.dispose();
    model.dispose();
    data.dispose();
  });

  it('regression through fit with shuffled minibatches: noise-free targets are fitted exactly (x and y rows stay together)', async () => {
    const N = 64;
    const D = 3;
    const { x, y, wStar } = regression(N, D, 5, 0);
    const data = GpuDataset.fromArrays(rt(), x, y, N, { targetShape: [1] });
    const model = mlp(rt(), { sizes: [D, 1], seed: 4, bias: false });
    const run = await fit(model, { train: data }, { optimizer: sgd({ lr: 0.3 }), loss: mse(), epochs: 60, batchSize: 8, seed: 3 });
    const got = Array.from(await model.arena.param('fc1.weight').value.toArray());
    // Every minibatch's gradient vanishes at w*, so SGD converges to it linearly; what is left is the
    // f32 floor: a D-term dot product's rounding (γ_{D+1}·Σ|x·w|, below 1e-6 here) amplified by the
    // conditioning of the minibatch Hessians (well under 100 for these random rows). Rows of y
    // detached from their x (a shuffle of one but not the other) leave an error of order |w*| ≈ 0.5.
    expect(Math.max(...got.map((v, i) => Math.abs(v - wStar[i])))).toBeLessThan(1e-4);
    // Without a validation set or onEpoch, fit does not wait for each epoch's metrics, but every
    // epoch's metrics have landed by the time it returns: all N rows counted, a finite time.
    expect(run.epochs).toHaveLength(60);
    for (const e of run.epochs) {
      expect(e.train.count).toBe(N);
      expect(Number.isFinite(e.train.loss) && Number.isFinite(e.seconds)).toBe(true);
    }
    expect(run.epochs[59].train.loss).toBeLessThan(run.epochs[0].train.loss);
    run.optimizer.dispose();
    model.dispose();
    data.dispose();
  });

  it('losses against f64 references: MSE, Huber (both pieces), binary cross-entropy from logits', async () => {
    const rows = 6;
    const cols = 3;
    const p = Float32Array.from(randomArray(rows * cols, 31), (v) => 3 * v);
    const t = randomArray(rows * cols, 32, 0, 1);
    const n = rows * cols;
    const refs: Record<string, number> = { mse: 0, huber: 0, bce: 0 };
    const delta = 0.7;
    for (let i = 0; i < n; i++) {
      const d = p[i] - t[i];
      refs.mse += (d * d) / n;
      refs.huber += (Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta)) / n;
      refs.bce += (Math.max(p[i], 0) - p[i] * t[i] + Math.log1p(Math.exp(-Math.abs(p[i])))) / n;
    }
    // Both Huber pieces are exercised.
    expect(Array.from(p).some((v, i) => Math.abs(v - t[i]) > delta) && Array.from(p).some((v, i) => Math.abs(v - t[i]) < delta)).toBe(true);
    const pt = rt().tensor(p, [rows, cols]);
    const tt = rt().tensor(t, [rows, cols]);
    const got: Record<string, number> = {};
    for (const [name, loss] of [
      ['mse', mse()],
      ['huber', huber({ delta })],
      ['bce', binaryCrossEntropy()],
    ] as const) {
      const v = tidy(() => ag.scale(loss.compute(constant(pt), tt), 1).data);
      got[name] = (await v.toArray())[0];
      v.dispose();
    }
    // f32 element-wise work (a few ulps each, log/exp within 1e-6 relative on these adapters) and a
    // mean of 18 terms: 1e-5 relative covers both; every wrong formula tried differs by > 1e-2.
    for (const k of Object.keys(refs)) expect(Math.abs(got[k] - refs[k]), k).toBeLessThanOrEqual(1e-5 * Math.abs(refs[k]));
    pt.dispose();
    tt.dispose();
  });

  it("dropout's two spellings, { keep: p } and { rate: 1 − p }, build the same masks bit for bit", async () => {
    const x = rt().tensor(new Float32Array(4096).fill(1), [64, 64]);
    for (const [keep, rate] of [
      [0.8, 0.2],
      [0.5, 0.5],
      [0.25, 0.75],
    ]) {
      const a = new Dropout('d', { keep }, 9, 2);
      const b = new Dropout('d', { rate }, 9, 2);
      expect(a.keepProb).toBe(b.keepProb);
      for (const step of [0, 5]) {
        const [ya, yb] = tidy(() => [a.forward(constant(x), { training: true, step }).data, b.forward(constant(x), { training: true, step }).data]);
        const [va, vb] = [(await ya.toArray()) as Float32Array, (await yb.toArray()) as Float32Array];
        expect(firstBitDiff(va, vb)).toBe(-1);
        // A real mask: some units dropped, some kept.
        expect(va.some((v) => v === 0) && va.some((v) => v !== 0)).toBe(true);
        ya.dispose();
        yb.dispose();
      }
    }
    x.dispose();
  });

  it('regularizers given once: the model built by mlp brings them to fit; one with layers the model lacks is refused', async () => {
    const { x, y } = syntheticArgmax(32, 6, 3, 2);
    const data = GpuDataset.upload(rt(), x, y, 3);
    const reg = l2({ alpha: 1e-3 });
    const drop = dropout({ hidden: { keep: 0.5 } });
    const model = mlp(rt(), { sizes: [6, 8, 3], regularizers: [reg, drop] });
    expect(model.layers.some((l) => l instanceof Dropout)).toBe(true);
    const run = await fit(model, { train: data }, { optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 16 });
    // l2's transformation reached the optimizer's chain without being given to fit.
    expect(run.optimizer.chainSpec.transforms).toEqual(expect.arrayContaining([...(reg.transforms ?? [])]));
    run.optimizer.dispose();
    await expect(
      fit(model, { train: data }, { optimizer: sgd({ lr: 0.1 }), regularizers: [dropout({ hidden: { keep: 0.7 } })], epochs: 1, batchSize: 16 }),
    ).rejects.toThrow(/fit: dropout add\(s\) layers, and the model was not built with it; give every regularizer once, to mlp/);
    model.dispose();
    data.dispose();
  });

  it('bad inputs are refused with errors naming them', async () => {
    const model = createMlp(rt(), { sizes: [4, 2], seed: 1 });
    const opt = chain(sgd({ lr: 0.1 })).init(model.arena);
    expect(() => new Trainer(model, opt, { loss: ((a: unknown) => a) as never })).toThrow(/Trainer: loss must be a Loss .* got a function/);
    expect(() => new Trainer(model, {} as never)).toThrow(/Trainer: optimizer must have a step\(\) method/);
    expect(() => new Trainer(model, opt, { syncEvery: 0 })).toThrow(/Trainer: syncEvery must be a positive integer, got 0/);
    expect(() => new Trainer(model, opt, { callbacks: [null as never] })).toThrow(/Trainer: callbacks\[0\] is not a callback/);
    expect(() => huber({ delta: 0 })).toThrow(/huber: delta must be a finite number > 0, got 0/);
    const trainer = new Trainer(model, opt, { loss: mse() });
    const x = rt().tensor(new Float32Array(8), [2, 4]);
    const t3 = rt().tensor(new Float32Array(3), [3, 1]);
    await expect(trainer.step({ x, targets: t3 })).rejects.toThrow(/Trainer.step: inputs \[2, 4\] and targets \[3, 1\] must have the same number of rows/);
    const t2 = rt().tensor(new Float32Array(6), [2, 3]);
    await expect(trainer.step({ x, targets: t2 })).rejects.toThrow(/mse: predictions \[2, 2\] and targets \[2, 3\] must have the same shape/);
    expect(() => GpuDataset.fromArrays(rt(), new Float32Array(6), new Float32Array(4), 2, { targetShape: [3] })).toThrow(
      /GpuDataset.fromArrays: y has 4 values, not 2 examples of \[3\]/,
    );
    expect(() => GpuDataset.fromArrays(rt(), Float32Array.of(1, Number.NaN), Float32Array.of(1, 2), 2)).toThrow(/GpuDataset.fromArrays: x\[1\] is NaN/);
    const reg = GpuDataset.fromArrays(rt(), new Float32Array(4), new Float32Array(2), 2);
    expect(() => reg.labels).toThrow(/this data set has float targets \(fromArrays\), not labels/);
    for (const t of [x, t3, t2]) t.dispose();
    reg.dispose();
    trainer.dispose();
    opt.dispose();
    model.dispose();
  });
});
