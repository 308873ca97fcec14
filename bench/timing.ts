/**
 * Timing of GPU work: warm up (which also compiles every pipeline the step uses), then take
 * `samples` samples of `iters` iterations each, all recorded into one batch and submitted once,
 * timing wall clock from the first dispatch to `onSubmittedWorkDone` (no readback inside the timed
 * region). When the device has `timestamp-query`, each sample is also bracketed by GPU timestamps
 * (bench/gpu-timer.ts), giving the GPU time of the same iterations.
 */
import type { Runtime } from '../engine/index';
import { GpuTimer } from './gpu-timer';

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
    const t0 = performance.now();
    this.timer?.begin();
    for (let i = 0; i < iters; i++) step();
    this.timer?.end();
    await this.rt.sync();
    const wallMs = (performance.now() - t0) / iters;
    const ms = this.timer ? await this.timer.read() : null;
    return { wallMs, gpuMs: ms === null || ms < MIN_GPU_SPAN_MS ? null : ms / iters };
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
  try {
    for (let s = 0; s < opts.samples; s++) {
      const m = await sampler.sample(step, iters);
      wallMs.push(m.wallMs);
      gpuMs = gpuMs && m.gpuMs !== null ? [...gpuMs, m.gpuMs] : null;
    }
  } finally {
    sampler.destroy();
  }
  return { wallMs, gpuMs };
}

/**
 * The shortest sample whose GPU timestamps are trusted, in ms. Dawn and Chrome quantize timestamps
 * (Dawn to 2^16 ns ≈ 0.066 ms, Chrome to 0.1 ms without developer features), so a shorter sample
 * could be off by several percent; then the measurement keeps only the wall clock. Suites reach
 * longer samples by recording more iterations per sample ({@link itersFor}).
 */
export const MIN_GPU_SPAN_MS = 5;

const gpuSamples = new WeakMap<readonly number[], number[]>();

/**
 * Times `step` and returns wall-clock ms per iteration for each sample (see {@link measureGpu}).
 * The GPU-timestamp samples of the same run stay attached to the returned array: a suite that puts
 * this array in a row's `samplesMs` gets them reported by the harness ({@link gpuSamplesOf}).
 */
export async function timeGpu(rt: Runtime, step: () => void, opts: TimeOptions): Promise<number[]> {
  const m = await measureGpu(rt, step, opts);
  if (m.gpuMs) gpuSamples.set(m.wallMs, m.gpuMs);
  return m.wallMs;
}

/** The GPU-timestamp samples measured together with an array {@link timeGpu} returned, if any. */
export function gpuSamplesOf(wallMs: readonly number[]): number[] | undefined {
  return gpuSamples.get(wallMs);
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

/** Times an async function that does its own synchronization (peers: tfjs, jax-js). */
export async function timeAsync(fn: () => Promise<void>, opts: TimeOptions): Promise<number[]> {
  const iters = opts.iters ?? 1;
  for (let i = 0; i < (opts.warmup ?? 2); i++) await fn();
  const out: number[] = [];
  for (let s = 0; s < opts.samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await fn();
    out.push((performance.now() - t0) / iters);
  }
  return out;
}
