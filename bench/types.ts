/**
 * The contract between benchmark suites and the harness (bench/): a suite measures one kernel or
 * step for several implementations side by side, in one run, on one adapter, and returns rows.
 * The same suites run in Node (Dawn) and in the browser; they must not import Node-only modules.
 */
import type { Runtime } from '../engine/index';

/** Units a row is quoted in: throughput (higher is better) or time per step (lower is better). */
export type BenchUnit = 'GFLOP/s' | 'GB/s' | 'ms';

/** One measured implementation of one case. */
export interface BenchRow {
  /** The suite, e.g. `matmul`. */
  suite: string;
  /** The case within the suite, e.g. `1024x1024x1024`; rows with the same suite and case are compared. */
  case: string;
  /** Who ran it: `engine`, `naive`, `per-tensor`, `tfjs-webgpu`, `jax-js`, `ceiling-fma`, `ceiling-copy`, ... */
  impl: string;
  unit: BenchUnit;
  /** Median over samples, in `unit`. */
  value: number;
  /** Every sample, in milliseconds per iteration. */
  samplesMs: number[];
  /** Anything else worth printing: dispatches and submits per step, bytes of mask stored, ... */
  extra?: Record<string, number | string>;
}

/** What a suite gets from the harness. */
export interface BenchContext {
  rt: Runtime;
  /** Samples per measurement (at least 5). */
  samples: number;
  /** Small sizes for tests of the harness itself. */
  tiny: boolean;
  /** A progress line (the harness prints it). */
  log(message: string): void;
}

/** A benchmark suite. */
export type BenchSuite = (ctx: BenchContext) => Promise<BenchRow[]>;
