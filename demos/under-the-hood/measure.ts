/**
 * The measurements behind the page, free of DOM: the step profiled kernel by kernel, each kernel
 * replayed alone, the adapter's two ceilings, and fused against unfused. Every time comes from one
 * clock, chosen once: GPU timestamps when the device has `timestamp-query`, else the wall clock
 * around submits that hold copies of a single dispatch.
 */
import { grid1d, type Profile, type ProfiledDispatch, type Runtime } from 'webgpu-regularization';
import { useBenchKernels } from '../../bench/kernels';
import { timeInterleaved, type Clock } from './clock';
import { kernelCost, type KernelCost } from './costs';
import type { MlpStep } from './step';

/** Which part of the step a dispatch belongs to. */
export type Phase = 'zero grads' | 'forward' | 'loss' | 'backward' | 'update';

/** One kernel of the step, measured. */
export interface KernelRow extends KernelCost {
  /** 1-based position in the step. */
  n: number;
  phase: Phase;
  dispatch: ProfiledDispatch;
  /** Mean GPU µs of this dispatch inside the step (its own pass, timestamps); null on the wall clock. */
  inStepUs: number | null;
  /** µs of the dispatch replayed alone (null until measured). */
  aloneUs: number | null;
}

/** Dispatches and submits per step, from the runtime's counters. */
export interface WorkCount {
  dispatches: number;
  submits: number;
}

/** The runtime's counters over `steps` calls of `step`, per step. */
export async function countWork(rt: Runtime, step: () => void, steps = 2): Promise<WorkCount> {
  await rt.sync();
  const w0 = rt.workStats();
  for (let i = 0; i < steps; i++) step();
  await rt.sync();
  const w1 = rt.workStats();
  return { dispatches: (w1.dispatches - w0.dispatches) / steps, submits: (w1.submits - w0.submits) / steps };
}

function phases(ds: readonly ProfiledDispatch[]): Phase[] {
  const loss = ds.findIndex((d) => d.entry === 'xent_reduce');
  return ds.map((d, i) => {
    if (d.file.endsWith('update_chain.wgsl')) return 'update';
    if (i === 0 && d.entry === 'fill') return 'zero grads';
    if (d.file.endsWith('softmax_xent.wgsl') && (i === loss || i === loss + 1)) return 'loss';
    return loss < 0 || i < loss ? 'forward' : 'backward';
  });
}

/** The step's profile: the first profile's records with in-step times averaged over `steps` profiles. */
export interface StepProfile {
  rows: KernelRow[];
  /** Kept for replays; dispose when done. */
  profile: Profile;
}

/** Profiles `steps` steps; times only when `clock` is `timestamp`. */
export async function profileStep(rt: Runtime, s: MlpStep, clock: Clock, steps: number): Promise<StepProfile> {
  const timestamps = clock === 'timestamp';
  const first = await rt.profile(() => s.step(), { replayable: true, timestamps });
  const sums = first.dispatches.map((d) => d.gpuNs ?? 0);
  for (let k = 1; timestamps && k < steps; k++) {
    const p = await rt.profile(() => s.step(), { timestamps });
    if (p.dispatches.length !== sums.length) throw new Error(`profile: step ${k} recorded ${p.dispatches.length} dispatches, the first ${sums.length}`);
    p.dispatches.forEach((d, i) => (sums[i] += d.gpuNs ?? 0));
    p.dispose();
  }
  const ph = phases(first.dispatches);
  const rows = first.dispatches.map(
    (d, i): KernelRow => ({
      ...kernelCost(d),
      n: i + 1,
      phase: ph[i],
      dispatch: d,
      inStepUs: timestamps ? sums[i] / steps / 1e3 : null,
      aloneUs: null,
    }),
  );
  return { rows, profile: first };
}

/** Replays dispatch `index` of `profile` alone on `clock`; µs per run. */
export async function replayUs(profile: Profile, index: number, clock: Clock): Promise<number> {
  return (await profile.replay(index, { clock, samples: 3, targetMs: 5 })) / 1e3;
}

/** The adapter's ceilings, measured with the same clock as the kernels. */
export interface Ceilings {
  peakGflops: number;
  bandwidthGBs: number;
}

/**
 * Vec4s per invocation tried for the copy ceiling: the best differs by adapter (the engine's update
 * kernels are tuned to 16 on SwiftShader, 2 on lavapipe, 1 on GPUs), and a ceiling is only honest
 * if it is the fastest streaming kernel at hand.
 */
const COPY_VEC4S = [1, 4, 16];

/**
 * Runs the FMA-peak kernel (shaders/fma_peak.wgsl) and the copy kernel (shaders/bandwidth.wgsl, at
 * two sizes and three shapes), replayed alone like the step's kernels. Small sizes on a software adapter.
 */
export async function measureCeilings(rt: Runtime, clock: Clock): Promise<Ceilings> {
  // The ceilings are the bench's kernels, which the library does not ship.
  await useBenchKernels(rt);
  const soft = rt.info.isFallbackAdapter;
  const fmaGroups = soft ? 64 : 4096;
  const iters = soft ? 256 : 2048;
  const out = rt.empty([fmaGroups * 64]);
  const n = soft ? 1 << 20 : 1 << 24;
  const x = rt.empty([n]);
  const y = rt.empty([n]);
  const timestamps = clock === 'timestamp';
  const p = await rt.profile(
    () => {
      rt.dispatch({
        shader: 'fma_peak',
        entry: 'fma_peak',
        overrides: { WG: 64 },
        uniforms: { iters, seed: 0.5 },
        bindings: { out },
        workgroups: grid1d(fmaGroups * 64, 64),
      });
      for (const m of [n, n / 4]) {
        for (const v of COPY_VEC4S) {
          rt.dispatch({
            shader: 'bandwidth',
            entry: 'copy',
            overrides: { WG: 256, V: v },
            uniforms: { n4: m / 4, a: 1 },
            bindings: { x, y },
            workgroups: grid1d(Math.ceil(m / 4 / v), 256),
          });
        }
      }
    },
    { replayable: true, timestamps },
  );
  try {
    const costs = p.dispatches.map(kernelCost);
    // A ceiling is the best the adapter showed: the fastest sample, and for the copy the fastest
    // shape and working set (on a CPU-based adapter a smaller one can stay in cache, as the step's do).
    const best = (i: number): Promise<number> => p.replay(i, { clock, samples: 3, statistic: 'min', targetMs: soft ? 10 : 5 });
    const peakGflops = costs[0].flops / (await best(0));
    let bandwidthGBs = 0;
    for (let i = 1; i < costs.length; i++) bandwidthGBs = Math.max(bandwidthGBs, costs[i].bytes / (await best(i)));
    return { peakGflops, bandwidthGBs };
  } finally {
    p.dispose();
    for (const t of [out, x, y]) t.dispose();
  }
}

/** One fused-against-unfused comparison. */
export interface Comparison {
  what: string;
  fusedName: string;
  unfusedName: string;
  fused: WorkCount & { us: number };
  unfused: WorkCount & { us: number };
}

/** Measures each pair of {@link MlpStep} on `clock`: dispatches from the runtime's counters, time per call. */
export async function compareFusion(rt: Runtime, s: MlpStep, clock: Clock, onRow: (c: Comparison) => void): Promise<Comparison[]> {
  const hidden = s.hiddenElements.toLocaleString('en-US');
  const params = s.model.arena.params.length;
  const pairs: [string, string, () => void, string, () => void][] = [
    ['whole training step', 'everything fused (the engine)', s.step, 'every fusion below undone', s.stepUnfused],
    [`SGD + L2 update (${params} tensors)`, 'one dispatch over the arena', s.updateFused, 'one dispatch per tensor (stepPerTensor)', s.updatePerTensor],
    ['L2 penalty + update', 'chain(coupledL2, sgd): one dispatch', s.l2Chained, 'g += α·w as scale, add, copy per weight, then sgd', s.l2Separate],
    [
      `dropout forward (${hidden} activations)`,
      'fused: mask drawn in the kernel, never stored',
      s.dropoutFused,
      'mask drawn into a tensor, then multiply and scale',
      s.dropoutMaterialized,
    ],
  ];
  const out: Comparison[] = [];
  for (const [what, fusedName, fused, unfusedName, unfused] of pairs) {
    // Sampled in turn (timeInterleaved), each sample from the initial weights.
    const [fusedNs, unfusedNs] = await timeInterleaved(rt, [fused, unfused], clock, 5, s.reset);
    const c: Comparison = {
      what,
      fusedName,
      unfusedName,
      fused: { ...(await countWork(rt, fused, 1)), us: fusedNs / 1e3 },
      unfused: { ...(await countWork(rt, unfused, 1)), us: unfusedNs / 1e3 },
    };
    out.push(c);
    onRow(c);
  }
  return out;
}
