/**
 * What the harness derives from the suites' rows: each row's figure on its best clock, the spread of
 * its samples, speed-ups over the other implementations of the same case, and the fraction of the
 * adapter's ceiling. Pure functions of the rows (no GPU), shared by Node and the browser page.
 */
import { median } from '../timing';
import type { BenchRow } from '../types';
import type { BenchReport, Clock, Figure, ReportRow } from './types';

/**
 * Whether an implementation measures the adapter rather than a kernel: `ceiling-fma` (arithmetic,
 * GFLOP/s), `ceiling-copy`, `ceiling-axpy` (streaming, GB/s), any `ceiling-*`. The best ceiling
 * row of a unit is that unit's ceiling.
 */
export function isCeiling(impl: string): boolean {
  return impl.startsWith('ceiling-');
}

/**
 * Converts ms per iteration into the row's unit. Throughput rows hold `value = work / median(ms)`,
 * so work = value × median(samplesMs) and any other time converts as work / ms.
 */
function converter(row: BenchRow): (ms: number) => number {
  if (row.unit === 'ms') return (ms) => ms;
  const work = row.value * median(row.samplesMs);
  return (ms) => work / ms;
}

function figure(row: BenchRow, samples: readonly number[], clock: Clock): Figure {
  const to = converter(row);
  // The slowest sample is the worst in every unit (longest time, lowest throughput).
  return { clock, median: to(median(samples)), worst: to(Math.max(...samples)), best: to(Math.min(...samples)) };
}

function usable(samples: readonly number[] | undefined): samples is number[] {
  return !!samples && samples.length > 0 && samples.every((x) => Number.isFinite(x) && x > 0);
}

/** Speed-up of `a` over `b` (same unit): above 1 when `a` is faster. */
function speedupOf(a: ReportRow, b: ReportRow): number {
  const clock: Clock = a.figure.clock === 'gpu' && b.figure.clock === 'gpu' ? 'gpu' : 'wall';
  const fa = clock === 'gpu' ? a.figure.median : a.wall.median;
  const fb = clock === 'gpu' ? b.figure.median : b.wall.median;
  return a.unit === 'ms' ? fb / fa : fa / fb;
}

/** Adds the derived fields to the suites' rows; returns them with the ceilings they were measured against. */
export function analyzeRows(rows: readonly BenchRow[]): { rows: ReportRow[]; ceilings: BenchReport['ceilings'] } {
  const out: ReportRow[] = rows.map((r) => {
    const wall = figure(r, r.samplesMs, 'wall');
    const gpu = usable(r.gpuSamplesMs) ? figure(r, r.gpuSamplesMs, 'gpu') : null;
    return { ...r, figure: gpu ?? wall, wall, speedup: {} };
  });
  const ceilings: BenchReport['ceilings'] = {};
  for (const r of out) {
    if (isCeiling(r.impl) && r.unit !== 'ms') ceilings[r.unit] = Math.max(ceilings[r.unit] ?? 0, r.figure.median);
  }
  for (const r of out) {
    for (const o of out) {
      if (isCeiling(r.impl)) break;
      if (o === r || o.suite !== r.suite || o.case !== r.case || o.unit !== r.unit || o.impl === r.impl || isCeiling(o.impl)) continue;
      r.speedup[o.impl] = speedupOf(r, o);
    }
    const c = r.unit === 'ms' ? undefined : ceilings[r.unit as keyof typeof ceilings];
    if (c) r.ofCeiling = r.figure.median / c;
  }
  return { rows: out, ceilings };
}

/** The implementations rows are compared against, in order of first appearance (engine and ceilings excluded). */
export function peerImpls(rows: readonly ReportRow[]): string[] {
  const seen: string[] = [];
  for (const r of rows) if (r.impl !== 'engine' && !isCeiling(r.impl) && !seen.includes(r.impl)) seen.push(r.impl);
  return seen;
}

/** The chart position of a row's case: its `size`, else the first number in the case name. */
export function sizeOf(row: BenchRow): number | undefined {
  if (row.size !== undefined) return row.size;
  const m = /\d+(\.\d+)?/.exec(row.case);
  return m ? Number(m[0]) : undefined;
}
