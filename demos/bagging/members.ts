/**
 * The page's models: bagged members, each trained with the library's `fit` and its `bootstrap`
 * sampler on resample i — exactly what `bagging()` does for member i (regularizers/bagging.ts), one
 * member per call here so that the page can show each as it finishes — or all k at once with the
 * library's `bagging({ batched: true })` (stacked weights, one matmul per layer for all members:
 * engine/train/ensemble.ts), which ends bit for bit where the members trained one at a time end;
 * and one dropout network, whose Monte-Carlo passes (dropout on at inference, each pass keyed by its
 * own step, so each draws a fresh mask for every digit) are the members of the second ensemble.
 */
import { constant, momentum, noGrad, softmaxRows, tidy, type GpuDataset, type Progress, type Sequential, type Tensor } from 'webgpu-regularization';
import { bagging, bootstrap, bootstrapIndices, dropout, fit, mlp, predict, predictMonteCarlo, uniqueFraction } from 'webgpu-regularization/regularizers';

/** What every model of the page shares. */
export interface TrainSettings {
  /** Layer widths, e.g. [784, 32, 10]. */
  sizes: readonly number[];
  epochs: number;
  batchSize: number;
  lr: number;
  /** The run's seed: the resamples, the epoch orders, the initial weights (member i: seed + i). */
  seed: number;
}

/** A trained bagged member. */
export interface BaggedMember {
  model: Sequential;
  /** Its resample: n indices into the training set, drawn with replacement. */
  indices: Uint32Array;
  /** Fraction of distinct training examples in the resample. */
  unique: number;
}

/** Member `member`'s untrained network: initial weights differ per member too, as in the library's own example (`seed: 1 + i`). */
const memberModel = (train: GpuDataset, s: TrainSettings, member: number): Sequential => mlp(train.runtime, { sizes: s.sizes, seed: s.seed + member });
const direction = (s: TrainSettings) => momentum({ lr: s.lr, momentum: 0.9 });
const resampleOf = (train: GpuDataset, indices: Uint32Array) => ({ indices, unique: uniqueFraction(indices, train.count) });

/** Trains member `member` on its bootstrap resample (the library's sampler plugin). */
export async function trainBaggedMember(train: GpuDataset, s: TrainSettings, member: number, onProgress?: (p: Progress) => void): Promise<BaggedMember> {
  const sampler = bootstrap({ seed: s.seed, member });
  const model = memberModel(train, s, member);
  try {
    const report = await fit(
      model,
      { train },
      { optimizer: direction(s), regularizers: [sampler], epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, onProgress },
    );
    report.optimizer.dispose();
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, ...resampleOf(train, sampler.indices(train.count)) };
}

/**
 * Trains members 0 … k − 1 at once, batched (`bagging()` with `batched: true`): the same members, bit
 * for bit, as k calls of {@link trainBaggedMember}. `onEpoch` gets each epoch of all of them.
 */
export async function trainBaggedBatched(train: GpuDataset, s: TrainSettings, k: number, onEpoch?: (epoch: number) => void): Promise<BaggedMember[]> {
  const { ensemble } = await bagging(
    { train },
    {
      k,
      makeModel: (i) => memberModel(train, s, i),
      optimizer: direction(s),
      epochs: s.epochs,
      batchSize: s.batchSize,
      seed: s.seed,
      batched: true,
      onEpoch: (r) => onEpoch?.(r.epoch),
    },
  );
  return ensemble.members.map((model, i) => ({ model, ...resampleOf(train, bootstrapIndices(train.count, s.seed, i)) }));
}

/** Keep probabilities of the dropout network (the book's typical values). */
export const DROPOUT_KEEP = { input: 0.8, hidden: 0.5 } as const;

/** Trains one network with dropout on the whole training set (no resampling). */
export async function trainDropoutNet(train: GpuDataset, s: TrainSettings, onProgress?: (p: Progress) => void): Promise<Sequential> {
  const regs = [dropout({ input: { keep: DROPOUT_KEEP.input }, hidden: { keep: DROPOUT_KEEP.hidden } })];
  const model = mlp(train.runtime, { sizes: s.sizes, seed: s.seed, regularizers: regs });
  try {
    const report = await fit(
      model,
      { train },
      { optimizer: direction(s), regularizers: regs, epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, onProgress },
    );
    report.optimizer.dispose();
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** The step keying Monte-Carlo pass 0 (far from any training step, as predictMonteCarlo's default). */
export const MC_OFFSET = 1 << 30;

/**
 * Each Monte-Carlo pass's probabilities, read back: pass s runs with dropout on and step
 * MC_OFFSET + s, the same passes predictMonteCarlo averages (regularizers/dropout.ts).
 */
export async function monteCarloPasses(model: Sequential, x: Tensor, passes: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let s = 0; s < passes; s++) {
    const p = noGrad(() => tidy(() => softmaxRows(model.forward(constant(x), { training: false, dropout: true, step: MC_OFFSET + s }).data)));
    out.push((await p.toArray()) as Float32Array);
    p.dispose();
  }
  return out;
}

/** Largest |mean of our passes − predictMonteCarlo's mean|: the two must be the same masks. */
export async function checkAgainstMonteCarlo(model: Sequential, x: Tensor, passes: readonly Float32Array[]): Promise<number> {
  const mc = await predictMonteCarlo(model, x, passes.length, MC_OFFSET);
  let worst = 0;
  for (let i = 0; i < mc.mean.length; i++) {
    let s = 0;
    for (const p of passes) s += p[i];
    worst = Math.max(worst, Math.abs(s / passes.length - mc.mean[i]));
  }
  return worst;
}

/** One deterministic pass (dropout off: the inverted rule's network as it is), read back. */
export function deterministicPass(model: Sequential, x: Tensor): Promise<Float32Array> {
  return predict(model, x);
}
