/**
 * The dropout suite: one forward and one backward pass of fused dropout (engine/ops/dropout.ts,
 * keep probability 0.5, inverted scaling) over n floats, against the adapter's streaming ceiling
 * measured in the same run (shaders/bandwidth.wgsl):
 *   engine        dropoutForward(x) then dropoutBackward(dy): two dispatches, the mask drawn in the
 *                 shader both times and never stored;
 *   engine-mask   the same with `returnMask` on the forward pass (the demo/test variant);
 *   ceiling-copy  y = x over vec4s: the traffic of one dropout pass with no arithmetic;
 *   ceiling-axpy  y ← a·x + y over vec4s.
 * Unit: GB/s of the minimum traffic, counted honestly: a dropout pass reads n floats and writes n
 * (8 bytes per element), so forward + backward is 16 bytes per element and the mask variant 20;
 * copy is 8 and axpy 12. The target is engine ≥ 80% of ceiling-copy. `extra` says how many
 * bytes of mask each variant stores. Implementations are sampled in turn, round after round, so a
 * change in the load of the shared CPUs that run a software adapter hits all of them alike.
 */
import { grid1d, type Runtime, type Tensor } from '../../engine/index';
import { dropoutBackward, dropoutForward } from '../../engine/ops/dropout';
import { itersFor, measureGpu, median } from '../timing';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

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

/** Deterministic values in [−1, 1) (an LCG; benchmark data only). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1);
}

function impls(rt: Runtime, n: number, x: Tensor, dy: Tensor, y: Tensor): Omit<Impl, 'iters'>[] {
  let offset = 0;
  const key = () => ({ keepProb: KEEP, seed: SEED, offset: offset++, scale: 'inverted' as const });
  const bandwidth = (entry: 'copy' | 'axpy') => () =>
    rt.dispatch({ shader: 'bandwidth', entry, overrides: { WG, V: VEC4S }, uniforms: { n4: n / 4, a: 0.5 }, bindings: { x, y }, workgroups: grid1d(Math.ceil(n / 4 / VEC4S), WG) });
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

async function measureCase(ctx: BenchContext, n: number): Promise<BenchRow[]> {
  const rt = ctx.rt;
  const x = rt.tensor(values(n, 1));
  const dy = rt.tensor(values(n, 2));
  const y = rt.tensor(values(n, 3));
  try {
    const list: Impl[] = [];
    for (const i of impls(rt, n, x, dy, y)) list.push({ ...i, iters: await itersFor(rt, i.step, TARGET_MS, 200) });
    const wall = list.map(() => [] as number[]);
    const gpu = list.map(() => [] as number[]);
    for (let s = 0; s < ctx.samples; s++) {
      for (const [k, impl] of list.entries()) {
        const m = await measureGpu(rt, impl.step, { samples: 1, iters: impl.iters, warmup: s === 0 ? 1 : 0 });
        wall[k].push(m.wallMs[0]);
        if (m.gpuMs) gpu[k].push(m.gpuMs[0]);
      }
    }
    // GPU time only if every implementation has it, so that the ratios to the ceilings use one clock.
    const allGpu = gpu.every((g, k) => g.length === wall[k].length);
    return list.map((impl, k) => {
      const value = (impl.bytesPerElement * n) / 1e6 / median(wall[k]);
      ctx.log(`  dropout n=${n} ${impl.impl}: ${value.toFixed(3)} GB/s`);
      const row: BenchRow = {
        suite: 'dropout',
        case: `n=${n}`,
        impl: impl.impl,
        unit: 'GB/s',
        value,
        samplesMs: wall[k],
        size: n,
        extra: { ...impl.extra, 'bytes/element': impl.bytesPerElement },
      };
      return allGpu ? { ...row, gpuSamplesMs: gpu[k] } : row;
    });
  } finally {
    x.dispose();
    dy.dispose();
    y.dispose();
  }
}

/** The suite (see the file's comment). Sizes: elements, rounded up to a multiple of 4 (default 2^22; 2^12 with `--tiny`). */
export const dropoutSuite: BenchSuite = async (ctx) => {
  const sizes = (ctx.sizes ?? (ctx.tiny ? [1 << 12] : [1 << 22])).map((s) => Math.max(4, Math.ceil(s / 4) * 4));
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    ctx.log(`dropout n=${n}: forward + backward, keep ${KEEP}, vs copy and axpy ceilings`);
    rows.push(...(await measureCase(ctx, n)));
  }
  return rows;
};
