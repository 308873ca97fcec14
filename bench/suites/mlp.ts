/**
 * The MLP training-step suite: one SGD step of a 784-512-512-10 MLP on a batch of 128, inverted
 * dropout (keep 0.5) on both hidden layers, L2 1e-4 on the weights, softmax cross-entropy — in each
 * implementation on the same adapter, timed per step (ms, lower is better).
 *
 * Each sample runs several steps back to back and waits for the GPU once, as a training loop that
 * reads the loss only now and then would; no loss is read back inside the timed region.
 */
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { median } from '../timing';
import { jaxPeer } from '../peers/jax';
import { tfjsPeer } from '../peers/tfjs';
import { jaxMlp, tfjsMlp, type MlpConfig, type MlpStep } from './mlp-peers';

/** The suite's model: 784-512-512-10, batch 128, keep 0.5, L2 1e-4, SGD with learning rate 0.01. */
export const MLP_CONFIG: MlpConfig = { layers: [784, 512, 512, 10], batch: 128, keep: 0.5, l2: 1e-4, lr: 0.01 };

/** A small model of the same structure, for tests of the harness (`--tiny`). */
export const MLP_TINY_CONFIG: MlpConfig = { layers: [64, 32, 32, 10], batch: 16, keep: 0.5, l2: 1e-4, lr: 0.01 };

/** Milliseconds per step, one entry per sample; `steps` steps per sample after `warmup` steps. */
async function timeSteps(impl: MlpStep, samples: number, steps: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    impl.step();
    await impl.sync();
  }
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) impl.step();
    await impl.sync();
    out.push((performance.now() - t0) / steps);
  }
  return out;
}

function caseName(cfg: MlpConfig): string {
  return `${cfg.layers.join('-')} b${cfg.batch}`;
}

/** One implementation of the step, by name, built on demand (peers load their library first). */
interface MlpImpl {
  impl: string;
  make(ctx: BenchContext, cfg: MlpConfig): Promise<MlpStep>;
}

const IMPLS: MlpImpl[] = [
  { impl: 'tfjs-webgpu', make: async (_ctx, cfg) => tfjsMlp(await tfjsPeer(), cfg) },
  { impl: 'jax-js', make: async (_ctx, cfg) => jaxMlp(await jaxPeer(), cfg) },
];

/** The suite (see the file's comment). */
export const mlpSuite: BenchSuite = async (ctx) => {
  const cfg = ctx.tiny ? MLP_TINY_CONFIG : MLP_CONFIG;
  const steps = ctx.tiny ? 1 : 3;
  const rows: BenchRow[] = [];
  for (const { impl, make } of IMPLS) {
    ctx.log(`${impl}: ${caseName(cfg)}`);
    let step: MlpStep | undefined;
    try {
      step = await make(ctx, cfg);
      const samplesMs = await timeSteps(step, ctx.samples, steps, 2);
      rows.push({ suite: 'mlp', case: caseName(cfg), impl, unit: 'ms', value: median(samplesMs), samplesMs, size: cfg.batch, extra: { stepsPerSync: steps } });
    } catch (e) {
      ctx.reportError?.(`${impl}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      step?.dispose();
    }
  }
  return rows;
};
