/**
 * The matmul suite: C = op(A)·op(B) at several sizes, in GFLOP/s (2·M·N·K per product), for the
 * engine's kernel (shaders/matmul.wgsl), the naive one-output-per-invocation kernel, tfjs-webgpu
 * and jax-js (jitted), all on the same adapter in one run, plus the adapter's FMA ceiling
 * (shaders/fma_peak.wgsl) measured in the same run.
 *
 * Every implementation is timed the same way: warm-up (compiles everything), then samples of
 * several products back to back with one wait for the GPU at the end of each sample; no readback
 * inside the timed region. jax-js evaluates lazily, so its results of a sample are kept until the
 * wait (so that every product really runs) and freed after the clock stops.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { grid1d, type Runtime, type Tensor } from '../../engine/index';
import { matmul, matmulNaive, planMatmul } from '../../engine/ops/matmul';
import { jaxMatmul, jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { itersFor, median, timeGpu } from '../timing';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

/** One product of the suite: op(A) is M × K, op(B) is K × N. */
export interface MatmulCase {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
}

/** `1024x1024x1024`, `1024x1024x1024 Aᵀ·B`, ... (M x N x K). */
export function matmulCaseName(c: MatmulCase): string {
  const t = c.transA || c.transB ? ` ${c.transA ? 'Aᵀ' : 'A'}·${c.transB ? 'Bᵀ' : 'B'}` : '';
  return `${c.m}x${c.n}x${c.k}${t}`;
}

/**
 * The cases: N×N×N for each size (256, 512, 1024, 2048 by default; 64 and 128 when tiny), one odd
 * shape whose N is not a multiple of 4 (the scalar kernel) and one that is not a multiple of the
 * tile (the vec4 kernel with edge rows), and both transposed products backward passes use.
 */
export function matmulCases(ctx: Pick<BenchContext, 'tiny' | 'sizes'>): MatmulCase[] {
  const sizes = ctx.sizes ?? (ctx.tiny ? [64, 128] : [256, 512, 1024, 2048]);
  const cases: MatmulCase[] = sizes.map((s) => ({ m: s, n: s, k: s }));
  if (ctx.tiny) {
    cases.push({ m: 33, n: 65, k: 17 }, { m: 64, n: 64, k: 64, transA: true }, { m: 64, n: 64, k: 64, transB: true });
  } else {
    const t = Math.min(1024, Math.max(...sizes));
    cases.push({ m: 1000, n: 1000, k: 1000 }, { m: 777, n: 513, k: 1025 }, { m: t, n: t, k: t, transA: true }, { m: t, n: t, k: t, transB: true });
  }
  return cases;
}

/** Deterministic data in [-1, 1) (an LCG: the bench needs numbers, not statistical quality). */
function data(n: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

/** Something that enqueues products and waits for them: how peers are timed. */
interface PeerRun {
  enqueue(): void;
  /** Waits for everything enqueued; frees what the sample kept. Returns when the GPU is done. */
  sync(): Promise<void>;
  afterSample?(): void;
  dispose(): void;
}

/** Wall-clock ms per product, one entry per sample (see the file's comment). */
async function timePeer(run: PeerRun, samples: number, targetMs: number, maxIters: number): Promise<number[]> {
  run.enqueue();
  await run.sync();
  run.afterSample?.();
  const t0 = performance.now();
  run.enqueue();
  await run.sync();
  run.afterSample?.();
  const iters = Math.max(1, Math.min(maxIters, Math.round(targetMs / Math.max(performance.now() - t0, 1e-3))));
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < iters; i++) run.enqueue();
    await run.sync();
    out.push((performance.now() - start) / iters);
    run.afterSample?.();
  }
  return out;
}

function tfjsRun(tf: typeof TF, c: MatmulCase, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>): PeerRun {
  const ta = tf.tensor2d(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
  const tb = tf.tensor2d(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
  return {
    enqueue: () => tf.matMul(ta, tb, !!c.transA, !!c.transB).dispose(),
    sync: () => tfjsSync(tf),
    dispose: () => tf.dispose([ta, tb]),
  };
}

function jaxRun(jax: typeof Jax, c: MatmulCase, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>): PeerRun {
  const np = jax.numpy;
  const ja = np.array(a).reshape(c.transA ? [c.k, c.m] : [c.m, c.k]);
  const jb = np.array(b).reshape(c.transB ? [c.n, c.k] : [c.k, c.n]);
  const f = jaxMatmul(jax, !!c.transA, !!c.transB);
  let outs: Jax.Array[] = [];
  return {
    enqueue: () => {
      outs.push(f(ja.ref, jb.ref));
    },
    sync: async () => {
      await jax.blockUntilReady(outs);
    },
    afterSample: () => {
      for (const o of outs) o.dispose();
      outs = [];
    },
    dispose: () => {
      ja.dispose();
      jb.dispose();
      f.dispose();
    },
  };
}

/** FMA rounds per invocation of shaders/fma_peak.wgsl, and invocations per dispatch. */
const FMA_ITERS = 512;
const FMA_INVOCATIONS = 1 << 16;
const FMA_WG = 64;

/** The adapter's FMA ceiling, GFLOP/s (one row). */
async function fmaCeiling(rt: Runtime, ctx: BenchContext, targetMs: number): Promise<BenchRow> {
  const iters = ctx.tiny ? 32 : FMA_ITERS;
  const out = rt.empty([FMA_INVOCATIONS]);
  const step = (): void =>
    rt.dispatch({ shader: 'fma_peak', entry: 'fma_peak', overrides: { WG: FMA_WG }, uniforms: { iters, seed: 0.5 }, bindings: { out }, workgroups: grid1d(FMA_INVOCATIONS, FMA_WG) });
  const perSample = await itersFor(rt, step, targetMs, 50);
  const samplesMs = await timeGpu(rt, step, { samples: ctx.samples, iters: perSample, warmup: 1 });
  out.dispose();
  const flop = FMA_INVOCATIONS * iters * 8 * 4 * 2;
  return { suite: 'matmul', case: 'fma', impl: 'ceiling-fma', unit: 'GFLOP/s', value: flop / median(samplesMs) / 1e6, samplesMs, size: 0 };
}

/** The suite (see the file's comment). */
export const matmulSuite: BenchSuite = async (ctx) => {
  const rt = ctx.rt;
  const targetMs = ctx.tiny ? 20 : 300;
  const maxIters = ctx.tiny ? 5 : 50;
  const rows: BenchRow[] = [];
  ctx.log('ceiling-fma');
  rows.push(await fmaCeiling(rt, ctx, targetMs));

  const peers: { impl: string; make: (c: MatmulCase, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>) => Promise<PeerRun> }[] = [
    { impl: 'tfjs-webgpu', make: async (c, a, b) => tfjsRun(await tfjsPeer(), c, a, b) },
    { impl: 'jax-js', make: async (c, a, b) => jaxRun(await jaxPeer(), c, a, b) },
  ];
  const failed = new Set<string>();

  for (const c of matmulCases(ctx)) {
    const name = matmulCaseName(c);
    const flop = 2 * c.m * c.n * c.k;
    const row = (impl: string, samplesMs: number[], extra?: BenchRow['extra']): BenchRow => ({
      suite: 'matmul', case: name, impl, unit: 'GFLOP/s', value: flop / median(samplesMs) / 1e6, samplesMs, size: c.m, extra,
    });
    const a = data(c.m * c.k, 1 + c.m);
    const b = data(c.k * c.n, 2 + c.n);
    const ta = rt.tensor(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
    const tb = rt.tensor(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
    const opts = { transA: c.transA, transB: c.transB };
    const engines: [string, (x: Tensor, y: Tensor) => Tensor, BenchRow['extra']][] = [
      ['engine', (x, y) => matmul(x, y, opts), planExtra(rt, c)],
      ['naive', (x, y) => matmulNaive(x, y, opts), undefined],
    ];
    for (const [impl, f, extra] of engines) {
      ctx.log(`${name}: ${impl}`);
      const step = (): void => f(ta, tb).dispose();
      const iters = await itersFor(rt, step, targetMs, maxIters);
      rows.push(row(impl, await timeGpu(rt, step, { samples: ctx.samples, iters, warmup: 1 }), { ...extra, iters }));
    }
    ta.dispose();
    tb.dispose();
    for (const p of peers) {
      if (failed.has(p.impl)) continue;
      ctx.log(`${name}: ${p.impl}`);
      let run: PeerRun | undefined;
      try {
        run = await p.make(c, a, b);
        rows.push(row(p.impl, await timePeer(run, ctx.samples, targetMs, maxIters)));
      } catch (e) {
        // A peer that cannot start is reported once and skipped for the other cases.
        failed.add(p.impl);
        ctx.reportError?.(`${p.impl}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        run?.dispose();
      }
    }
  }
  return rows;
};

/** The engine's kernel choice for a case, for the report's `extra` column. */
function planExtra(rt: Runtime, c: MatmulCase): Record<string, string | number> {
  const p = planMatmul(rt, { m: c.m, n: c.n, k: c.k, transA: !!c.transA });
  return { kernel: p.entry, WG: p.WG, TM: p.TM };
}
