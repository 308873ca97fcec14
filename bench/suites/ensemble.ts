/**
 * The ensemble suite: k = 5 members of a bagging ensemble trained at once (engine/train/ensemble.ts:
 * stacked parameters, one matmul dispatch per layer for all members) against one member's step and
 * against the 5 members' steps one after another, side by side in one run. The MLP is
 * 784-256-256-10, batch 64, momentum SGD (the bagging configuration's kind of model; `--sizes`
 * replaces the batch). Each variant runs its steps on minibatches gathered on the GPU beforehand
 * and waits for the GPU at the end of each sample; variants are sampled in turn, round after round,
 * so that a change in the load of the shared CPUs hits all alike. Rows in ms per step of the whole
 * ensemble (one member's: of that member); `extra` holds each row's ratio to one member's step
 * (median over rounds of the ratio within a round) and dispatches per step. The issue's target is
 * the batched k = 5 step within 2× one member's; the suite reports and asserts nothing.
 */
import { BatchedEnsemble, chain, GpuDataset, momentum, Trainer, type ChainOptimizer, type Runtime } from '../../engine/index';
import { mlp } from '../../regularizers/index';
import { uniformValues } from '../data';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

const SIZES = [784, 256, 256, 10];
const K = 5;
const STEPS_PER_SAMPLE = 3;

/** A variant: records `STEPS_PER_SAMPLE` steps. */
interface Variant {
  impl: string;
  run(): void;
  dispose(): void;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function variants(rt: Runtime, batch: number): { list: Variant[]; dispose(): void } {
  const opt = () => momentum({ lr: 0.01, momentum: 0.9 });
  const n = batch * K;
  const labels = Uint32Array.from({ length: n }, (_, i) => i % 10);
  const data = GpuDataset.upload(rt, uniformValues(n * SIZES[0], 1), labels, 10);
  const order = data.identityOrder();
  const stacked = data.batch(order, { start: 0, count: n });
  const single = data.batch(order, { start: 0, count: batch });
  const models = Array.from({ length: K + 1 }, (_, i) => mlp(rt, { sizes: SIZES, seed: 1 + i }));
  const trainers = models.map((m) => new Trainer(m, chain(opt()).init(m.arena)));
  const ens = new BatchedEnsemble(models.slice(1), opt());
  const repeat = (f: () => void) => () => {
    for (let s = 0; s < STEPS_PER_SAMPLE; s++) f();
  };
  const list: Variant[] = [
    { impl: 'one member', run: repeat(() => trainers[0].record(single)), dispose: () => undefined },
    { impl: `${K} batched`, run: repeat(() => ens.record(stacked)), dispose: () => ens.dispose() },
    {
      impl: `${K} sequential`,
      run: repeat(() => {
        for (let i = 1; i <= K; i++) trainers[i].record(single);
      }),
      dispose: () => undefined,
    },
  ];
  return {
    list,
    dispose() {
      for (const v of list) v.dispose();
      for (const t of trainers) {
        t.dispose();
        (t.optimizer as ChainOptimizer).dispose();
      }
      for (const m of models) m.dispose();
      for (const t of [stacked.x, stacked.targets, single.x, single.targets, order]) t.dispose();
      data.dispose();
    },
  };
}

/** See the module's comment. */
export const ensembleSuite: BenchSuite = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const rt = ctx.rt;
  const rows: BenchRow[] = [];
  for (const batch of ctx.sizes ?? [ctx.tiny ? 8 : 64]) {
    const { list, dispose } = variants(rt, batch);
    try {
      const dispatches: number[] = [];
      // Warm-up: compiles every pipeline and fills the pools.
      for (const v of list) {
        const d0 = rt.workStats().dispatches;
        v.run();
        await rt.sync();
        dispatches.push((rt.workStats().dispatches - d0) / STEPS_PER_SAMPLE);
      }
      const samples: number[][] = list.map(() => []);
      for (let round = 0; round < ctx.samples; round++) {
        for (let j = 0; j < list.length; j++) {
          const i = (j + round) % list.length;
          const t0 = performance.now();
          list[i].run();
          await rt.sync();
          samples[i].push((performance.now() - t0) / STEPS_PER_SAMPLE);
        }
        ctx.progress?.(round + 1, ctx.samples);
      }
      const caseName = `${SIZES.join('-')} batch ${batch}, k=${K}`;
      for (const [i, v] of list.entries()) {
        const ratio = median(samples[i].map((s, r) => s / samples[0][r]));
        rows.push({
          suite: 'ensemble',
          case: caseName,
          impl: v.impl,
          unit: 'ms',
          value: median(samples[i]),
          samplesMs: samples[i],
          size: batch,
          extra: { 'ratio to one member': Number(ratio.toFixed(3)), 'dispatches/step': dispatches[i] },
        });
      }
      ctx.log(`ensemble ${caseName}: ${rows.map((r) => `${r.impl} ${r.value.toFixed(1)} ms (×${r.extra?.['ratio to one member']})`).join(', ')}`);
    } finally {
      dispose();
    }
  }
  return rows;
};
