/**
 * The report as one self-contained HTML file: header, the table, the charts as inline SVG, and the
 * report's JSON embedded (`<script type="application/json" id="bench-report">`), so the file opens
 * in any browser with nothing else next to it. The browser page builds its view from the same parts.
 */
import { reportCharts } from './charts';
import { gpuWorkWarnings, headerLines } from './format';
import { esc } from './svg';
import { tableCells } from './table';
import { NO_GPU_WORK } from '../gpu-work';
import type { BenchReport } from './types';

/** CSS of the report (also used by the browser page). */
export const REPORT_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
pre.header { background: #f5f5f5; padding: .75rem; white-space: pre-wrap; }
table.bench { border-collapse: collapse; font-size: 13px; }
table.bench th, table.bench td { padding: 2px 8px; border-bottom: 1px solid #e5e5e5; white-space: nowrap; }
table.bench th { text-align: left; background: #fafafa; position: sticky; top: 0; }
table.bench td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.bench tr.suite-start td { border-top: 2px solid #bbb; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.error { color: #b00020; }
td.no-gpu-work { color: #b00020; font-weight: 600; }
`;

/** The table as HTML (the same cells as the text table). */
export function tableHtml(report: BenchReport): string {
  const [head, ...body] = tableCells(report);
  const numeric = (c: number) => c >= 3 && c !== 4 && c !== 5 && c < head.length - 2;
  const work = head.indexOf('GPU work per call');
  const rows = body.map((row, i) => {
    const start = i === 0 || row[0] !== body[i - 1][0];
    const cells = row
      .map((cell, c) => `<td${numeric(c) ? ' class="num"' : c === work && cell === NO_GPU_WORK ? ' class="no-gpu-work"' : ''}>${esc(cell)}</td>`)
      .join('');
    return `<tr${start ? ' class="suite-start"' : ''}>${cells}</tr>`;
  });
  return `<table class="bench"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** The charts grouped by suite, as HTML. */
export function chartsHtml(report: BenchReport): string {
  const bySuite = new Map<string, string[]>();
  for (const c of reportCharts(report)) bySuite.set(c.suite, [...(bySuite.get(c.suite) ?? []), c.svg]);
  return [...bySuite]
    .map(([suite, svgs]) => `<section class="suite" data-suite="${esc(suite)}"><h2>${esc(suite)}</h2><div class="charts">${svgs.join('\n')}</div></section>`)
    .join('\n');
}

/** Suite errors, and the rows flagged for doing no GPU work, as HTML. */
export function errorsHtml(report: BenchReport): string {
  return [
    ...report.errors.map((e) => `<p class="error">Suite ${esc(e.suite)} failed: ${esc(e.message)}</p>`),
    ...gpuWorkWarnings(report).map((w) => `<p class="error">${esc(w)}</p>`),
  ].join('\n');
}

/** The whole report as a standalone HTML document. */
export function renderHtml(report: BenchReport): string {
  // `<` is escaped so the embedded JSON cannot close its script element.
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Benchmark report: ${esc(report.adapter.description || report.adapter.architecture || report.adapter.vendor)} (${report.host})</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>Benchmark report</h1>
<pre class="header">${esc([...headerLines(report), `run:      ${report.createdAt}, ${(report.durationMs / 1000).toFixed(1)} s, suites ${report.options.suites.join(', ')}`].join('\n'))}</pre>
${errorsHtml(report)}
${tableHtml(report)}
<p>vs X: speed-up over X in the same case (above 1 = faster). of ceiling: fraction of the adapter's measured FMA (GFLOP/s) or copy (GB/s) ceiling. Figures are medians with the worst and best sample. GPU work per call: GPUQueue.submit and dispatchWorkgroups calls counted while the row was timed.</p>
${chartsHtml(report)}
<script type="application/json" id="bench-report">${json}</script>
</body>
</html>
`;
}
