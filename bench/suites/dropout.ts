/**
 * The dropout suite: one forward and one backward pass of fused dropout (engine/ops/dropout.ts,
 * keep probability 0.5, inverted scaling) over n floats, against the adapter's streaming ceiling
 * measured in the same run (shaders/bandwidth.wgsl):
 *   engine        dropoutForward(x) then dropoutBackward(dy): two dispatches, the mask drawn in the
 *                 shader both times and never stored;
 *   engine-mask   the same with `returnMask` on the forward pass (the demo/test variant);
 *   tfjs-webgpu   the way tfjs does dropout: `tf.dropout(x, rate, undefined, seed)` (its mask comes
 *                 from `tf.randomUniform`, drawn by tfjs on the CPU and uploaded), with the backward
 *                 pass from tfjs's autodiff, `tf.valueAndGrad(f)(x, dy)`: y and dx in one call;
 *   jax-js        the way JAX code does dropout: `random.bernoulli(key, keep, shape)` and
 *                 `np.where(keep, x / p, 0)`, the backward pass from `vjp`, all in one jitted
 *                 function returning y and dx, with a fresh key per call;
 *   ceiling-copy  y = x over vec4s: the traffic of one dropout pass with no arithmetic;
 *   ceiling-axpy  y ← a·x + y over vec4s.
 * Unit: GB/s of the minimum traffic, counted honestly: a dropout pass reads n floats and writes n
 * (8 bytes per element), so forward + backward is 16 bytes per element and the mask variant 20;
 * copy is 8 and axpy 12. The target is engine ≥ 80% of ceiling-copy. `extra` says how many
 * bytes of mask each variant stores. The peers are counted with the same 16 bytes per element (what
 * the result requires, not what their kernels move), so every GB/s figure is the same work over
 * time. Implementations are sampled in turn, round after round, so a change in the load of the
 * shared CPUs that run a software adapter hits all of them alike. Every row's GPU work (submits and
 * dispatches per call) is counted while it is sampled (bench/gpu-work.ts).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { grid1d, type Runtime, type Tensor } from '../../engine/index';
import { dropoutBackward, dropoutForward } from '../../engine/ops/dropout';
import { GpuWorkTally, type GpuWork } from '../gpu-work';
import { useBenchKernels } from '../kernels';
import { jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { itersFor, measureGpu, median, sampleCalls } from '../timing';
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { uniformValues } from '../data';

const KEEP = 0.5;
const SEED = 1234;
const WG = 256;
/** vec4s per invocation of the ceiling kernels (see shaders/bandwidth.wgsl). */
const VEC4S = 4;
/** Target length of one sample: long enough to amortize submits and the timestamps' resolution. */
const TARGET_MS = 60;

/** One implementation, ready to be sampled. */
interface Impl {
  impl: string;
  bytesPerElement: number;
  extra: Record<string, number | string>;
  step: () => void;
  iters: number;
}

/** One sample of an implementation: wall (and GPU) ms per call, and the GPU work it made. */
interface Sample {
  wallMs: number;
  gpuMs: number | null;
  work: GpuWork;
}

/** A peer, built and warmed up: samples `iters` calls at a time. */
interface PeerImpl {
  impl: string;
  extra: Record<string, number | string>;
  iters: number;
  sample(): Promise<Sample>;
  dispose(): void;
}

/** A peer's dropout, forward and backward in one call, and how to wait for it. */
interface PeerDropout {
  call(): void;
  sync(): Promise<void>;
  /** Frees what the calls of a sample kept alive (after the clock has stopped). */
  afterSample?(): void;
  dispose(): void;
}

/** tfjs: `tf.dropout` (mask from `tf.randomUniform`), backward by `tf.valueAndGrad` with dy. */
function tfjsDropout(tf: typeof TF, xs: Float32Array<ArrayBuffer>, dys: Float32Array<ArrayBuffer>): PeerDropout {
  const x = tf.tensor1d(xs);
  const dy = tf.tensor1d(dys);
  let seed = SEED;
  const f = tf.valueAndGrad((t: TF.Tensor) => tf.dropout(t, 1 - KEEP, undefined, ++seed));
  return {
    call: () => {
      const { value, grad } = f(x, dy);
      value.dispose();
      grad.dispose();
    },
    sync: () => tfjsSync(tf),
    dispose: () => tf.dispose([x, dy]),
  };
}

/** jax-js: `random.bernoulli` + `np.where(keep, x / p, 0)`, backward by `vjp`, jitted; a new key per call. */
function jaxDropout(jax: typeof Jax, xs: Float32Array<ArrayBuffer>, dys: Float32Array<ArrayBuffer>): PeerDropout {
  const { numpy: np, random } = jax;
  const x = np.array(xs);
  const dy = np.array(dys);
  const n = xs.length;
  const f = jax.jit((xa: Jax.Array, dya: Jax.Array, key: Jax.Array) => {
    const dropout = (t: Jax.Array) => np.where(random.bernoulli(key, KEEP, [n]), t.div(KEEP), 0);
    const [y, back] = jax.vjp(dropout, [xa]);
    const [dx] = back(dya);
    back.dispose();
    return [y, dx] as [Jax.Array, Jax.Array];
  });
  let outs: Jax.Array[] = [];
  let k = SEED;
  return {
    call: () => {
      outs.push(...f(x.ref, dy.ref, random.key(++k)));
    },
    sync: async () => {
      await jax.blockUntilReady(outs);
    },
    afterSample: () => {
      for (const o of outs) o.dispose();
      outs = [];
    },
    dispose: () => {
      x.dispose();
      dy.dispose();
      f.dispose();
    },
  };
}

/** Builds and warms up a peer, and sizes its samples to about {@link TARGET_MS}. */
async function preparePeer(device: GPUDevice, impl: string, d: PeerDropout): Promise<PeerImpl> {
  const once = async (iters: number): Promise<Sample> => {
    const m = await sampleCalls(device, iters, async () => {
      for (let i = 0; i < iters; i++) d.call();
      await d.sync();
    });
    d.afterSample?.();
    return { ...m, gpuMs: null };
  };
  await once(1);
  const ms = (await once(1)).wallMs;
  const iters = Math.max(1, Math.min(200, Math.round(TARGET_MS / Math.max(ms, 1e-3))));
  return { impl, extra: { 'forward + backward': 'one call (y and dx)' }, iters, sample: () => once(iters), dispose: () => d.dispose() };
}

/** Deterministic values in [−1, 1) (benchmark data only). */
function values(n: number, seed: number): Float32Array<ArrayBuffer> {
  return uniformValues(n, seed, -1, 1);
}

function impls(rt: Runtime, n: number, x: Tensor, dy: Tensor, y: Tensor): Omit<Impl, 'iters'>[] {
  let offset = 0;
  const key = () => ({ keepProb: KEEP, seed: SEED, offset: offset++, scale: 'inverted' as const });
  const bandwidth = (entry: 'copy' | 'axpy') => () =>
    rt.dispatch({
      shader: 'bandwidth',
      entry,
      overrides: { WG, V: VEC4S },
      uniforms: { n4: n / 4, a: 0.5 },
      bindings: { x, y },
      workgroups: grid1d(Math.ceil(n / 4 / VEC4S), WG),
    });
  return [
    {
      impl: 'engine',
      bytesPerElement: 16,
      extra: { 'mask bytes stored': 0, dispatches: 2 },
      step: () => {
        const k = key();
        const out = dropoutForward(x, k).y;
        const dx = dropoutBackward(dy, k);
        out.dispose();
        dx.dispose();
      },
    },
    {
      impl: 'engine-mask',
      bytesPerElement: 20,
      extra: { 'mask bytes stored': 4 * n, dispatches: 2 },
      step: () => {
        const k = key();
        const { y: out, mask } = dropoutForward(x, { ...k, returnMask: true });
        const dx = dropoutBackward(dy, k);
        out.dispose();
        mask?.dispose();
        dx.dispose();
      },
    },
    { impl: 'ceiling-copy', bytesPerElement: 8, extra: { dispatches: 1 }, step: bandwidth('copy') },
    { impl: 'ceiling-axpy', bytesPerElement: 12, extra: { dispatches: 1 }, step: bandwidth('axpy') },
  ];
}

/** The peers: each loaded once per run; one that cannot start is reported and left out. */
const PEERS: { impl: string; make(xs: Float32Array<ArrayBuffer>, dys: Float32Array<ArrayBuffer>): Promise<PeerDropout> }[] = [
  { impl: 'tfjs-webgpu', make: async (xs, dys) => tfjsDropout(await tfjsPeer(), xs, dys) },
  { impl: 'jax-js', make: async (xs, dys) => jaxDropout(await jaxPeer(), xs, dys) },
];

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function measureCase(ctx: BenchContext, n: number, failedPeers: Set<string>, withPeers: boolean, progress: (s: number) => void): Promise<BenchRow[]> {
  const rt = ctx.rt;
  const xs = values(n, 1);
  const dys = values(n, 2);
  const x = rt.tensor(xs);
  const dy = rt.tensor(dys);
  const y = rt.tensor(values(n, 3));
  const list: PeerImpl[] = [];
  try {
    for (const i of impls(rt, n, x, dy, y)) {
      const iters = await itersFor(rt, i.step, TARGET_MS, 200);
      let first = true;
      list.push({
        impl: i.impl,
        extra: { ...i.extra, 'bytes/element': i.bytesPerElement },
        iters,
        sample: async () => {
          const m = await measureGpu(rt, i.step, { samples: 1, iters, warmup: first ? 1 : 0 });
          first = false;
          return { wallMs: m.wallMs[0], gpuMs: m.gpuMs?.[0] ?? null, work: m.work };
        },
        dispose: () => {},
      });
    }
    for (const p of withPeers ? PEERS : []) {
      if (failedPeers.has(p.impl)) continue;
      try {
        list.push(await preparePeer(rt.device, p.impl, await p.make(xs, dys)));
      } catch (e) {
        failedPeers.add(p.impl);
        ctx.reportError?.(`${p.impl}: ${errorText(e)}`);
      }
    }
    const bytes = new Map(impls(rt, n, x, dy, y).map((i) => [i.impl, i.bytesPerElement]));
    const wall = list.map(() => [] as number[]);
    const gpu = list.map(() => [] as number[]);
    const work = list.map(() => new GpuWorkTally());
    const failed = new Set<number>();
    for (let s = 0; s < ctx.samples; s++) {
      progress(s);
      for (const [k, impl] of list.entries()) {
        if (failed.has(k)) continue;
        try {
          const m = await impl.sample();
          wall[k].push(m.wallMs);
          if (m.gpuMs !== null) gpu[k].push(m.gpuMs);
          work[k].add(m.work, impl.iters);
        } catch (e) {
          failed.add(k);
          ctx.reportError?.(`${impl.impl} n=${n}: ${errorText(e)}`);
        }
      }
    }
    // GPU time only if every engine-side implementation has it, so that the ratios to the ceilings
    // use one clock (the peers have only the wall clock; their ratios fall back to it).
    const allGpu = list.every((impl, k) => !bytes.has(impl.impl) || gpu[k].length === wall[k].length);
    return list.flatMap((impl, k) => {
      if (failed.has(k)) return [];
      const perElement = bytes.get(impl.impl) ?? 16;
      const value = (perElement * n) / 1e6 / median(wall[k]);
      ctx.log(`  dropout n=${n} ${impl.impl}: ${value.toFixed(3)} GB/s`);
      const w = work[k].perCall();
      const row: BenchRow = {
        suite: 'dropout',
        case: `n=${n}`,
        impl: impl.impl,
        unit: 'GB/s',
        value,
        samplesMs: wall[k],
        size: n,
        extra: bytes.has(impl.impl) ? impl.extra : { ...impl.extra, 'bytes/element': perElement },
        ...(w ? { gpuWork: w } : {}),
      };
      return [allGpu && bytes.has(impl.impl) ? { ...row, gpuSamplesMs: gpu[k] } : row];
    });
  } finally {
    for (const p of list) p.dispose();
    x.dispose();
    dy.dispose();
    y.dispose();
  }
}

/**
 * The suite (see the file's comment), with or without the peers (bench/dropout-cli.ts leaves them
 * out unless asked, to measure the kernel against its ceilings quickly). Sizes: elements, rounded up
 * to a multiple of 4 (default 2^22; 2^12 with `--tiny`).
 */
export const makeDropoutSuite =
  (opts: { peers?: boolean } = {}): BenchSuite =>
  async (ctx) => {
    await useBenchKernels(ctx.rt);
    const sizes = (ctx.sizes ?? (ctx.tiny ? [1 << 12] : [1 << 22])).map((s) => Math.max(4, Math.ceil(s / 4) * 4));
    const rows: BenchRow[] = [];
    const failedPeers = new Set<string>();
    for (const [c, n] of sizes.entries()) {
      ctx.log(`dropout n=${n}: forward + backward, keep ${KEEP}, engine, tfjs-webgpu, jax-js, vs copy and axpy ceilings`);
      rows.push(...(await measureCase(ctx, n, failedPeers, opts.peers ?? true, (s) => ctx.progress?.(c * ctx.samples + s, sizes.length * ctx.samples))));
    }
    return rows;
  };

/** The suite with every implementation: engine, engine-mask, tfjs-webgpu, jax-js and the ceilings. */
export const dropoutSuite: BenchSuite = makeDropoutSuite();
