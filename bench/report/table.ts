/**
 * The report as a plain-text table for stdout: a header (adapter, runtime, clock, ceilings), then
 * one line per row, grouped by suite, with the speed-up over each peer and the fraction of the ceiling.
 */
import { peerImpls } from './analyze';
import { fmtExtra, fmtFigure, fmtGpuWork, fmtPercent, fmtRatio, gpuWorkWarnings, headerLines } from './format';
import type { BenchReport } from './types';

/** The cells of the table, header first (also used by the HTML report and the browser page). */
export function tableCells(report: BenchReport): string[][] {
  const peers = peerImpls(report.rows);
  const head = ['suite', 'case', 'impl', 'median (min–max)', 'unit', 'clock', ...peers.map((p) => `vs ${p}`), 'of ceiling', 'GPU work per call', 'extra'];
  const body = report.rows.map((r) => [
    r.suite,
    r.case,
    r.impl,
    fmtFigure(r),
    r.unit,
    r.figure.clock,
    ...peers.map((p) => fmtRatio(r.speedup[p])),
    fmtPercent(r.ofCeiling),
    fmtGpuWork(r),
    fmtExtra(r),
  ]);
  return [head, ...body];
}

/** The whole report as text: header lines, the table, and any suite errors. */
export function formatTable(report: BenchReport): string {
  const cells = tableCells(report);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const numeric = (c: number) => c >= 3 && c !== 4 && c !== 5 && c < cells[0].length - 2;
  const line = (row: string[]) =>
    row
      .map((cell, c) => (numeric(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [...headerLines(report), '', line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  cells.slice(1).forEach((row, i) => {
    if (i > 0 && row[0] !== cells[i][0]) out.push('');
    out.push(line(row));
  });
  if (report.rows.length === 0) out.push('(no rows)');
  for (const e of report.errors) out.push('', `ERROR in suite ${e.suite}: ${e.message}`);
  const warnings = gpuWorkWarnings(report);
  if (warnings.length > 0) out.push('', ...warnings);
  out.push(
    '',
    "vs X: speed-up over X in the same case (above 1 = faster). of ceiling: fraction of the adapter's FMA (GFLOP/s) or copy (GB/s) ceiling.",
    'GPU work per call: GPUQueue.submit and dispatchWorkgroups calls counted while the row was timed, per product or step.',
  );
  return out.join('\n');
}
