/**
 * The regularizers suite: what each chapter-7 regularizer adds to a training step, and what the
 * optimizer chains cost. A fixed MLP (784-512-512-10, batch 128, as the mlp suite) takes one
 * training step the way engine/train/loop.ts takes it — gather the minibatch on the GPU, the
 * plugins' hooks (transformBatch, beforeForward, loss, penalty, afterBackward, afterUpdate) in the
 * loop's order, `trainOnBatch` with the running metrics, one submit — in these variants:
 *
 *   baseline                   plain SGD, no regularizer (the reference of every ratio)
 *   one regularizer each       L2, L1 (proximal), elastic net, max-norm, augmentation, input noise,
 *                              hidden noise, weight noise, label smoothing, dropout, batch norm
 *                              (dropout and batch norm also with fusion off: their fused kernels' references)
 *   optimizer chains           sgd (the baseline built again: a control of the noise), sgd+L2,
 *                              momentum+L2+proximal L1, adam+decoupled decay, and the same with
 *                              global-norm clipping
 *
 * Every variant is built first, then sampled in turn, round after round (like bench/suites/mlp.ts),
 * so that a change in the load of the shared CPUs that run a software adapter hits all alike; each
 * round starts one variant later than the one before. Each
 * row is one variant, in ms per step (lower is better); `extra` holds its ratio to the baseline
 * step (the median over rounds of variant ÷ baseline sampled in the same round, on the wall clock,
 * and on GPU timestamps when every sample has them), its dispatches per step and how many more than
 * the baseline, and for the chains the dispatches and time of the optimizer update alone. The
 * issue's target is that penalties, max-norm and noise add at most 10% to the step; the suite
 * reports what each costs and asserts nothing. Early stopping and bagging have no per-step cost (an
 * evaluation per epoch plus a GPU copy of the weights; k × the steps) and are not rows here.
 */
import {
  adam,
  chain,
  chainWith,
  clipByGlobalNorm,
  coupledL2,
  decoupledWeightDecay,
  GpuDataset,
  Trainer,
  momentum,
  proximalL1,
  sgd,
  type ChainOptimizer,
  type GradientTransformation,
  type Runtime,
} from '../../engine/index';
import {
  augmentation,
  batchNorm,
  dropout,
  elasticNet,
  hiddenNoise,
  inputNoise,
  l1,
  l2,
  labelSmoothing,
  maxNorm,
  mlp,
  weightNoise,
  type Regularizer,
} from '../../regularizers/index';
import { GpuSampler, median } from '../timing';
import { GpuWorkTally } from '../gpu-work';
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { uniformStream } from '../data';

/** The model of the suite. */
interface SuiteModel {
  layers: readonly number[];
  batch: number;
  /** Image side for augmentation (layers[0] = side²). */
  side: number;
}

const FULL: SuiteModel = { layers: [784, 512, 512, 10], batch: 128, side: 28 };
const TINY: SuiteModel = { layers: [64, 32, 32, 10], batch: 16, side: 8 };
const LR = 0.01;

/** One variant of the step: its regularizers and its optimizer chain (default: plain SGD). */
interface Variant {
  name: string;
  group: 'baseline' | 'regularizer' | 'chain';
  regularizers(m: SuiteModel): Regularizer[];
  chain?: () => GradientTransformation[];
  /** false: the model runs every layer on its own (`Sequential.fuse`), the reference of the fused dropout and of batch norm's fused ReLU. */
  fuse?: boolean;
}

const none = (): Regularizer[] => [];

const VARIANTS: readonly Variant[] = [
  { name: 'baseline (sgd)', group: 'baseline', regularizers: none },
  { name: 'l2 1e-4', group: 'regularizer', regularizers: () => [l2({ alpha: 1e-4 })] },
  { name: 'l1 prox 1e-4', group: 'regularizer', regularizers: () => [l1({ alpha: 1e-4 })] },
  { name: 'elastic net', group: 'regularizer', regularizers: () => [elasticNet({ l1: 1e-4, l2: 1e-4 })] },
  { name: 'max-norm c=3', group: 'regularizer', regularizers: () => [maxNorm({ c: 3 })] },
  { name: 'augmentation', group: 'regularizer', regularizers: (m) => [augmentation({ height: m.side, width: m.side })] },
  { name: 'input noise', group: 'regularizer', regularizers: () => [inputNoise({ std: 0.3 })] },
  { name: 'hidden noise', group: 'regularizer', regularizers: () => [hiddenNoise({ std: 0.5 })] },
  { name: 'weight noise', group: 'regularizer', regularizers: () => [weightNoise({ eta: 1e-3 })] },
  { name: 'label smoothing', group: 'regularizer', regularizers: () => [labelSmoothing({ epsilon: 0.1 })] },
  { name: 'dropout 0.8/0.5', group: 'regularizer', regularizers: () => [dropout({ input: { keep: 0.8 }, hidden: { keep: 0.5 } })] },
  // Hidden dropout alone is fused into the matmuls (forward and backward epilogues); the target is ≤ 5% over the baseline.
  { name: 'dropout hidden 0.5', group: 'regularizer', regularizers: () => [dropout({ input: { keep: 1 }, hidden: { keep: 0.5 } })] },
  { name: 'dropout hidden 0.5 unfused', group: 'regularizer', regularizers: () => [dropout({ input: { keep: 1 }, hidden: { keep: 0.5 } })], fuse: false },
  { name: 'batch norm', group: 'regularizer', regularizers: () => [batchNorm()] },
  // The model's layers one by one: the ReLU after each batch norm as its own pass (the reference of the fused ReLU).
  { name: 'batch norm unfused', group: 'regularizer', regularizers: () => [batchNorm()], fuse: false },
  { name: 'chain sgd', group: 'chain', regularizers: none, chain: () => [sgd({ lr: LR })] },
  { name: 'chain l2+sgd', group: 'chain', regularizers: none, chain: () => [coupledL2({ alpha: 1e-4 }), sgd({ lr: LR })] },
  {
    name: 'chain l2+momentum+prox-l1',
    group: 'chain',
    regularizers: none,
    chain: () => [coupledL2({ alpha: 1e-4 }), momentum({ lr: LR }), proximalL1({ alpha: 1e-5 })],
  },
  { name: 'chain adam+decay', group: 'chain', regularizers: none, chain: () => [adam({ lr: 1e-3 }), decoupledWeightDecay({ alpha: 1e-2 })] },
  {
    name: 'chain adam+decay+clip',
    group: 'chain',
    regularizers: none,
    chain: () => [clipByGlobalNorm({ maxNorm: 1 }), adam({ lr: 1e-3 }), decoupledWeightDecay({ alpha: 1e-2 })],
  },
];

/** Deterministic inputs in [0, 1) and labels (benchmark data only). */
function batchData(m: SuiteModel): { images: Float32Array; labels: Uint32Array } {
  const next = uniformStream(12345);
  const classes = m.layers[m.layers.length - 1];
  return {
    images: Float32Array.from({ length: m.batch * m.layers[0] }, next),
    labels: Uint32Array.from({ length: m.batch }, () => Math.floor(next() * classes)),
  };
}

/** A variant built and ready to be sampled. */
interface Prepared {
  variant: Variant;
  step(): void;
  optimizer: ChainOptimizer;
  dispose(): void;
}

/** Builds a variant's model, optimizer and regularizers; `step` records one training step as the loop does. */
function prepare(rt: Runtime, m: SuiteModel, variant: Variant): Prepared {
  const regs = variant.regularizers(m);
  const model = mlp(rt, { sizes: m.layers, seed: 1, regularizers: regs });
  if (variant.fuse === false) model.fuse = false;
  const optimizer = chainWith(
    chain(...(variant.chain?.() ?? [sgd({ lr: LR })])),
    regs.flatMap((r) => r.transforms ?? []),
  ).init(model.arena);
  const { images, labels } = batchData(m);
  const data = GpuDataset.upload(rt, images, labels, m.layers[m.layers.length - 1]);
  const order = data.identityOrder();
  const window = { start: 0, count: m.batch };
  for (const r of regs) r.setup?.({ model, train: data, optimizer, seed: 1 });
  // One step of the engine's step runner (what fit runs), without fit's sync points and per-step trace.
  const trainer = new Trainer(model, optimizer, { callbacks: regs });
  const step = (): void => {
    const batch = data.batch(order, window);
    try {
      trainer.record(batch);
    } finally {
      batch.x.dispose();
      batch.targets.dispose();
    }
  };
  return {
    variant,
    step,
    optimizer,
    dispose: () => {
      for (const r of regs) r.dispose?.();
      optimizer.dispose();
      model.dispose();
      order.dispose();
      trainer.dispose();
      data.dispose();
    },
  };
}

/** Dispatches and submits per call of `fn`, over `n` calls (untimed). */
async function countWork(rt: Runtime, fn: () => void, n: number): Promise<{ dispatches: number; submits: number }> {
  await rt.sync();
  const w0 = rt.workStats();
  for (let i = 0; i < n; i++) fn();
  await rt.sync();
  const w1 = rt.workStats();
  return { dispatches: (w1.dispatches - w0.dispatches) / n, submits: (w1.submits - w0.submits) / n };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The suite (see the file's comment). `--tiny`: a 64-32-32-10 MLP, batch 16, 8×8 images. */
export const regularizersSuite: BenchSuite = async (ctx: BenchContext) => {
  const m = ctx.tiny ? TINY : FULL;
  // Steps per sample: 2 in the quick default run (20 variants), 3 with --full.
  const steps = ctx.tiny ? 1 : ctx.full ? 3 : 2;
  const rt = ctx.rt;
  const ready: Prepared[] = [];
  const sampler = new GpuSampler(rt);
  const rows: BenchRow[] = [];
  try {
    for (const v of VARIANTS) {
      ctx.log(`building and warming up ${v.name} (${m.layers.join('-')}, batch ${m.batch})`);
      const p = prepare(rt, m, v);
      ready.push(p);
      for (let i = 0; i < 2; i++) {
        p.step();
        await rt.sync();
      }
    }
    const wall = ready.map(() => [] as number[]);
    const gpu = ready.map(() => [] as number[] | null);
    const tally = ready.map(() => new GpuWorkTally());
    for (let s = 0; s < ctx.samples; s++) {
      ctx.log(`sample ${s + 1}/${ctx.samples}`);
      ctx.progress?.(s, ctx.samples + 1);
      // Each round starts one variant later, so that no variant always runs first (or right after the same one).
      for (let j = 0; j < ready.length; j++) {
        const k = (j + s) % ready.length;
        const p = ready[k];
        const r = await sampler.sample(p.step, steps);
        tally[k].add(r.work, steps);
        wall[k].push(r.wallMs);
        gpu[k] = gpu[k] && r.gpuMs !== null ? [...gpu[k], r.gpuMs] : null;
      }
    }
    // The optimizer update alone (on the gradients the last step left), for the chains.
    ctx.progress?.(ctx.samples, ctx.samples + 1);
    const updates = new Map<Prepared, number[]>();
    for (const p of ready.filter((q) => q.variant.group !== 'regularizer')) updates.set(p, []);
    for (let s = 0; s < ctx.samples; s++) {
      const order = [...updates];
      for (let j = 0; j < order.length; j++) {
        const [p, list] = order[(j + s) % order.length];
        list.push((await sampler.sample(() => p.optimizer.step(), ctx.tiny ? 2 : 10)).wallMs);
      }
    }
    const base = 0;
    const baseWork = await countWork(rt, ready[base].step, 2);
    for (const [k, p] of ready.entries()) {
      const work = k === base ? baseWork : await countWork(rt, p.step, 2);
      const ratioWall = median(wall[k].map((w, s) => w / wall[base][s]));
      const g = gpu[k];
      const gb = gpu[base];
      const ratioGpu = g && gb ? median(g.map((x, s) => x / gb[s])) : undefined;
      const extra: Record<string, number | string> = {
        ratio: round3(ratioWall),
        ...(ratioGpu !== undefined ? { 'ratio gpu': round3(ratioGpu) } : {}),
        dispatches: work.dispatches,
        '+dispatches': work.dispatches - baseWork.dispatches,
        submits: work.submits,
      };
      const upd = updates.get(p);
      if (upd) Object.assign(extra, { 'update ms': round3(median(upd)), 'update dispatches': p.optimizer.dispatchesPerStep });
      ctx.log(`  ${p.variant.name}: ${median(wall[k]).toFixed(2)} ms/step, ${ratioWall.toFixed(3)}× baseline, ${work.dispatches} dispatches`);
      const gpuWork = tally[k].perCall();
      rows.push({
        suite: 'regularizers',
        case: p.variant.name,
        impl: 'engine',
        unit: 'ms',
        value: median(wall[k]),
        samplesMs: wall[k],
        ...(gpuWork ? { gpuWork } : {}),
        ...(g && g.length === wall[k].length ? { gpuSamplesMs: g } : {}),
        extra,
      });
    }
  } finally {
    sampler.destroy();
    for (const p of ready) p.dispose();
  }
  return rows;
};
