/**
 * The MLP training-step suite: one SGD step of a 784-512-512-10 MLP on a batch of 128, inverted
 * dropout (keep 0.5) on both hidden layers, L2 1e-4 on the weights, softmax cross-entropy — in each
 * implementation on the same adapter, timed per step (ms, lower is better): this engine
 * (bench/suites/mlp-engine.ts; its row also reports dispatches and submits per step), tfjs-webgpu
 * and jax-js (bench/suites/mlp-peers.ts).
 *
 * Each sample runs several steps back to back and waits for the GPU once, as a training loop that
 * reads the loss only now and then would; no loss is read back inside the timed region. All three
 * models are built first and sampled in turn.
 */
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { GpuSampler, median, sampleCalls } from '../timing';
import { GpuWorkTally, type GpuWork } from '../gpu-work';
import { jaxPeer } from '../peers/jax';
import { tfjsPeer } from '../peers/tfjs';
import { engineMlp } from './mlp-engine';
import { jaxMlp, tfjsMlp, type MlpConfig, type MlpStep } from './mlp-peers';

/** The suite's model: 784-512-512-10, batch 128, keep 0.5, L2 1e-4, SGD with learning rate 0.01. */
export const MLP_CONFIG: MlpConfig = { layers: [784, 512, 512, 10], batch: 128, keep: 0.5, l2: 1e-4, lr: 0.01 };

/** A small model of the same structure, for tests of the harness (`--tiny`). */
export const MLP_TINY_CONFIG: MlpConfig = { layers: [64, 32, 32, 10], batch: 16, keep: 0.5, l2: 1e-4, lr: 0.01 };

function caseName(cfg: MlpConfig): string {
  return `${cfg.layers.join('-')} b${cfg.batch}`;
}

/** An implementation ready to be sampled: built and warmed up (pipelines compiled, jit traced). */
interface Prepared {
  impl: string;
  /** One sample of `steps` steps: wall ms per step, GPU ms per step when measurable, the GPU work counted. */
  sample(): Promise<{ wallMs: number; gpuMs?: number | null; work: GpuWork }>;
  /** Steps per sample. */
  steps: number;
  /** Row extras, measured after the timed samples. */
  extra(): Promise<Record<string, number>>;
  dispose(): void;
}

async function warmUp(step: MlpStep): Promise<void> {
  for (let i = 0; i < 2; i++) {
    step.step();
    await step.sync();
  }
}

/** The engine's step, sampled through the runtime, so its samples also get GPU timestamps. */
async function prepareEngine(ctx: BenchContext, cfg: MlpConfig, steps: number): Promise<Prepared> {
  const step = engineMlp(ctx.rt, cfg);
  const sampler = new GpuSampler(ctx.rt);
  await warmUp(step);
  return {
    impl: 'engine',
    steps,
    sample: () => sampler.sample(step.step, steps),
    extra: async () => {
      const work = await step.countWork(2);
      return { stepsPerSync: steps, dispatchesPerStep: work.dispatches, submitsPerStep: work.submits };
    },
    dispose: () => {
      sampler.destroy();
      step.dispose();
    },
  };
}

/** A peer's step, timed on the wall clock (peers run their own command queues). */
async function preparePeer(ctx: BenchContext, impl: string, step: MlpStep, steps: number): Promise<Prepared> {
  await warmUp(step);
  return {
    impl,
    steps,
    sample: () =>
      sampleCalls(ctx.rt.device, steps, async () => {
        for (let i = 0; i < steps; i++) step.step();
        await step.sync();
      }),
    extra: async () => ({ stepsPerSync: steps }),
    dispose: () => step.dispose(),
  };
}

const IMPLS: { impl: string; prepare(ctx: BenchContext, cfg: MlpConfig, steps: number): Promise<Prepared> }[] = [
  { impl: 'engine', prepare: prepareEngine },
  { impl: 'tfjs-webgpu', prepare: async (ctx, cfg, steps) => preparePeer(ctx, 'tfjs-webgpu', tfjsMlp(await tfjsPeer(), cfg), steps) },
  { impl: 'jax-js', prepare: async (ctx, cfg, steps) => preparePeer(ctx, 'jax-js', jaxMlp(await jaxPeer(), cfg), steps) },
];

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The suite (see the file's comment). The implementations are sampled in turn, round after round,
 * so that a change in the machine's load (the CPUs that run a software adapter are shared) hits
 * all of them alike.
 */
export const mlpSuite: BenchSuite = async (ctx) => {
  const cfg = ctx.tiny ? MLP_TINY_CONFIG : MLP_CONFIG;
  const steps = ctx.tiny ? 1 : 3;
  const ready: Prepared[] = [];
  const rows: BenchRow[] = [];
  try {
    for (const { impl, prepare } of IMPLS) {
      ctx.log(`${impl}: building and warming up ${caseName(cfg)}`);
      try {
        ready.push(await prepare(ctx, cfg, steps));
      } catch (e) {
        ctx.reportError?.(`${impl}: ${errorText(e)}`);
      }
    }
    const wall = ready.map(() => [] as number[]);
    const gpu = ready.map(() => [] as number[] | null);
    const work = ready.map(() => new GpuWorkTally());
    const failed = new Set<number>();
    for (let s = 0; s < ctx.samples; s++) {
      ctx.log(`sample ${s + 1}/${ctx.samples}`);
      ctx.progress?.(s, ctx.samples);
      for (const [k, p] of ready.entries()) {
        if (failed.has(k)) continue;
        try {
          const m = await p.sample();
          wall[k].push(m.wallMs);
          gpu[k] = gpu[k] && m.gpuMs != null ? [...gpu[k], m.gpuMs] : null;
          work[k].add(m.work, p.steps);
        } catch (e) {
          failed.add(k);
          ctx.reportError?.(`${p.impl}: ${errorText(e)}`);
        }
      }
    }
    for (const [k, p] of ready.entries()) {
      if (failed.has(k)) continue;
      const g = gpu[k];
      const w = work[k].perCall();
      rows.push({
        suite: 'mlp',
        case: caseName(cfg),
        impl: p.impl,
        unit: 'ms',
        value: median(wall[k]),
        samplesMs: wall[k],
        ...(g && g.length === wall[k].length ? { gpuSamplesMs: g } : {}),
        size: cfg.batch,
        ...(w ? { gpuWork: w } : {}),
        extra: await p.extra(),
      });
    }
  } finally {
    for (const p of ready) p.dispose();
  }
  return rows;
};
