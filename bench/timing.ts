/**
 * Timing of GPU work: warm up (which also compiles every pipeline the step uses), then take
 * `samples` samples of `iters` iterations each, all recorded into one batch and submitted once,
 * timing wall clock from the first dispatch to `onSubmittedWorkDone` (no readback inside the timed
 * region). When the device has `timestamp-query`, each sample is also bracketed by GPU timestamps
 * (bench/gpu-timer.ts), giving the GPU time of the same iterations.
 */
import type { Runtime } from '../engine/index';
import { GpuTimer } from './gpu-timer';
import { countGpuWork, GpuWorkTally, type GpuWork, type RowGpuWork } from './gpu-work';

/** Options of {@link timeGpu}. */
export interface TimeOptions {
  samples: number;
  /** Iterations per sample, all recorded into one batch (one submit per sample). */
  iters?: number;
  warmup?: number;
}

/** Both clocks of one measurement: milliseconds per iteration, one entry per sample. */
export interface GpuSamples {
  /** Wall clock, first dispatch recorded to `onSubmittedWorkDone`. */
  wallMs: number[];
  /**
   * GPU timestamps around the same iterations; null without `timestamp-query`, or when a sample
   * was too short for the timestamps' resolution ({@link MIN_GPU_SPAN_MS}).
   */
  gpuMs: number[] | null;
  /** The GPU work of the timed samples (warm-up excluded), all samples together. */
  work: GpuWorkTally;
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One sample on both clocks, ms per iteration; `gpuMs` null when not measurable (see {@link GpuSamples}). */
export interface GpuSample {
  wallMs: number;
  gpuMs: number | null;
  /** The submits and dispatches the sample made, all iterations together (bench/gpu-work.ts). */
  work: GpuWork;
}

/**
 * Takes single samples of GPU work recorded through the runtime, on both clocks, so that a suite
 * can interleave the samples of several implementations (round after round, so that a change in
 * the machine's load hits all of them alike). Call {@link GpuSampler.destroy} when done.
 */
export class GpuSampler {
  private readonly timer: GpuTimer | null;

  constructor(private readonly rt: Runtime) {
    this.timer = GpuTimer.create(rt);
  }

  /** Records `iters` calls of `step`, submits, waits for the GPU, and returns ms per iteration. */
  async sample(step: () => void, iters: number): Promise<GpuSample> {
    const { result: wallMs, work } = await countGpuWork(this.rt.device, async () => {
      const t0 = performance.now();
      this.timer?.begin();
      for (let i = 0; i < iters; i++) step();
      this.timer?.end();
      await this.rt.sync();
      return (performance.now() - t0) / iters;
    });
    const ms = this.timer ? await this.timer.read() : null;
    return { wallMs, gpuMs: ms === null || ms < MIN_GPU_SPAN_MS ? null : ms / iters, work };
  }

  /** Frees the timer's query set and buffers. */
  destroy(): void {
    this.timer?.destroy();
  }
}

/**
 * Times `step` (which records GPU work into the runtime's batch) on both clocks. The batch is
 * submitted once per sample, so per-submit overhead is amortized as a training loop would amortize it.
 */
export async function measureGpu(rt: Runtime, step: () => void, opts: TimeOptions): Promise<GpuSamples> {
  const iters = opts.iters ?? 1;
  for (let i = 0; i < (opts.warmup ?? 2); i++) {
    step();
    await rt.sync();
  }
  const sampler = new GpuSampler(rt);
  const wallMs: number[] = [];
  let gpuMs: number[] | null = [];
  const tally = new GpuWorkTally();
  try {
    for (let s = 0; s < opts.samples; s++) {
      const m = await sampler.sample(step, iters);
      wallMs.push(m.wallMs);
      gpuMs = gpuMs && m.gpuMs !== null ? [...gpuMs, m.gpuMs] : null;
      tally.add(m.work, iters);
    }
  } finally {
    sampler.destroy();
  }
  return { wallMs, gpuMs, work: tally };
}

/**
 * The shortest sample whose GPU timestamps are trusted, in ms. Dawn and Chrome quantize timestamps
 * (Dawn to 2^16 ns ≈ 0.066 ms, Chrome to 0.1 ms without developer features), so a shorter sample
 * could be off by several percent; then the measurement keeps only the wall clock. Suites reach
 * longer samples by recording more iterations per sample ({@link itersFor}).
 */
export const MIN_GPU_SPAN_MS = 5;

const gpuSamples = new WeakMap<readonly number[], number[]>();
const gpuWorks = new WeakMap<readonly number[], RowGpuWork>();

/**
 * Times `step` and returns wall-clock ms per iteration for each sample (see {@link measureGpu}).
 * The GPU-timestamp samples of the same run stay attached to the returned array: a suite that puts
 * this array in a row's `samplesMs` gets them reported by the harness ({@link gpuSamplesOf}).
 */
export async function timeGpu(rt: Runtime, step: () => void, opts: TimeOptions): Promise<number[]> {
  const m = await measureGpu(rt, step, opts);
  if (m.gpuMs) gpuSamples.set(m.wallMs, m.gpuMs);
  const work = m.work.perCall();
  if (work) gpuWorks.set(m.wallMs, work);
  return m.wallMs;
}

/** The GPU-timestamp samples measured together with an array {@link timeGpu} returned, if any. */
export function gpuSamplesOf(wallMs: readonly number[]): number[] | undefined {
  return gpuSamples.get(wallMs);
}

/**
 * The GPU work counted while the samples of an array {@link timeGpu}, {@link timeAsync} or
 * {@link timeCalls} returned were taken; the harness puts it in the row's `gpuWork`.
 */
export function gpuWorkOf(wallMs: readonly number[]): RowGpuWork | undefined {
  return gpuWorks.get(wallMs);
}

/**
 * One sample of work that waits for itself (a peer library with its own queue): `run` makes
 * `calls` calls and waits until the GPU has finished them. Returns wall ms per call and the GPU
 * work counted meanwhile (bench/gpu-work.ts); `device` only serves to find the prototypes to wrap.
 */
export async function sampleCalls(device: GPUDevice, calls: number, run: () => Promise<void>): Promise<{ wallMs: number; work: GpuWork }> {
  const { result: wallMs, work } = await countGpuWork(device, async () => {
    const t0 = performance.now();
    await run();
    return (performance.now() - t0) / calls;
  });
  return { wallMs, work };
}

/**
 * `samples` samples of `calls` calls each (see {@link sampleCalls}): wall ms per call, one entry per
 * sample, with the GPU work attached for the harness ({@link gpuWorkOf}).
 */
export async function timeCalls(device: GPUDevice, samples: number, calls: number, run: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const tally = new GpuWorkTally();
  for (let s = 0; s < samples; s++) {
    const m = await sampleCalls(device, calls, run);
    out.push(m.wallMs);
    tally.add(m.work, calls);
  }
  const work = tally.perCall();
  if (work) gpuWorks.set(out, work);
  return out;
}

/**
 * Iterations per sample so that one sample lasts about `targetMs` (at least 1, at most `max`),
 * from one timed run of `step` after a warm-up: enough dispatches per submit that submit and
 * synchronization overhead are amortized, without making tiny cases take forever.
 */
export async function itersFor(rt: Runtime, step: () => void, targetMs: number, max = 1000): Promise<number> {
  step();
  await rt.sync();
  const t0 = performance.now();
  step();
  await rt.sync();
  const ms = Math.max(performance.now() - t0, 1e-3);
  return Math.max(1, Math.min(max, Math.round(targetMs / ms)));
}

/**
 * Times an async function that does its own synchronization (peers: tfjs, jax-js), counting the GPU
 * work of the timed samples ({@link gpuWorkOf}); `device` serves to find the prototypes to wrap.
 */
export async function timeAsync(device: GPUDevice, fn: () => Promise<void>, opts: TimeOptions): Promise<number[]> {
  const iters = opts.iters ?? 1;
  for (let i = 0; i < (opts.warmup ?? 2); i++) await fn();
  return timeCalls(device, opts.samples, iters, async () => {
    for (let i = 0; i < iters; i++) await fn();
  });
}
