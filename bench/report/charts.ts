/**
 * The report's charts, per suite: each measure against size (one line per implementation, the
 * adapter's ceiling as a dashed reference) and the engine's speed-up over each peer per case.
 * Shared by the HTML report and the browser page.
 */
import { isCeiling, sizeOf } from './analyze';
import { lineChart, ratioChart, type LinePoint } from './svg';
import type { BenchReport, ReportRow } from './types';

/** One chart: its title and its SVG markup. */
export interface Chart {
  suite: string;
  kind: 'throughput' | 'ratio';
  title: string;
  svg: string;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** Log-scale x when every case has a positive size and distinct cases have distinct sizes. */
function xScaleOf(rows: readonly ReportRow[]): 'log' | 'category' {
  const caseOfSize = new Map<number, string>();
  for (const r of rows) {
    const s = sizeOf(r);
    if (s === undefined || !(s > 0)) return 'category';
    const c = caseOfSize.get(s);
    if (c !== undefined && c !== r.case) return 'category';
    caseOfSize.set(s, r.case);
  }
  return caseOfSize.size > 1 ? 'log' : 'category';
}

function point(r: ReportRow, i: number): LinePoint {
  const f = r.figure;
  return { x: sizeOf(r) ?? i + 1, label: r.case, y: f.median, lo: Math.min(f.worst, f.best), hi: Math.max(f.worst, f.best) };
}

/** Every chart of the report, in suite order. */
export function reportCharts(report: BenchReport): Chart[] {
  const charts: Chart[] = [];
  for (const [suite, rows] of groupBy(report.rows, (r) => r.suite)) {
    for (const [unit, unitRows] of groupBy(rows, (r) => r.unit)) {
      // Ceiling rows are drawn as the reference line, except in a chart that holds nothing else.
      const drawn = unitRows.every((r) => isCeiling(r.impl)) ? unitRows : unitRows.filter((r) => !isCeiling(r.impl));
      const series = [...groupBy(drawn, (r) => r.impl)].map(([name, list]) => ({ name, points: list.map(point) }));
      const ceiling = unit === 'ms' || unitRows.every((r) => isCeiling(r.impl)) ? undefined : report.ceilings[unit as 'GFLOP/s' | 'GB/s'];
      const title = `${suite}: ${unit} per case (${unit === 'ms' ? 'lower' : 'higher'} is better)`;
      const clock = unitRows.some((r) => r.figure.clock === 'gpu') ? 'GPU time where measured' : 'wall time';
      charts.push({
        suite,
        kind: 'throughput',
        title,
        svg: lineChart({
          title,
          yLabel: `${unit}, median (${clock})`,
          xLabel: 'case',
          xScale: xScaleOf(drawn),
          series,
          reference: ceiling ? { y: ceiling, label: `ceiling ${ceiling.toPrecision(3)} ${unit}` } : undefined,
          className: 'chart-throughput',
        }),
      });
    }
    const groups = rows
      .filter((r) => r.impl === 'engine' && Object.keys(r.speedup).length > 0)
      .map((r) => ({ label: r.case, bars: Object.entries(r.speedup).map(([name, value]) => ({ name, value })) }));
    if (groups.length > 0) {
      const title = `${suite}: engine speed-up over each peer (above 1× = engine faster)`;
      charts.push({ suite, kind: 'ratio', title, svg: ratioChart({ title, yLabel: 'speed-up (log scale)', groups, className: 'chart-ratio' }) });
    }
  }
  return charts;
}
