/**
 * Number and label formatting shared by the text table, the HTML report and the browser page, so
 * that all three show the same figures.
 */
import { NO_GPU_WORK, noGpuWork } from '../gpu-work';
import { isCeiling } from './analyze';
import type { BenchReport, ReportRow } from './types';

/** A number with about three significant digits (no exponent for the ranges benchmarks produce). */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}

/** A speed-up, e.g. `2.31×`. */
export function fmtRatio(x: number | undefined): string {
  return x === undefined ? '' : `${fmtNum(x)}×`;
}

/** A fraction as a percentage, e.g. `31%`. */
export function fmtPercent(x: number | undefined): string {
  if (x === undefined) return '';
  const p = 100 * x;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** The row's figure with the range of its samples: `6.10 (5.90–6.21)`. */
export function fmtFigure(r: ReportRow): string {
  const f = r.figure;
  const lo = Math.min(f.worst, f.best);
  const hi = Math.max(f.worst, f.best);
  return `${fmtNum(f.median)} (${fmtNum(lo)}–${fmtNum(hi)})`;
}

/** The row's `extra` as `key=value` pairs. */
export function fmtExtra(r: ReportRow): string {
  return Object.entries(r.extra ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? fmtNum(v) : v}`)
    .join(' ');
}

/**
 * The row's GPU work per call: `1 submit, 3 dispatches`; the CPU-fallback flag when a measured
 * implementation (not a ceiling) made no dispatch; '' when it was not counted.
 */
export function fmtGpuWork(r: ReportRow): string {
  const w = r.gpuWork;
  if (!w) return '';
  if (noGpuWork(w) && !isCeiling(r.impl)) return NO_GPU_WORK;
  const count = (x: number, one: string, many: string) => `${Number(x.toPrecision(3))} ${x === 1 ? one : many}`;
  return `${count(w.submitsPerCall, 'submit', 'submits')}, ${count(w.dispatchesPerCall, 'dispatch', 'dispatches')}`;
}

/** The rows flagged as doing no GPU work: one warning line each (empty when none). */
export function gpuWorkWarnings(report: BenchReport): string[] {
  return report.rows
    .filter((r) => !isCeiling(r.impl) && noGpuWork(r.gpuWork))
    .map((r) => `WARNING: ${r.suite} ${r.case} ${r.impl} made no GPU dispatch while it was timed (${r.gpuWork!.calls} calls): ${NO_GPU_WORK}`);
}

/** Header lines: adapter, runtime, clock, ceilings. */
export function headerLines(report: BenchReport): string[] {
  const a = report.adapter;
  const ceil = report.ceilings;
  const ceilings = [
    ceil['GFLOP/s'] !== undefined ? `arithmetic (FMA) ${fmtNum(ceil['GFLOP/s'])} GFLOP/s` : '',
    ceil['GB/s'] !== undefined ? `streaming (copy) ${fmtNum(ceil['GB/s'])} GB/s` : '',
  ].filter((s) => s);
  return [
    `adapter:  vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, ${a.description || a.device || 'no description'}${a.isFallbackAdapter ? ' (software adapter)' : ''}`,
    `runtime:  ${report.runtime}`,
    `clock:    ${
      report.timestampQuery
        ? 'gpu = GPU timestamp queries (work recorded through the engine), wall = wall time to the end of the GPU work; a ratio uses a clock both rows have'
        : 'wall time to the end of the GPU work (the adapter has no timestamp-query)'
    }`,
    `samples:  ${report.options.samples} per measurement, median (min–max over samples)${report.options.tiny ? ', tiny sizes' : report.options.full ? ', full sizes' : ''}`,
    `ceilings: ${ceilings.length ? ceilings.join(', ') : 'not measured in this run'}`,
  ];
}
