/**
 * The soft-threshold (L1 proximal) step suite: w ← sign(z)·max(|z| − ε·α, 0) with z = w − ε·g, in
 * place, over one weight tensor, on the same adapter in one run:
 *   engine       `softThresholdStep` (engine/ops/soft-threshold.ts): one fused dispatch;
 *   tfjs-webgpu  the same step written with tfjs ops (sub, mul, sign, abs, relu; tfjs has no prox);
 *   jax-js       the same step as one jitted function (jax-js fuses it into its own kernels).
 * Unit: GB/s of the step's minimum traffic, 12 bytes per element (read w and g, write w), so the
 * rows compare with the adapter's copy ceiling. Each sample records several steps back to back and
 * waits once; nothing is read back.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import type { Runtime } from '../../engine/index';
import { softThresholdStep } from '../../engine/ops/soft-threshold';
import { jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { itersFor, median, timeCalls, timeGpu } from '../timing';
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { uniformValues } from '../data';

const LR = 1e-2;
const L1 = 1e-3;
const BYTES_PER_ELEMENT = 12;
/** Target length of one sample: long enough to amortize submits and the timestamps' resolution. */
const TARGET_MS = 60;

/** Deterministic values in [-1, 1). */
function data(n: number, seed: number): Float32Array<ArrayBuffer> {
  return uniformValues(n, seed, -1, 1);
}

/** A peer's step: enqueue one step, and wait for all enqueued ones. */
interface PeerStep {
  step(): void;
  sync(): Promise<void>;
  dispose(): void;
}

function tfjsStep(tf: typeof TF, n: number): PeerStep {
  const w = tf.variable(tf.tensor1d(data(n, 1)));
  const g = tf.tensor1d(data(n, 2));
  return {
    step: () =>
      tf.tidy(() => {
        const z = tf.sub(w, tf.mul(g, LR));
        w.assign(tf.mul(tf.sign(z), tf.relu(tf.sub(tf.abs(z), LR * L1))));
      }),
    sync: () => tfjsSync(tf),
    dispose: () => tf.dispose([w, g]),
  };
}

function jaxStep(jax: typeof Jax, n: number): PeerStep {
  const np = jax.numpy;
  let w = np.array(data(n, 1));
  const g = np.array(data(n, 2));
  // jax-js arrays are reference counted: `.ref` keeps an array alive across a call that consumes it.
  const prox = jax.jit((wi: Jax.Array, gi: Jax.Array) => {
    const z = wi.sub(gi.mul(LR));
    return np.sign(z.ref).mul(np.maximum(np.absolute(z).sub(LR * L1), 0));
  });
  return {
    step: () => {
      w = prox(w, g.ref);
    },
    sync: async () => {
      await jax.blockUntilReady(w);
    },
    dispose: () => {
      w.dispose();
      g.dispose();
      prox.dispose();
    },
  };
}

/**
 * Wall-clock ms per step, one entry per sample, with as many steps per sample as fit in TARGET_MS;
 * the GPU work of the samples is counted (bench/gpu-work.ts). `device` finds the prototypes to wrap.
 */
async function timePeer(device: GPUDevice, p: PeerStep, samples: number): Promise<number[]> {
  p.step();
  await p.sync();
  const t0 = performance.now();
  p.step();
  await p.sync();
  const iters = Math.max(1, Math.min(200, Math.round(TARGET_MS / Math.max(performance.now() - t0, 1e-3))));
  return timeCalls(device, samples, iters, async () => {
    for (let i = 0; i < iters; i++) p.step();
    await p.sync();
  });
}

async function engineRow(rt: Runtime, n: number, samples: number): Promise<number[]> {
  const w = rt.tensor(data(n, 1));
  const g = rt.tensor(data(n, 2));
  try {
    const step = () => void softThresholdStep(w, g, LR, L1);
    const iters = await itersFor(rt, step, TARGET_MS, 200);
    return await timeGpu(rt, step, { samples, iters });
  } finally {
    w.dispose();
    g.dispose();
  }
}

/** The suite (see the file's comment). Sizes: elements of the weight tensor (default 2^20 and 2^22). */
export const proxSuite: BenchSuite = async (ctx: BenchContext) => {
  const sizes = ctx.sizes ?? (ctx.tiny ? [1 << 12] : [1 << 20, 1 << 22]);
  const rows: BenchRow[] = [];
  const peers: { impl: string; load: () => Promise<(n: number) => PeerStep> }[] = [
    {
      impl: 'tfjs-webgpu',
      load: async () => {
        const tf = await tfjsPeer();
        return (n) => tfjsStep(tf, n);
      },
    },
    {
      impl: 'jax-js',
      load: async () => {
        const jax = await jaxPeer();
        return (n) => jaxStep(jax, n);
      },
    },
  ];
  const makers = new Map<string, (n: number) => PeerStep>();
  for (const p of peers) {
    try {
      makers.set(p.impl, await p.load());
    } catch (e) {
      ctx.reportError?.(`${p.impl}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const [c, n] of sizes.entries()) {
    ctx.progress?.(c, sizes.length);
    const name = `n=${n}`;
    const row = (impl: string, samplesMs: number[]): BenchRow => ({
      suite: 'prox',
      case: name,
      impl,
      unit: 'GB/s',
      value: (BYTES_PER_ELEMENT * n) / 1e6 / median(samplesMs),
      samplesMs,
      size: n,
    });
    ctx.log(`engine ${name}`);
    rows.push({ ...row('engine', await engineRow(ctx.rt, n, ctx.samples)), extra: { dispatches: 1 } });
    for (const [impl, make] of makers) {
      ctx.log(`${impl} ${name}`);
      let p: PeerStep | undefined;
      try {
        p = make(n);
        rows.push(row(impl, await timePeer(ctx.rt.device, p, ctx.samples)));
      } catch (e) {
        ctx.reportError?.(`${impl} ${name}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        p?.dispose();
      }
    }
  }
  return rows;
};
