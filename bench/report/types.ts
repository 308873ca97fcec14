/**
 * The benchmark report: what one run measured (the suites' rows, as they returned them) and what
 * the harness derives from it (each row's figure on its best clock, spread, speed-ups over the other
 * implementations of the same case, fraction of the adapter's ceiling). The JSON file a run writes
 * is exactly this object; bench/report/schema.json documents it and bench/report/validate.ts checks it.
 */
import type { AdapterDescription } from '../../engine/index';
import type { BenchRow } from '../types';

/** The version of the report format (bump when the schema changes incompatibly). */
export const REPORT_SCHEMA_VERSION = 1;

/** A clock: GPU timestamp queries, or wall time to `onSubmittedWorkDone` (or the peer's own sync). */
export type Clock = 'gpu' | 'wall';

/** A figure on one clock: the median and the spread of the samples, in the row's unit. */
export interface Figure {
  clock: Clock;
  median: number;
  /** The worst sample (lowest throughput, or longest time). */
  worst: number;
  /** The best sample. */
  best: number;
}

/** A row of the report: the suite's row plus what the harness derived from it. */
export interface ReportRow extends BenchRow {
  /** The row's figure on the best clock it has (GPU timestamps when present, else wall). */
  figure: Figure;
  /** The figure on the wall clock (always present: every implementation has it). */
  wall: Figure;
  /**
   * Speed-up over each other implementation of the same suite and case (ceilings excluded): above 1
   * means this row is faster. Compared on GPU timestamps when both rows have them, else on wall time.
   */
  speedup: Record<string, number>;
  /** Fraction of the adapter's measured ceiling of the row's unit (GFLOP/s: ceiling-fma; GB/s: the best of ceiling-copy, ceiling-axpy). */
  ofCeiling?: number;
}

/** A suite that threw: the run goes on, the report says so. */
export interface SuiteError {
  suite: string;
  message: string;
}

/** One benchmark run. */
export interface BenchReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** ISO 8601 time the run started. */
  createdAt: string;
  /** Where it ran: Node (Dawn) or a browser (navigator.gpu). */
  host: 'node' | 'browser';
  /** `Node v20.x (Dawn, npm webgpu)` or the browser's user agent. */
  runtime: string;
  adapter: AdapterDescription;
  /** Whether GPU timestamp queries were available (else every figure is wall time). */
  timestampQuery: boolean;
  options: {
    suites: string[];
    samples: number;
    tiny: boolean;
    /** The large default sizes (`--full`). */
    full?: boolean;
    /** Sizes asked for, per suite name (`*`: every suite without its own entry). */
    sizes?: Record<string, number[]>;
  };
  /** The measured ceilings (the best `ceiling-*` row of each unit). */
  ceilings: { 'GFLOP/s'?: number; 'GB/s'?: number };
  rows: ReportRow[];
  errors: SuiteError[];
  durationMs: number;
}
