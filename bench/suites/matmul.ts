/**
 * The matmul suite: C = op(A)·op(B) at several sizes, in GFLOP/s (2·M·N·K per product), for the
 * engine's kernel with the adapter's fixed table (`engine`: shaders/matmul.wgsl or
 * shaders/matmul_tiled.wgsl), the same with the autotuner's choice (`engine-tuned`), the naive
 * one-output-per-invocation kernel, tfjs-webgpu and jax-js (jitted), all on the same adapter in one
 * run, plus the adapter's FMA ceiling (shaders/fma_peak.wgsl) measured in the same run.
 *
 * The tuned row's tuner runs in `auto` mode (or `WEBGPU_TUNE` when set, e.g. `cache` to reuse
 * earlier choices without timing) with the default cache; its choice is made before the case is
 * warmed up, so tuning time is not in the samples (the row's `tuneMs` says how long it took).
 *
 * Every implementation is timed the same way: warm-up (compiles everything), then samples of
 * several products back to back with one wait for the GPU at the end of each sample; no readback
 * inside the timed region. jax-js evaluates lazily, so its results of a sample are kept until the
 * wait (so that every product really runs) and freed after the clock stops. The FMA ceiling is
 * measured in the same rounds as each case (a `ceiling-fma` row per case).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { createTuner, grid1d, matmulTunable, type Runtime, type Tensor, type Tuner, type TuneMode } from '../../engine/index';
import { matmul, matmulNaive, matmulTuning, planMatmul, type MatmulBlocking, type MatmulShape } from '../../engine/ops/matmul';
import { jaxMatmul, jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { uniformValues } from '../data';
import { GpuWorkTally, type GpuWork } from '../gpu-work';
import { useBenchKernels } from '../kernels';
import { GpuSampler, itersFor, median, sampleCalls } from '../timing';
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
 * The cases: N×N×N for each size (256, 512, 1024 by default, 2048 too with `--full`; 64 and 128 when tiny), two odd
 * shapes, 1000³ (rows of whole vec4s, but not a multiple of any workgroup's tile) and
 * 777×513×1025 (nothing a multiple of 4), and the two transposed products backward passes use
 * (Aᵀ·B for weight gradients, A·Bᵀ for input gradients) at up to 512 (1024 with `--full`).
 */
export function matmulCases(ctx: Pick<BenchContext, 'tiny' | 'sizes' | 'full'>): MatmulCase[] {
  // The quick default stops at 1024 (2048³ takes minutes per implementation on a software adapter); --full adds it.
  const sizes = ctx.sizes ?? (ctx.tiny ? [64, 128] : ctx.full ? [256, 512, 1024, 2048] : [256, 512, 1024]);
  const cases: MatmulCase[] = sizes.map((s) => ({ m: s, n: s, k: s }));
  if (ctx.tiny) {
    cases.push({ m: 33, n: 65, k: 17 }, { m: 64, n: 64, k: 64, transA: true }, { m: 64, n: 64, k: 64, transB: true });
  } else {
    const t = Math.min(ctx.full ? 1024 : 512, Math.max(...sizes));
    cases.push({ m: 1000, n: 1000, k: 1000 }, { m: 777, n: 513, k: 1025 }, { m: t, n: t, k: t, transA: true }, { m: t, n: t, k: t, transB: true });
  }
  return cases;
}

/** Deterministic data in [-1, 1) (the bench needs numbers, not statistical quality). */
function data(n: number, seed: number): Float32Array<ArrayBuffer> {
  return uniformValues(n, seed, -1, 1);
}

/** An implementation of one case, ready to be sampled: built and warmed up (pipelines compiled, jit traced). */
interface Prepared {
  impl: string;
  /** One sample: wall ms per iteration, GPU and CPU ms per iteration when measurable, the GPU work counted. */
  sample(): Promise<{ wallMs: number; gpuMs?: number | null; cpuMs: number | null; work: GpuWork }>;
  /** Iterations per sample. */
  iters: number;
  /** Floating-point operations of one iteration. */
  flop: number;
  extra?: Record<string, number | string>;
  dispose(): void;
}

/**
 * CPU time of this process so far, in ms, where the host tells (Node); null in a browser. The
 * software adapters run in the process's own threads, so this counts their work too: a second
 * measure, much less disturbed than the wall clock when other jobs share the CPUs.
 */
function cpuNowMs(): number | null {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  if (!p?.cpuUsage) return null;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs one sample and adds the CPU ms per iteration it took (null where not measurable). */
async function withCpu<T extends { wallMs: number }>(iters: number, run: () => Promise<T>): Promise<T & { cpuMs: number | null }> {
  const c0 = cpuNowMs();
  const m = await run();
  const c1 = cpuNowMs();
  return { ...m, cpuMs: c0 === null || c1 === null ? null : (c1 - c0) / iters };
}

/** Iterations per sample so that a sample lasts about `targetMs`, from one timed iteration. */
function itersFrom(ms: number, targetMs: number, maxIters: number): number {
  return Math.max(1, Math.min(maxIters, Math.round(targetMs / Math.max(ms, 1e-3))));
}

/** Work recorded through the engine's runtime, sampled with GPU timestamps too. */
async function prepareRecorded(
  rt: Runtime,
  impl: string,
  step: () => void,
  flop: number,
  budget: Budget,
  extra?: Record<string, number | string>,
): Promise<Prepared> {
  const iters = await itersFor(rt, step, budget.targetMs, budget.maxIters);
  const sampler = new GpuSampler(rt);
  return {
    impl,
    flop,
    iters,
    extra: { ...extra, iters },
    sample: () => withCpu(iters, () => sampler.sample(step, iters)),
    dispose: () => sampler.destroy(),
  };
}

/** A peer: enqueue products, then one wait for all of them (the peer's own queue). */
interface PeerRun {
  enqueue(): void;
  sync(): Promise<void>;
  /** Frees what a sample kept alive (jax-js results), after the clock has stopped. */
  afterSample?(): void;
  dispose(): void;
}

async function preparePeer(device: GPUDevice, impl: string, run: PeerRun, flop: number, budget: Budget): Promise<Prepared> {
  const once = async (iters: number): Promise<{ wallMs: number; work: GpuWork }> => {
    const m = await sampleCalls(device, iters, async () => {
      for (let i = 0; i < iters; i++) run.enqueue();
      await run.sync();
    });
    run.afterSample?.();
    return m;
  };
  await once(1);
  const iters = itersFrom((await once(1)).wallMs, budget.targetMs, budget.maxIters);
  return { impl, flop, iters, extra: { iters }, sample: () => withCpu(iters, () => once(iters)), dispose: () => run.dispose() };
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

/** How long a sample should last, and the most iterations it may take. */
interface Budget {
  targetMs: number;
  maxIters: number;
}

/** Invocations of one shaders/fma_peak.wgsl dispatch, and its workgroup size. */
const FMA_INVOCATIONS = 1 << 16;
const FMA_WG = 64;

/** The adapter's FMA ceiling: one dispatch of shaders/fma_peak.wgsl per iteration. */
async function prepareCeiling(rt: Runtime, rounds: number, budget: Budget): Promise<{ prepared: Prepared; out: Tensor }> {
  const out = rt.empty([FMA_INVOCATIONS]);
  const step = (): void =>
    rt.dispatch({
      shader: 'fma_peak',
      entry: 'fma_peak',
      overrides: { WG: FMA_WG },
      uniforms: { iters: rounds, seed: 0.5 },
      bindings: { out },
      workgroups: grid1d(FMA_INVOCATIONS, FMA_WG),
    });
  const prepared = await prepareRecorded(rt, 'ceiling-fma', step, FMA_INVOCATIONS * rounds * 8 * 4 * 2, budget, { roundsPerInvocation: rounds });
  return { prepared, out };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * A case's share of the suite's time, for the estimate of the time left: a sample lasts about the
 * budget's target up to 512³, longer in proportion to the work beyond.
 */
function caseWeight(c: MatmulCase): number {
  return Math.max(1, (c.m * c.n * c.k) / 512 ** 3);
}

/**
 * The suite (see the file's comment). Per case, every implementation is built and warmed up, then
 * they are sampled in turn, round after round, so that a change in the machine's load (the CPUs
 * that run a software adapter are shared) hits all of them alike. The FMA ceiling is sampled in the
 * same rounds, so each case has the ceiling measured alongside it.
 */
export const matmulSuite: BenchSuite = async (ctx) => {
  const rt = ctx.rt;
  await useBenchKernels(rt);
  const budget: Budget = ctx.tiny ? { targetMs: 20, maxIters: 5 } : { targetMs: 300, maxIters: 50 };
  const fmaRounds = ctx.tiny ? 32 : 512;
  const rows: BenchRow[] = [];
  const failedPeers = new Set<string>();
  const tuner = await benchTuner(rt, ctx);
  const peers: { impl: string; make: (c: MatmulCase, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>) => Promise<PeerRun> }[] = [
    { impl: 'tfjs-webgpu', make: async (c, a, b) => tfjsRun(await tfjsPeer(), c, a, b) },
    { impl: 'jax-js', make: async (c, a, b) => jaxRun(await jaxPeer(), c, a, b) },
  ];

  const cases = matmulCases(ctx);
  const progressTotal = cases.reduce((t, c) => t + caseWeight(c), 0);
  let progressDone = 0;
  for (const c of cases) {
    const name = matmulCaseName(c);
    const flop = 2 * c.m * c.n * c.k;
    const a = data(c.m * c.k, 1 + c.m);
    const b = data(c.k * c.n, 2 + c.n);
    const ta = rt.tensor(a, c.transA ? [c.k, c.m] : [c.m, c.k]);
    const tb = rt.tensor(b, c.transB ? [c.n, c.k] : [c.k, c.n]);
    const opts = { transA: c.transA, transB: c.transB };
    const ready: Prepared[] = [];
    const ceiling = await prepareCeiling(rt, fmaRounds, budget);
    try {
      ctx.log(`${name}: warming up`);
      ready.push(ceiling.prepared);
      // The fixed table, passed explicitly: the tuner below must not change this row.
      const fixed = matmulTuning(rt);
      ready.push(await prepareRecorded(rt, 'engine', () => matmul(ta, tb, opts, fixed).dispose(), flop, budget, planExtra(rt, c)));
      if (tuner) {
        try {
          ctx.log(`${name}: tuning`);
          const t0 = performance.now();
          const shape: MatmulShape = { m: c.m, n: c.n, k: c.k, transA: !!c.transA, transB: !!c.transB, epilogue: 'none' };
          const res = await tuner.tune(matmulTunable, shape);
          const tuneMs = Math.round(performance.now() - t0);
          const tuned = { aligned: res.choice, unaligned: res.choice };
          const extra = { ...blockingExtra(res.choice), tuneSource: res.source, tuneMs, tuneKey: res.key, candidatesTimed: res.measured?.length ?? 0 };
          ready.push(await prepareRecorded(rt, 'engine-tuned', () => matmul(ta, tb, opts, tuned).dispose(), flop, budget, extra));
        } catch (e) {
          ctx.reportError?.(`engine-tuned ${name}: ${errorText(e)}`);
        }
      }
      // The naive baseline is the slowest row by far: the quick default measures it up to 512³ only.
      if (ctx.full || ctx.tiny || c.m * c.n * c.k <= 512 ** 3)
        ready.push(await prepareRecorded(rt, 'naive', () => matmulNaive(ta, tb, opts).dispose(), flop, budget));
      for (const p of peers) {
        if (failedPeers.has(p.impl)) continue;
        try {
          ready.push(await preparePeer(rt.device, p.impl, await p.make(c, a, b), flop, budget));
        } catch (e) {
          // A peer that cannot start is reported once and skipped for the other cases.
          failedPeers.add(p.impl);
          ctx.reportError?.(`${p.impl}: ${errorText(e)}`);
        }
      }
      const wall = ready.map(() => [] as number[]);
      const gpu = ready.map(() => [] as number[] | null);
      const cpu = ready.map(() => [] as number[] | null);
      const work = ready.map(() => new GpuWorkTally());
      const failed = new Set<number>();
      for (let s = 0; s < ctx.samples; s++) {
        ctx.log(`${name}: sample ${s + 1}/${ctx.samples}`);
        ctx.progress?.(progressDone + (s / ctx.samples) * caseWeight(c), progressTotal);
        for (const [i, p] of ready.entries()) {
          if (failed.has(i)) continue;
          try {
            const m = await p.sample();
            wall[i].push(m.wallMs);
            work[i].add(m.work, p.iters);
            gpu[i] = gpu[i] && m.gpuMs != null ? [...gpu[i], m.gpuMs] : null;
            cpu[i] = cpu[i] && m.cpuMs !== null ? [...cpu[i], m.cpuMs] : null;
          } catch (e) {
            failed.add(i);
            ctx.reportError?.(`${p.impl} ${name}: ${errorText(e)}`);
          }
        }
      }
      for (const [i, p] of ready.entries()) {
        if (failed.has(i)) continue;
        const g = gpu[i];
        const cpuMs = cpu[i];
        const perCpu: Record<string, number> = cpuMs && cpuMs.length > 0 ? { gflopPerCpuS: Number((p.flop / median(cpuMs) / 1e6).toPrecision(4)) } : {};
        const gpuWork = work[i].perCall();
        rows.push({
          suite: 'matmul',
          case: name,
          impl: p.impl,
          unit: 'GFLOP/s',
          value: p.flop / median(wall[i]) / 1e6,
          samplesMs: wall[i],
          ...(g && g.length === wall[i].length ? { gpuSamplesMs: g } : {}),
          size: c.m,
          ...(gpuWork ? { gpuWork } : {}),
          extra: { ...p.extra, ...perCpu },
        });
      }
    } finally {
      for (const p of ready) p.dispose();
      ceiling.out.dispose();
      ta.dispose();
      tb.dispose();
    }
    progressDone += caseWeight(c);
  }
  return rows;
};

/** The engine's fixed-table kernel choice for a case, for the report's `extra` column. */
function planExtra(rt: Runtime, c: MatmulCase): Record<string, string | number> {
  const p = planMatmul(rt, { m: c.m, n: c.n, k: c.k, transA: !!c.transA, transB: !!c.transB }, matmulTuning(rt));
  return { kernel: p.entry, WG: p.WG, TM: p.TM, ...p.overrides };
}

/** A tuned blocking, for the report's `extra` column. */
function blockingExtra(b: MatmulBlocking): Record<string, string | number> {
  const out: Record<string, string | number> = { kernel: `matmul_${b.kernel}`, WG: b.WG, TM: b.TM };
  if (b.WG_Y !== undefined) out.WG_Y = b.WG_Y;
  if (b.BK !== undefined) out.BK = b.BK;
  if (b.spec) out.spec = 'yes';
  return out;
}

/**
 * The tuner of the `engine-tuned` row: `WEBGPU_TUNE` (Node) or `auto`, the default cache, detached
 * from the runtime so the other rows and suites keep the fixed tables. Null in a tiny run (tests of
 * the bench itself must not spend seconds timing) or when `WEBGPU_TUNE=fixed`.
 */
async function benchTuner(rt: Runtime, ctx: Pick<BenchContext, 'tiny' | 'log'>): Promise<Tuner | null> {
  if (ctx.tiny) return null;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const mode = (env?.WEBGPU_TUNE || 'auto') as TuneMode;
  if (mode === 'fixed') return null;
  const tuner = await createTuner(rt, { mode });
  ctx.log(`matmul: tuner in ${mode} mode, cache ${tuner.store?.where ?? 'none'}`);
  return tuner;
}
