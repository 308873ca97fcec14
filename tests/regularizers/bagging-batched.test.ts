/**
 * Batched bagging and ensembles (engine/train/ensemble.ts through regularizers/bagging.ts
 * `batched`): k = 3 members trained at once end bit for bit where the same members trained one
 * after another end — every parameter's f32 bits and each epoch's training and validation metrics — for bootstrap resamples (bagging) and
 * seeds alone (ensemble), odd widths (the unaligned matmul kernels) and vec4-aligned ones, a partial
 * last minibatch, fused and unfused ReLU backward, momentum, Adam and a coupled L2 penalty, and
 * members with dropout on the inputs and hidden units (each member's masks drawn with its own keys:
 * in the batched product's epilogue when fused, per member otherwise; both rules, one keep
 * probability per hidden layer). The twin is the sequential path itself (the engine's `fit` per
 * member), so the check is exact equality, no tolerance. Bad inputs give errors that say why.
 */
import { describe, expect, it } from 'vitest';
import { adam, BatchedEnsemble, chain, clipByGlobalNorm, Dropout, GpuDataset, Linear, momentum, Sequential, sgd, type Runtime } from '../../engine/index';
import { bagging, batchNorm, dropout, ensemble, l2, mlp, type EnsembleConfig, type Regularizer } from '../../regularizers/index';
import { firstBitDiff, randomArray, useRuntime } from '../helpers/gpu';

/** A small classification set: `n` rows of `features` values in [-1, 1), labels from a fixed rule. */
function dataset(rt: Runtime, n: number, features: number, classes: number, seed: number): GpuDataset {
  const x = randomArray(n * features, seed);
  const labels = Uint32Array.from({ length: n }, (_, i) => Math.floor(((x[i * features] + 1) / 2) * classes) % classes);
  return GpuDataset.upload(rt, x, labels, classes);
}

/** Each member's parameters and epoch metrics of one run. */
async function runOf(run: ReturnType<typeof bagging>): Promise<{ params: Float32Array[]; metrics: unknown[] }> {
  const { ensemble: ens, reports } = await run;
  const params: Float32Array[] = [];
  for (const m of ens.members) params.push((await m.arena.values.toArray()) as Float32Array);
  const metrics = reports.map((r) => ({
    steps: r.steps,
    stoppedBy: r.stoppedBy,
    epochs: r.epochs.map((e) => ({ train: e.train, val: e.val, steps: e.steps })),
  }));
  ens.dispose();
  return { params, metrics };
}

/** The same run batched and one member after another: every bit equal. */
async function expectTwins(train: (batched: boolean) => ReturnType<typeof bagging>): Promise<void> {
  const alone = await runOf(train(false));
  const batched = await runOf(train(true));
  expect(batched.params.length).toBe(3);
  for (const [i, p] of alone.params.entries()) expect(firstBitDiff(batched.params[i], p), `member ${i}: first differing parameter element`).toBe(-1);
  expect(batched.metrics).toEqual(alone.metrics);
  // The members did train (a twin that never moved would also be equal).
  expect(alone.metrics.every((m) => (m as { steps: number }).steps > 0)).toBe(true);
}

describe('batched bagging: k members at once, bit-identical to each alone', () => {
  const rt = useRuntime();

  /** Bagging of 3 members 13-10-7-3 (odd widths) built with `regularizers`, 37 rows in minibatches of 8, momentum, with validation. */
  async function oddWidthsBagging(regularizers: Regularizer[], seed: number, alsoToTheRun = false): Promise<void> {
    const train = dataset(rt(), 37, 13, 3, seed);
    const val = dataset(rt(), 11, 13, 3, seed + 1);
    await expectTwins((batched) =>
      bagging(
        { train, val },
        {
          k: 3,
          makeModel: (i) => mlp(rt(), { sizes: [13, 10, 7, 3], seed: 100 * seed + i, regularizers }),
          optimizer: momentum({ lr: 0.05, momentum: 0.9 }),
          epochs: 2,
          batchSize: 8,
          seed: seed + 4,
          batched,
          ...(alsoToTheRun ? { regularizers } : {}),
        },
      ),
    );
    train.dispose();
    val.dispose();
  }

  it('bagging, odd widths 13-10-7-3, 37 rows in minibatches of 8, momentum, with validation', () => oddWidthsBagging([], 1));

  // fit counts a regularizer given both to the model and to the run once; so must the batched run.
  it('an L2 penalty given both to the members and to the run counts once, as one after another', () => oddWidthsBagging([l2({ alpha: 0.05 })], 7, true));

  it('a seed ensemble, aligned widths 16-24-8, Adam with coupled L2, 3 steps (maxSteps)', async () => {
    const train = dataset(rt(), 32, 16, 8, 3);
    await expectTwins((batched) =>
      ensemble(
        { train },
        {
          k: 3,
          makeModel: (i) => mlp(rt(), { sizes: [16, 24, 8], seed: 7 + i }),
          optimizer: adam({ lr: 0.01 }),
          regularizers: [l2({ alpha: 1e-2 })],
          epochs: 2,
          batchSize: 8,
          maxSteps: 3,
          seed: 9,
          batched,
        },
      ),
    );
    train.dispose();
  });

  /** Bagging of 3 unfused members 12-8-5-4 built with `regularizers`, 20 rows in minibatches of 6, plain SGD. */
  async function unfusedBagging(regularizers: Regularizer[], seed: number): Promise<void> {
    const train = dataset(rt(), 20, 12, 4, seed);
    const make = (i: number): Sequential => {
      const m = mlp(rt(), { sizes: [12, 8, 5, 4], seed: 30 * seed + i, regularizers });
      m.fuse = false;
      return m;
    };
    await expectTwins((batched) =>
      bagging({ train }, { k: 3, makeModel: make, optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 6, seed: seed - 2, batched }),
    );
    train.dispose();
  }

  it('unfused members (the ReLU derivative as its own pass), 12-8-5-4, plain SGD', () => unfusedBagging([], 4));

  it('dropout on the inputs and hidden units, fused: the same bagging', () => oddWidthsBagging([dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } })], 6));

  it('dropout, the weight scaling rule and a keep probability per hidden layer: a seed ensemble, aligned widths 16-24-12-8, Adam', async () => {
    const train = dataset(rt(), 32, 16, 8, 8);
    await expectTwins((batched) =>
      ensemble(
        { train },
        {
          k: 3,
          makeModel: (i) =>
            mlp(rt(), {
              sizes: [16, 24, 12, 8],
              seed: 40 + i,
              regularizers: [dropout({ input: { keep: 0.9 }, hidden: [{ keep: 0.5 }, { keep: 0.75 }], rule: 'weight-scaling' })],
            }),
          optimizer: adam({ lr: 0.01 }),
          epochs: 2,
          batchSize: 8,
          seed: 3,
          batched,
        },
      ),
    );
    train.dispose();
  });

  it('dropout in unfused members (the masks and the ReLU derivative as passes of their own): the same bagging', () =>
    unfusedBagging([dropout({ input: { keep: 0.8 }, hidden: { keep: 0.6 } })], 9));

  it('what cannot be batched: an error that says why with batched: true, the sequential path with auto', async () => {
    const train = dataset(rt(), 16, 8, 2, 5);
    const withBatchNorm: EnsembleConfig = {
      k: 2,
      makeModel: (i) => mlp(rt(), { sizes: [8, 6, 2], seed: i, regularizers: [batchNorm()] }),
      optimizer: sgd({ lr: 0.1 }),
      epochs: 1,
      batchSize: 8,
    };
    await expect(bagging({ train }, { ...withBatchNorm, batched: true })).rejects.toThrow(
      /cannot train the members batched: .*only Linear and Dropout layers batch/,
    );
    const fallback = await bagging({ train }, { ...withBatchNorm, batched: 'auto' });
    expect(fallback.reports.map((r) => r.steps)).toEqual([2, 2]);
    fallback.ensemble.dispose();
    await expect(bagging({ train }, { ...withBatchNorm, batched: 'yes' as unknown as boolean })).rejects.toThrow(/batched must be true, false or 'auto'/);
    // Dropout whose keep probability differs between members (one threshold per dispatch), and dropout given to the run but not built into the members.
    const keeps = [0.5, 0.7];
    const unequal: EnsembleConfig = {
      ...withBatchNorm,
      makeModel: (i) => mlp(rt(), { sizes: [8, 6, 2], seed: i, regularizers: [dropout({ input: { keep: 1 }, hidden: { keep: keeps[i] } })] }),
    };
    await expect(bagging({ train }, { ...unequal, batched: true })).rejects.toThrow(
      /member 1's dropout after fc1 \(drop1, keep 0.7, inverted\) differs from member 0's/,
    );
    const notBuilt: EnsembleConfig = { ...withBatchNorm, makeModel: (i) => mlp(rt(), { sizes: [8, 6, 2], seed: i }), regularizers: [dropout()] };
    await expect(bagging({ train }, { ...notBuilt, batched: true })).rejects.toThrow(/the regularizer dropout has hooks \(layers\)/);

    const members = [0, 1].map((i) => mlp(rt(), { sizes: [8, 6, 2], seed: i }));
    expect(() => new BatchedEnsemble(members, chain(clipByGlobalNorm({ maxNorm: 1 }), sgd({ lr: 0.1 })))).toThrow(/global-norm clip couples the members/);
    expect(() => new BatchedEnsemble([members[0], mlp(rt(), { sizes: [8, 5, 2], seed: 3 })], sgd({ lr: 0.1 }))).toThrow(/differs from member 0's/);
    expect(() => new BatchedEnsemble([], sgd({ lr: 0.1 }))).toThrow(/at least one member/);
    // Dropout after the last layer, and two dropouts in a row.
    const built = (layers: (Linear | Dropout)[]) => Sequential.create(rt(), layers, { seed: 1 });
    const lastDropout = [0, 1].map(() => built([new Linear('fc1', 8, 2), new Dropout('drop1', { keep: 0.5 }, 1, 1)]));
    expect(() => new BatchedEnsemble(lastDropout, sgd({ lr: 0.1 }))).toThrow(/member 0: the dropout "drop1" follows the last layer/);
    const twoDropouts = [0, 1].map(() =>
      built([new Dropout('drop0', { keep: 0.8 }, 1, 0), new Dropout('drop1', { keep: 0.5 }, 1, 1), new Linear('fc1', 8, 2)]),
    );
    expect(() => new BatchedEnsemble(twoDropouts, sgd({ lr: 0.1 }))).toThrow(/member 0: the dropout "drop1" follows another dropout/);
    for (const m of [...lastDropout, ...twoDropouts]) m.dispose();
    const ens = new BatchedEnsemble(members, sgd({ lr: 0.1 }));
    const x = rt().tensor(randomArray(3 * 8, 1), [3, 8]);
    const t = rt().tensor(new Float32Array(3 * 2), [3, 2]);
    expect(() => ens.record({ x, targets: t })).toThrow(/must be the 2 members' minibatches stacked/);
    for (const d of [x, t]) d.dispose();
    ens.dispose();
    expect(() => ens.record({ x, targets: t })).toThrow(/used after dispose/);
    for (const m of members) m.dispose();
    train.dispose();
  });
});
