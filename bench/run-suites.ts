/**
 * Runs the selected suites on one runtime and builds the report. Shared by the Node CLI and the
 * browser page, so it imports nothing Node-only. A suite that throws is recorded in the report's
 * `errors` and the run goes on with the next suite.
 */
import { ArgumentError, type Runtime } from '../engine/index';
import { sizesFor, type SizeSpec } from './cli-args';
import { analyzeRows } from './report/analyze';
import { REPORT_SCHEMA_VERSION, type BenchReport, type SuiteError } from './report/types';
import { selectSuites, SUITES, type SuiteInfo } from './suites/index';
import { gpuSamplesOf } from './timing';
import type { BenchContext, BenchRow } from './types';

/** Options of {@link runSuites}. */
export interface RunOptions {
  /** Suite names (default: every suite of the registry). */
  suites?: readonly string[];
  /** Samples per measurement, at least 5 (default 7). */
  samples?: number;
  /** Small sizes, for tests of the harness. */
  tiny?: boolean;
  /** Sizes for the suites that take them, per suite name or `*` (see {@link BenchContext.sizes}). */
  sizes?: SizeSpec;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The suites to choose from (default: bench/suites/index.ts). */
  registry?: readonly SuiteInfo[];
}

/** The default number of samples per measurement. */
export const DEFAULT_SAMPLES = 7;

/** `Node v20.x (Dawn, npm webgpu)` in Node, the user agent in a browser. */
export function runtimeLabel(host: 'node' | 'browser'): string {
  if (host === 'browser') return typeof navigator !== 'undefined' ? navigator.userAgent : 'browser';
  return `Node ${typeof process !== 'undefined' ? process.version : '?'} (Dawn, npm webgpu)`;
}

/** Checks what a suite returned; problems are reported, not silently dropped. */
function rowProblems(row: BenchRow): string[] {
  const where = `row ${row.suite}/${row.case}/${row.impl}`;
  const bad: string[] = [];
  if (!(Number.isFinite(row.value) && row.value > 0)) bad.push(`${where}: value ${row.value} is not a positive number`);
  if (!Array.isArray(row.samplesMs) || row.samplesMs.length === 0) bad.push(`${where}: no samples`);
  else if (!row.samplesMs.every((x) => Number.isFinite(x) && x > 0)) bad.push(`${where}: a sample is not a positive time`);
  return bad;
}

/** Runs the suites on `rt` and returns the report (rows analyzed; see bench/report/types.ts). */
export async function runSuites(rt: Runtime, opts: RunOptions = {}): Promise<BenchReport> {
  const samples = opts.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 5) throw new ArgumentError(`bench: samples must be an integer of at least 5, got ${samples}`);
  const log = opts.log ?? (() => {});
  const selected = selectSuites(opts.suites, opts.registry ?? SUITES);
  const createdAt = new Date().toISOString();
  const t0 = performance.now();
  const rows: BenchRow[] = [];
  const errors: SuiteError[] = [];
  for (const [i, suite] of selected.entries()) {
    const tag = `[${i + 1}/${selected.length}] ${suite.name}`;
    log(`${tag}: starting`);
    const ctx: BenchContext = {
      rt,
      samples,
      tiny: !!opts.tiny,
      sizes: sizesFor(opts.sizes, suite.name),
      log: (m) => log(`${tag}: ${m}`),
      reportError: (message) => {
        errors.push({ suite: suite.name, message });
        log(`${tag}: ERROR ${message}`);
      },
    };
    try {
      const got = await suite.run(ctx);
      for (const row of got) {
        const bad = rowProblems(row);
        if (bad.length > 0) {
          errors.push(...bad.map((message) => ({ suite: suite.name, message })));
          continue;
        }
        const gpu = row.gpuSamplesMs ?? gpuSamplesOf(row.samplesMs);
        rows.push(gpu ? { ...row, gpuSamplesMs: gpu } : row);
      }
      log(`${tag}: ${got.length} rows`);
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      errors.push({ suite: suite.name, message });
      log(`${tag}: FAILED ${message}`);
      // Leave no half-recorded batch or pending GPU error to the next suite.
      await rt.sync().catch(() => undefined);
    }
  }
  const { rows: analyzed, ceilings } = analyzeRows(rows);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    createdAt,
    host: rt.info.host,
    runtime: runtimeLabel(rt.info.host),
    adapter: rt.info,
    timestampQuery: rt.device.features.has('timestamp-query'),
    options: { suites: selected.map((s) => s.name), samples, tiny: !!opts.tiny, ...(opts.sizes ? { sizes: structuredClone(opts.sizes) } : {}) },
    ceilings,
    rows: analyzed,
    errors,
    durationMs: performance.now() - t0,
  };
}
