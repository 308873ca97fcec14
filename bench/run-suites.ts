/**
 * Runs the selected suites on one runtime and builds the report. Shared by the Node CLI and the
 * browser page, so it imports nothing Node-only. A suite that throws is recorded in the report's
 * `errors` and the run goes on with the next suite.
 */
import { ArgumentError, type Runtime } from '../engine/index';
import { useBenchKernels } from './kernels';
import { sizesFor, type SizeSpec } from './sizes';
import { analyzeRows } from './report/analyze';
import { REPORT_SCHEMA_VERSION, type BenchReport, type SuiteError } from './report/types';
import { selectSuites, SUITES, type SuiteInfo } from './suites/index';
import { gpuSamplesOf, gpuWorkOf } from './timing';
import type { BenchContext, BenchRow } from './types';

/** Options of {@link runSuites}. */
export interface RunOptions {
  /** Suite names (default: every suite of the registry). */
  suites?: readonly string[];
  /** Samples per measurement, at least 5 (default 7). */
  samples?: number;
  /** Small sizes, for tests of the harness. */
  tiny?: boolean;
  /** The large default sizes (`--full`) instead of the quick ones. */
  full?: boolean;
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

/** `2 min 05 s`, `40 s`. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * The estimate of the time left, from the work done so far: each suite has a relative cost (its
 * registry entry, for the run's options) and tells how far it is within itself (`ctx.progress`), so
 * the fraction done is known and the time left is the elapsed time scaled by what remains.
 * Undefined until there is enough to go on (5 s and 2% of the run).
 */
export class Eta {
  private doneCost = 0;
  private current = 0;
  private readonly total: number;

  constructor(
    private readonly costs: readonly number[],
    private readonly t0 = performance.now(),
  ) {
    this.total = costs.reduce((a, b) => a + b, 0);
  }

  /** Suite `i` is `done` of `total` units of its work through. */
  progress(i: number, done: number, total: number): void {
    this.current = total > 0 ? this.costs[i] * Math.min(1, Math.max(0, done / total)) : 0;
  }

  /** Suite `i` has finished. */
  finished(i: number): void {
    this.doneCost += this.costs[i];
    this.current = 0;
  }

  /** The fraction of the run done, 0 to 1. */
  fraction(): number {
    return this.total > 0 ? Math.min(1, (this.doneCost + this.current) / this.total) : 0;
  }

  /** ` · 41%, ~3 min 20 s left`, or '' while too early to say. */
  text(now = performance.now()): string {
    const f = this.fraction();
    const elapsed = now - this.t0;
    if (f < 0.02 || elapsed < 5000 || f >= 1) return '';
    return ` · ${Math.floor(100 * f)}%, ~${fmtDuration((elapsed * (1 - f)) / f)} left`;
  }
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
  const out = opts.log ?? (() => {});
  // The baseline and ceilings the suites measure against: not in the library's registry.
  await useBenchKernels(rt);
  const selected = selectSuites(opts.suites, opts.registry ?? SUITES);
  const createdAt = new Date().toISOString();
  const t0 = performance.now();
  const scale = { tiny: !!opts.tiny, full: !!opts.full, samples };
  const eta = new Eta(
    selected.map((s) => s.cost?.(scale) ?? 1),
    t0,
  );
  const log = (line: string) => out(`${line}${eta.text()}`);
  const rows: BenchRow[] = [];
  const errors: SuiteError[] = [];
  for (const [i, suite] of selected.entries()) {
    const tag = `[${i + 1}/${selected.length}] ${suite.name}`;
    log(`${tag}: starting`);
    const ctx: BenchContext = {
      rt,
      samples,
      tiny: !!opts.tiny,
      full: !!opts.full,
      sizes: sizesFor(opts.sizes, suite.name),
      log: (m) => log(`${tag}: ${m}`),
      reportError: (message) => {
        errors.push({ suite: suite.name, message });
        log(`${tag}: ERROR ${message}`);
      },
      progress: (done, total) => eta.progress(i, done, total),
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
        const work = row.gpuWork ?? gpuWorkOf(row.samplesMs);
        rows.push({ ...row, ...(gpu ? { gpuSamplesMs: gpu } : {}), ...(work ? { gpuWork: work } : {}) });
      }
      eta.finished(i);
      log(`${tag}: ${got.length} rows`);
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      errors.push({ suite: suite.name, message });
      eta.finished(i);
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
    options: {
      suites: selected.map((s) => s.name),
      samples,
      tiny: !!opts.tiny,
      ...(opts.full ? { full: true } : {}),
      ...(opts.sizes ? { sizes: structuredClone(opts.sizes) } : {}),
    },
    ceilings,
    rows: analyzed,
    errors,
    durationMs: performance.now() - t0,
  };
}
