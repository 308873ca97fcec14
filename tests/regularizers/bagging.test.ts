/**
 * Bagging and ensembles (regularizers/bagging.ts, chapter 7.11):
 *
 * - A bootstrap resample of n = 10,000 holds a fraction 1 − (1 − 1/n)ⁿ ≈ 1 − 1/e ≈ 0.632 of distinct
 *   examples. Checked against the exact mean and standard deviation of the number of examples never
 *   drawn (a sum of n dependent indicators: Var = n·q + n(n − 1)·r − n²q², q = (1 − 1/n)ⁿ,
 *   r = (1 − 2/n)ⁿ; sd of the fraction ≈ 0.003): each resample within 5 sd, the mean of 20 within
 *   5 sd/√20. The same seed and member give the same resample; other members and seeds differ; the
 *   sampler plugin visits exactly the resample each epoch, and `bagging` trains member i on resample i.
 * - Eq. 7.50: for k bagged linear-regression members trained with the engine (a Linear layer, the
 *   chain optimizer, an MSE written with ag ops, minibatches from the bootstrap sampler), the
 *   ensemble's squared error on held-out points equals v/k + (k − 1)c/k from the members' own
 *   measured v (mean squared error) and c (mean pairwise error product). This is an identity of the
 *   measured quantities, so it holds to the rounding of the GPU's ensemble average (bound stated
 *   below). What resampling buys, v − c (the members' spread), is checked against its derived size
 *   and against members trained on the whole set (no resampling), whose spread is 10× smaller.
 * - `Ensemble.predictProbs` is the average of the members' softmax outputs (eq. 7.52), against an
 *   f64 CPU forward pass of each member.
 */
import { describe, expect, it } from 'vitest';
import { add, ag, chain, constant, GpuDataset, Linear, noGrad, scale, Sequential, sgd, tidy, type Batch, type Tensor } from '../../engine/index';
import { bagging, bootstrap, bootstrapIndices, Ensemble, mlp, uniqueFraction, type Regularizer } from '../../regularizers/index';
import { randomArray, useRuntime } from '../helpers/gpu';
import { denseLayers, mlpLogits, softmax } from './reference';

const EPS32 = 2 ** -24;

/** Exact mean and sd of the distinct fraction of a bootstrap resample of n. */
function distinctMoments(n: number): { mean: number; sd: number } {
  const q = (1 - 1 / n) ** n;
  const r = (1 - 2 / n) ** n;
  const varMissing = n * q + n * (n - 1) * r - n * n * q * q;
  return { mean: 1 - q, sd: Math.sqrt(varMissing) / n };
}

function sorted(a: ArrayLike<number>): number[] {
  return Array.from(a).sort((x, y) => x - y);
}

describe('bagging', () => {
  const rt = useRuntime();

  it('a bootstrap resample of 10,000 holds 1 − 1/e of the examples, within the binomial-like spread', () => {
    const n = 10_000;
    const { mean, sd } = distinctMoments(n);
    expect(Math.abs(mean - (1 - 1 / Math.E))).toBeLessThan(1e-4);
    const fractions: number[] = [];
    for (let member = 0; member < 20; member++) {
      const idx = bootstrapIndices(n, 42, member);
      expect(idx.length).toBe(n);
      expect(Math.max(...idx)).toBeLessThan(n);
      const f = uniqueFraction(idx, n);
      expect(Math.abs(f - mean), `member ${member}: ${f}`).toBeLessThanOrEqual(5 * sd);
      fractions.push(f);
    }
    const avg = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    expect(Math.abs(avg - mean)).toBeLessThanOrEqual((5 * sd) / Math.sqrt(fractions.length));
  });

  it('same seed and member: the same resample; another member or seed: a different one; the sampler visits the resample', async () => {
    const n = 200;
    const a = bootstrapIndices(n, 7, 3);
    expect([...bootstrapIndices(n, 7, 3)]).toEqual([...a]);
    expect([...bootstrapIndices(n, 7, 4)]).not.toEqual([...a]);
    expect([...bootstrapIndices(n, 8, 3)]).not.toEqual([...a]);
    // The sampler plugin: each epoch a fresh order of the SAME multiset of indices.
    const data = GpuDataset.upload(rt(), randomArray(n * 2, 1), new Uint32Array(n), 1);
    const plugin = bootstrap({ seed: 7, member: 3 });
    expect([...plugin.indices(n)]).toEqual([...a]);
    const o1 = plugin.sampler!(data, 1, 0);
    const o2 = plugin.sampler!(data, 2, 0);
    const [e1, e2] = [await o1.toArray(), await o2.toArray()];
    expect(sorted(e1)).toEqual(sorted(a));
    expect(sorted(e2)).toEqual(sorted(a));
    expect([...e1]).not.toEqual([...e2]);
    o1.dispose();
    o2.dispose();
    data.dispose();
  });

  it('bagging() trains member i on bootstrap resample i (the examples each member saw, recorded from its batches)', async () => {
    const n = 48;
    // Feature 0 of example i is i: a recorded batch says which examples it holds.
    const x = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) x[2 * i] = i;
    const data = GpuDataset.upload(
      rt(),
      x,
      Uint32Array.from({ length: n }, (_, i) => i % 2),
      2,
    );
    const seen: Tensor[] = [];
    const recorder: Regularizer = {
      name: 'recorder',
      transformBatch(b: Batch): Batch {
        const copy = rt().empty(b.x.shape);
        rt().copy(b.x, copy, b.x.byteLength);
        seen.push(copy);
        return b;
      },
    };
    const perMember: Tensor[][] = [];
    const { ensemble } = await bagging(
      { train: data },
      {
        k: 3,
        makeModel: (i) => mlp(rt(), { sizes: [2, 2], seed: i + 1 }),
        optimizer: sgd({ lr: 0.01 }),
        regularizers: [recorder],
        epochs: 1,
        batchSize: 16,
        seed: 9,
        onMember: () => perMember.push(seen.splice(0)),
      },
    );
    expect(perMember.length).toBe(3);
    for (let m = 0; m < 3; m++) {
      const ids: number[] = [];
      for (const t of perMember[m]) {
        const v = await t.toArray();
        for (let r = 0; r < v.length / 2; r++) ids.push(v[2 * r]);
        t.dispose();
      }
      expect(sorted(ids), `member ${m}`).toEqual(sorted(bootstrapIndices(n, 9, m)));
    }
    ensemble.dispose();
    data.dispose();
  });

  it('eq. 7.50: the ensemble error of k bagged regression members is v/k + (k − 1)c/k; the resamples, not the seeds, make c < v', async ({ annotate }) => {
    const D = 4;
    const N = 40;
    const M = 400;
    const K = 5;
    const wTrue = [1.5, -2, 0.5, 1];
    const bTrue = 0.3;
    const noiseScale = 0.8;
    const noise = randomArray(N + M, 5, -1, 1);
    const makeSet = (count: number, seed: number, noiseAt: number): { x: Float32Array; y: Float32Array } => {
      const x = randomArray(count * D, seed, -1, 1);
      const y = new Float32Array(count);
      for (let r = 0; r < count; r++) {
        let s = bTrue;
        for (let d = 0; d < D; d++) s += wTrue[d] * x[r * D + d];
        y[r] = s + noiseScale * noise[noiseAt + r];
      }
      return { x, y };
    };
    const train = makeSet(N, 11, 0);
    const test = makeSet(M, 12, N);
    // Regression data: one "class" (labels all 0); the targets are the y column, gathered like one-hot rows.
    const data = GpuDataset.upload(rt(), train.x, new Uint32Array(N), 1);
    const yTable = rt().tensor(train.y, [N, 1]);
    const xTest = rt().tensor(test.x, [M, D]);
    const batchSize = 10;
    const windows = GpuDataset.windows(N, batchSize);

    /** Trains K members (seeds 100 + i), on bootstrap resample i or, as the control, on the whole set; measures eq. 7.50's terms. */
    const measure = async (resample: boolean) => {
      const members: Sequential[] = [];
      for (let i = 0; i < K; i++) {
        const model = Sequential.create(rt(), [new Linear('fc1', D, 1)], { seed: 100 + i });
        const opt = chain(sgd({ lr: 0.1 })).init(model.arena);
        const sampler = bootstrap({ seed: 3, member: i });
        let step = 0;
        for (let epoch = 1; epoch <= 60; epoch++) {
          const order = resample ? sampler.sampler!(data, epoch, 3) : data.shuffledOrder(3 + i, epoch);
          for (const w of windows) {
            const b = data.batch(order, w, yTable);
            tidy(() => {
              model.zeroGrads();
              const pred = model.forward(constant(b.x), { training: true, step: step++ });
              const loss = ag.mean(ag.square(ag.sub(pred, b.targets)));
              ag.backward(loss);
              loss.dispose();
              opt.step();
            });
            b.x.dispose();
            b.targets.dispose();
          }
          order.dispose();
        }
        opt.dispose();
        members.push(model);
      }
      // Member predictions and the ensemble average, on the GPU.
      const outs = members.map((m) => noGrad(() => tidy(() => m.forward(constant(xTest), { training: false, step: 0 }).data)));
      const ens = noGrad(() =>
        tidy(() =>
          scale(
            outs.slice(1).reduce((s, o) => add(s, o), outs[0]),
            1 / K,
          ),
        ),
      );
      const preds = await Promise.all(outs.map((o) => o.toArray()));
      const ensPred = await ens.toArray();
      outs.forEach((o) => o.dispose());
      ens.dispose();
      members.forEach((m) => m.dispose());
      const err = preds.map((p) => Float64Array.from(p, (v, r) => v - test.y[r]));
      let v = 0;
      let c = 0;
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          let s = 0;
          for (let r = 0; r < M; r++) s += err[i][r] * err[j][r];
          if (i === j) v += s / M / K;
          else c += s / M / (K * (K - 1));
        }
      }
      let ensErr = 0;
      let bound = 0;
      for (let r = 0; r < M; r++) {
        const e = ensPred[r] - test.y[r];
        ensErr += (e * e) / M;
        // The GPU average of K f32 predictions is off by ≤ (K + 1)·2⁻²⁴·max|pred| from the exact one;
        // the squared error moves by ≤ 2|e|·that (plus its square, negligible).
        let mx = 0;
        for (let i = 0; i < K; i++) mx = Math.max(mx, Math.abs(preds[i][r]));
        bound += (2 * Math.abs(e) * (K + 1) * EPS32 * mx) / M;
      }
      return { v, c, ensErr, bound, predicted: v / K + ((K - 1) * c) / K };
    };
    const bagged = await measure(true);
    const control = await measure(false);
    await annotate(
      `k = ${K}: bagged v = ${bagged.v.toFixed(5)}, c = ${bagged.c.toFixed(5)}, (v − c)/v = ${((bagged.v - bagged.c) / bagged.v).toFixed(4)}; ` +
        `without resampling (v − c)/v = ${((control.v - control.c) / control.v).toFixed(5)}; ensemble error ${bagged.ensErr.toFixed(6)} vs ${bagged.predicted.toFixed(6)}`,
    );
    // Eq. 7.50 is an identity of the measured quantities: it holds to the rounding of the GPU's average.
    for (const run of [bagged, control]) expect(Math.abs(run.ensErr - run.predicted)).toBeLessThanOrEqual(run.bound + 1e-12);
    expect(bagged.ensErr).toBeLessThan(bagged.v);
    // What resampling buys: v − c is the spread of the members about their mean. Each member is a
    // least-squares fit of p = D + 1 parameters to a resample of N points with noise variance
    // σ² = 0.8²/3 (uniform noise), so its prediction varies by about p·σ²/N about the mean fit (the
    // sampling variance of least squares, which the bootstrap reproduces): (v − c)/v ≈ p·σ²/(N·v),
    // about 0.11 here. Asserted: at least half of that. Without resampling every member fits the
    // same points (60 epochs from different seeds end at nearly the same fit), so (v − c)/v is
    // left with the seeds' leftover only: asserted 10× smaller than the bagged one.
    const sigma2 = noiseScale ** 2 / 3;
    const derived = ((D + 1) * sigma2) / (N * bagged.v);
    expect((bagged.v - bagged.c) / bagged.v).toBeGreaterThan(0.5 * derived);
    expect((control.v - control.c) / control.v).toBeLessThan((0.1 * (bagged.v - bagged.c)) / bagged.v);
    xTest.dispose();
    yTable.dispose();
    data.dispose();
  });

  it('Ensemble.predictProbs averages the members\u2019 softmax outputs (eq. 7.52), against an f64 CPU forward pass', async () => {
    const sizes = [5, 7, 3];
    const rows = 6;
    const members = [1, 2, 3].map((seed) => {
      const m = mlp(rt(), { sizes, seed });
      for (const p of m.arena.params) m.arena.setValues(p.name, randomArray(p.size, 10 * seed + p.index, -1, 1));
      return m;
    });
    const ensemble = new Ensemble(members);
    const x = randomArray(rows * sizes[0], 31, -2, 2);
    const xt = rt().tensor(x, [rows, sizes[0]]);
    const probs = ensemble.predictProbs(xt);
    const got = await probs.toArray();
    const each = await ensemble.memberProbs(xt);
    const want = new Float64Array(rows * 3);
    for (const [i, m] of members.entries()) {
      const layers = denseLayers((await m.exportState()).params);
      for (let r = 0; r < rows; r++) {
        const p = softmax(mlpLogits(layers, x.subarray(r * sizes[0], (r + 1) * sizes[0])));
        for (let c = 0; c < 3; c++) {
          // Two layers of ≤ 7-term dot products on values ≲ 10: logits within ~1e-5, probabilities half that.
          expect(Math.abs(each[i][r * 3 + c] - p[c]), `member ${i} row ${r}`).toBeLessThanOrEqual(1e-5);
          want[r * 3 + c] += p[c] / members.length;
        }
      }
    }
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `entry ${i}`).toBeLessThanOrEqual(1e-5);
    // Each row is a distribution.
    for (let r = 0; r < rows; r++) expect(Math.abs(got[3 * r] + got[3 * r + 1] + got[3 * r + 2] - 1)).toBeLessThanOrEqual(1e-6);
    probs.dispose();
    xt.dispose();
    ensemble.dispose();
  });
});
