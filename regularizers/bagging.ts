/**
 * Bagging and ensembles (chapter 7.11). Bagging trains k members, member i on its own bootstrap
 * resample of the training set (as many examples as the set, drawn with replacement: each resample
 * misses about 1/e ≈ 36.8% of the examples and repeats others); the ensemble predicts the average
 * of the members' output distributions, (1/k)·Σ p⁽ⁱ⁾(y|x) (eq. 7.52). Plain ensembles differ only
 * by their seeds (initialization, minibatch order, dropout masks), which already decorrelates them.
 *
 * Members train one after another, each with the full cost of a single model (k× the time of one
 * run), or, with `batched`, all at once (engine/train/ensemble.ts: one matmul dispatch per layer
 * for all members, one optimizer dispatch), ending bit for bit where the members trained one after
 * another end. Batching needs members of Linear layers, with or without dropout on the inputs and
 * hidden units (each member draws its own masks with its own keys; no batch norm or other layers),
 * the default loss, an optimizer of per-element transformations, and regularizers that only add
 * such transformations or dropout layers; `batched: 'auto'` falls back to one after another otherwise.
 */
import {
  add,
  ArgumentError,
  BatchedEnsemble,
  ChainOptimizer,
  chainWith,
  constant,
  evaluate,
  GpuDataset,
  interleaveOrders,
  noGrad,
  scale,
  SeededRng,
  softmaxRows,
  tidy,
  unbatchableReason,
  type EpochResult,
  type Sequential,
  type Tensor,
} from '../engine/index';
import { integerAtLeast, seed53 } from './check';
import { fit, type FitConfig, type FitReport } from './fit';
import { modelRegularizers } from './model';
import type { Regularizer } from './types';

/** Indices of a bootstrap resample: n draws from [0, n) with replacement, seeded. */
export function bootstrapIndices(n: number, seed: number, member: number): Uint32Array {
  integerAtLeast('bootstrapIndices', 'n', n, 1);
  const rng = new SeededRng(seed, 0x6a09e667 + member);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(n);
  return out;
}

/** Fraction of distinct values among `indices` (≈ 1 − 1/e ≈ 0.632 for a bootstrap resample). */
export function uniqueFraction(indices: ArrayLike<number>, n: number): number {
  const seen = new Uint8Array(n);
  let distinct = 0;
  for (let i = 0; i < indices.length; i++) {
    if (!seen[indices[i]]) {
      seen[indices[i]] = 1;
      distinct++;
    }
  }
  return distinct / n;
}

/**
 * A sampler plugin: member `member`'s bootstrap resample, fixed for the whole run, visited in a
 * fresh seeded order every epoch.
 */
export function bootstrap(config: { seed: number; member: number }): Regularizer & { indices(n: number): Uint32Array } {
  integerAtLeast('bootstrap', 'member', config.member, 0);
  seed53('bootstrap', 'seed', config.seed);
  let cached: Uint32Array | null = null;
  const indices = (n: number): Uint32Array => {
    if (!cached || cached.length !== n) cached = bootstrapIndices(n, config.seed, config.member);
    return cached;
  };
  return {
    name: 'bootstrap',
    indices,
    sampler(data: GpuDataset, epoch: number): Tensor<'u32'> {
      const idx = indices(data.count);
      const order = new SeededRng(config.seed, 0x3c6ef372 + 7919 * config.member + epoch).permutation(data.count);
      return data.runtime.tensor(
        Uint32Array.from(order, (o) => idx[o]),
        [data.count],
        'u32',
      );
    },
  };
}

/** Members whose predicted distributions are averaged. */
export class Ensemble {
  constructor(readonly members: readonly Sequential[]) {
    if (members.length === 0) throw new ArgumentError('Ensemble: needs at least one member, got 0');
  }

  /** The average of the members' softmax outputs for the rows of x [rows, features] (eq. 7.52), on the GPU. */
  predictProbs(x: Tensor): Tensor<'f32'> {
    return noGrad(() =>
      tidy(() => {
        let sum: Tensor<'f32'> | null = null;
        for (const m of this.members) {
          const p = softmaxRows(m.forward(constant(x), { training: false, step: 0 }).data);
          sum = sum ? add(sum, p) : p;
        }
        return scale(sum!, 1 / this.members.length);
      }),
    );
  }

  /** Each member's probabilities for x, read back: [member][rows·classes]. */
  async memberProbs(x: Tensor): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const m of this.members) {
      const p = noGrad(() => tidy(() => softmaxRows(m.forward(constant(x), { training: false, step: 0 }).data)));
      out.push((await p.toArray()) as Float32Array);
      p.dispose();
    }
    return out;
  }

  /**
   * Accuracy and mean negative log-likelihood of the averaged distribution on `data`, in windows of
   * `batchSize` rows (a convolutional member's intermediate tensors grow with the rows).
   */
  async evaluate(data: GpuDataset, batchSize = 1000): Promise<{ accuracy: number; nll: number; count: number }> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`Ensemble.evaluate: batch size must be a positive integer, got ${batchSize}`);
    const k = data.classes;
    const labels = await data.labels.toArray();
    const order = data.identityOrder();
    let correct = 0;
    let nll = 0;
    try {
      for (const w of GpuDataset.windows(data.count, batchSize)) {
        const b = data.batch(order, w);
        const probs = this.predictProbs(b.x);
        b.x.dispose();
        b.targets.dispose();
        const p = await probs.toArray();
        probs.dispose();
        for (let i = 0; i < p.length / k; i++) {
          const label = labels[w.start + i];
          let best = 0;
          for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
          if (best === label) correct++;
          nll -= Math.log(Math.max(p[i * k + label], 1e-30));
        }
      }
    } finally {
      order.dispose();
    }
    return { accuracy: correct / data.count, nll: nll / data.count, count: data.count };
  }

  /** Frees every member. */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/** Options of {@link bagging} and {@link ensemble}. */
export interface EnsembleConfig extends FitConfig {
  /** Members, ≥ 1. */
  k: number;
  /** Builds member i's model (its seed should differ per member for a plain ensemble). */
  makeModel: (member: number) => Sequential;
  /** Called as each member finishes (batched: as all finish, in member order). */
  onMember?: (member: number, report: FitReport) => void;
  /**
   * Train the members at once (engine/train/ensemble.ts), bit-identical to one after another: true
   * (an error says why when they cannot be batched), 'auto' (batched when they can be, else one
   * after another) or false (default: one after another). Batched, each report's epochs carry the
   * member's own training (and validation) metrics but the whole ensemble's seconds and work per
   * step; `onEpoch` is called for each member after each epoch, and a 'stop' stops every member.
   */
  batched?: boolean | 'auto';
}

/** Why a run of `config` cannot be batched (beyond the members themselves), or null. */
function runUnbatchableReason(config: EnsembleConfig, regs: readonly Regularizer[], own: readonly Regularizer[]): string | null {
  if (config.optimizer instanceof ChainOptimizer) return 'the optimizer is already bound to a model (give a direction or a chain)';
  if (config.loss !== undefined) return 'only the default loss (softmax cross-entropy) is batched';
  for (const [key, v] of Object.entries({
    plugins: config.plugins?.length,
    onStepMetrics: config.onStepMetrics,
    onEvaluate: config.onEvaluate,
    evalEvery: config.evalEvery,
    resumeStep: config.resumeStep,
    startStep: config.startStep,
    onProgress: config.onProgress,
  })) {
    if (v) return `${key} is not supported batched`;
  }
  for (const r of regs) {
    // A hook is a function (setup and the training loop's hooks), or layers / an evaluation period; data fields (alpha) are not.
    // The layers of a regularizer the members were built with are not: they are checked with the members (unbatchableReason).
    const fields = r as unknown as Record<string, unknown>;
    const hooks = Object.keys(r).filter(
      (key) =>
        key !== 'dispose' &&
        !(key === 'layers' && own.includes(r)) &&
        (typeof fields[key] === 'function' || ((key === 'layers' || key === 'evalEvery') && fields[key] !== undefined)),
    );
    if (hooks.length > 0)
      return `the regularizer ${r.name} has hooks (${hooks.join(', ')}); only regularizers that add optimizer transformations, or dropout layers the members were built with, are batched`;
  }
  return null;
}

async function trainMembers(
  data: { train: GpuDataset; val?: GpuDataset },
  config: EnsembleConfig,
  resample: boolean,
): Promise<{ ensemble: Ensemble; reports: FitReport[] }> {
  const k = integerAtLeast(resample ? 'bagging' : 'ensemble', 'k', config.k, 1);
  const seed = config.seed ?? 1;
  const batched = config.batched ?? false;
  if (batched !== true && batched !== false && batched !== 'auto')
    throw new ArgumentError(`${resample ? 'bagging' : 'ensemble'}: batched must be true, false or 'auto', got ${String(batched)}`);
  if (batched) {
    const members = Array.from({ length: k }, (_, i) => config.makeModel(i));
    const own = modelRegularizers(members[0]) ?? [];
    // As fit counts them: the members' own, then those of the run not among them.
    const regs = [...own, ...(config.regularizers ?? []).filter((r) => !own.includes(r))];
    const why = unbatchableReason(members) ?? runUnbatchableReason(config, regs, own);
    if (!why) return trainBatched(data, config, members, regs, resample);
    for (const m of members) m.dispose();
    if (batched === true) throw new ArgumentError(`${resample ? 'bagging' : 'ensemble'}: cannot train the members batched: ${why}`);
  }
  const members: Sequential[] = [];
  const reports: FitReport[] = [];
  try {
    for (let i = 0; i < k; i++) {
      const model = config.makeModel(i);
      members.push(model);
      const regs = [...(config.regularizers ?? []), ...(resample ? [bootstrap({ seed, member: i })] : [])];
      const report = await fit(model, data, { ...config, seed: seed + (resample ? 0 : i), regularizers: regs });
      report.optimizer.dispose();
      reports.push(report);
      config.onMember?.(i, report);
    }
  } catch (e) {
    // A member that fails frees every member made so far.
    for (const m of members) m.dispose();
    throw e;
  }
  return { ensemble: new Ensemble(members), reports };
}

/** The batched run of {@link trainMembers}: every member's epoch order (its resample, or the shuffled set), one step for all. */
async function trainBatched(
  data: { train: GpuDataset; val?: GpuDataset },
  config: EnsembleConfig,
  members: Sequential[],
  regs: readonly Regularizer[],
  resample: boolean,
): Promise<{ ensemble: Ensemble; reports: FitReport[] }> {
  const seed = config.seed ?? 1;
  const k = members.length;
  const { train, val } = data;
  if (config.optimizer instanceof ChainOptimizer) throw new ArgumentError('bagging: a bound optimizer cannot be batched');
  // The chain each member's fit would build (regularizers/fit.ts).
  const chain = chainWith(
    config.optimizer,
    regs.flatMap((r) => r.transforms ?? []),
  );
  let ens: BatchedEnsemble | null = null;
  try {
    if (!(Number.isInteger(config.epochs) && config.epochs >= 0))
      throw new ArgumentError(`bagging: epochs must be a non-negative integer, got ${config.epochs}`);
    ens = new BatchedEnsemble(members, chain);
    const samplers = members.map((_, i) => bootstrap({ seed, member: i }));
    const windows = GpuDataset.windows(train.count, config.batchSize);
    const epochs: EpochResult[][] = members.map(() => []);
    let stoppedBy = 'epochs';
    for (let epoch = 1; epoch <= config.epochs && stoppedBy === 'epochs'; epoch++) {
      if (config.maxSteps !== undefined && ens.globalStep >= config.maxSteps) {
        stoppedBy = 'maxSteps';
        break;
      }
      const t0 = performance.now();
      const work0 = train.runtime.workStats();
      const orders = members.map((_, i) => (resample ? samplers[i].sampler!(train, epoch, seed) : train.shuffledOrder(seed + i, epoch)));
      const order = interleaveOrders(orders, windows);
      for (const o of orders) o.dispose();
      ens.resetMetrics();
      let taken = 0;
      try {
        for (const w of windows) {
          if (config.maxSteps !== undefined && ens.globalStep >= config.maxSteps) break;
          const batch = train.batch(order, { start: k * w.start, count: k * w.count });
          try {
            ens.record(batch);
          } finally {
            batch.x.dispose();
            batch.targets.dispose();
          }
          taken++;
          await train.runtime.ready(config.syncEvery ?? 8);
        }
      } finally {
        order.dispose();
      }
      const work1 = train.runtime.workStats();
      const metrics = await ens.metrics();
      const seconds = (performance.now() - t0) / 1000;
      if (val) ens.members();
      for (const [i, m] of members.entries()) {
        const result: EpochResult = {
          epoch,
          train: metrics[i],
          val: val ? await evaluate(m, val) : undefined,
          seconds,
          steps: taken,
          dispatchesPerStep: taken > 0 ? (work1.dispatches - work0.dispatches) / taken : 0,
          submitsPerStep: taken > 0 ? (work1.submits - work0.submits) / taken : 0,
        };
        epochs[i].push(result);
        if ((await config.onEpoch?.(result)) === 'stop') stoppedBy = 'onEpoch';
      }
    }
    if (stoppedBy === 'epochs' && config.maxSteps !== undefined && ens.globalStep >= config.maxSteps) stoppedBy = 'maxSteps';
    ens.members();
    const reports = members.map((_, i) => ({
      epochs: epochs[i],
      steps: ens!.globalStep,
      stoppedBy,
      optimizer: ens!.memberOptimizer(i, chain),
      updateDispatches: ens!.optimizer.dispatchesPerStep,
    }));
    // As one after another: each member's optimizer freed as it finishes.
    for (const [i, r] of reports.entries()) {
      r.optimizer.dispose();
      config.onMember?.(i, r);
    }
    return { ensemble: new Ensemble(members), reports };
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  } finally {
    ens?.dispose();
  }
}

/** Bagging: k members, member i trained on bootstrap resample i (seeded). */
export function bagging(data: { train: GpuDataset; val?: GpuDataset }, config: EnsembleConfig): Promise<{ ensemble: Ensemble; reports: FitReport[] }> {
  return trainMembers(data, config, true);
}

/** A plain ensemble: k members on the same data, differing by seed (run seed + i, and `makeModel(i)`). */
export function ensemble(data: { train: GpuDataset; val?: GpuDataset }, config: EnsembleConfig): Promise<{ ensemble: Ensemble; reports: FitReport[] }> {
  return trainMembers(data, config, false);
}
