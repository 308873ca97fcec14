/**
 * The contract between benchmark suites and the harness (bench/): a suite measures one kernel or
 * step for several implementations side by side, in one run, on one adapter, and returns rows.
 * The same suites run in Node (Dawn) and in the browser; they must not import Node-only modules.
 */
import type { Runtime } from '../engine/index';
import type { RowGpuWork } from './gpu-work';

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
  /**
   * GPU time per iteration from timestamp queries, one per sample, when the adapter has
   * `timestamp-query` and the work went through the engine's runtime. The harness fills it in for
   * rows whose `samplesMs` came from `timeGpu` (bench/timing.ts).
   */
  gpuSamplesMs?: number[];
  /** The case's size for charts (x axis), e.g. N of an N×N matmul; default: the first number in `case`. */
  size?: number;
  /**
   * Submits and dispatches per call counted at the WebGPU prototypes while the row was sampled
   * (bench/gpu-work.ts), for the engine and the peers alike: zero dispatches means the work ran
   * elsewhere (a CPU fallback). The harness fills it in for rows timed by bench/timing.ts helpers.
   */
  gpuWork?: RowGpuWork;
}

/** What a suite gets from the harness. */
export interface BenchContext {
  rt: Runtime;
  /** Samples per measurement (at least 5). */
  samples: number;
  /** Small sizes for tests of the harness itself. */
  tiny: boolean;
  /** `--full`: the large default sizes (a run of an hour on a software adapter) instead of the quick defaults. */
  full?: boolean;
  /** A progress line (the harness prints it). */
  log(message: string): void;
  /**
   * Sizes asked for on the command line (`--sizes=256,1024`); what a size means is the suite's
   * choice (matmul: N of N×N×N). Undefined: the suite's default sizes.
   */
  sizes?: readonly number[];
  /**
   * Records a failure of one implementation without failing the suite (e.g. a peer that could not
   * start): the report lists it, the other implementations' rows are kept. Given by the harness.
   */
  reportError?(message: string): void;
  /**
   * How far the suite is, in its own units of work (e.g. samples weighted by the size of their
   * case): `done` of `total`. The harness turns it into the estimate of the time left. Optional to call.
   */
  progress?(done: number, total: number): void;
}

/** A benchmark suite. */
export type BenchSuite = (ctx: BenchContext) => Promise<BenchRow[]>;
