/**
 * Timing of GPU work: warm up, then take `samples` samples of `iters` iterations each, timing wall
 * clock from the first dispatch to `onSubmittedWorkDone` (no readback inside the timed region).
 * Returns milliseconds per iteration for every sample.
 */
import type { Runtime } from '../engine/index';

/** Options of {@link timeGpu}. */
export interface TimeOptions {
  samples: number;
  /** Iterations per sample (recorded into one batch unless `submitEach`). */
  iters?: number;
  warmup?: number;
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `step` (which records GPU work into the runtime's batch) and returns ms per iteration for
 * each sample. The batch is submitted once per sample, so per-submit overhead is amortized as a
 * training loop would amortize it.
 */
export async function timeGpu(rt: Runtime, step: () => void, opts: TimeOptions): Promise<number[]> {
  const iters = opts.iters ?? 1;
  for (let i = 0; i < (opts.warmup ?? 2); i++) {
    step();
    await rt.sync();
  }
  const out: number[] = [];
  for (let s = 0; s < opts.samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) step();
    await rt.sync();
    out.push((performance.now() - t0) / iters);
  }
  return out;
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
