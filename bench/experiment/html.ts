/**
 * The experiment's report as one self-contained HTML file: the setup, the table, the
 * hyperparameters, charts (inline SVG from bench/report/svg.ts), every run, and the report's JSON
 * embedded (`<script type="application/json" id="experiment-report">`).
 */
import { REPORT_CSS } from '../report/html';
import { esc, lineChart, type LinePoint } from '../report/svg';
import { legendLine, setupLines, tableCells } from './table';
import { modelLabel, type ConfigSummary, type ExperimentReport, type Spread } from './types';

/** A chart point from a spread: the mean, whiskers from min to max, after `f` (e.g. accuracy → error %). */
function point(s: ConfigSummary, i: number, spread: Spread, f: (x: number) => number): LinePoint {
  const a = f(spread.min);
  const b = f(spread.max);
  return { x: i + 1, label: s.short, y: f(spread.mean), lo: Math.min(a, b), hi: Math.max(a, b) };
}

/** The charts: error rates, generalization gap, time per epoch, one point per configuration. */
export function experimentCharts(report: ExperimentReport): string[] {
  const s = report.summaries;
  const errorPct = (acc: number) => 100 * (1 - acc);
  const pct = (x: number) => 100 * x;
  return [
    lineChart({
      title: 'Error rate per configuration (lower is better)',
      yLabel: 'error %',
      xLabel: '',
      xScale: 'category',
      series: [
        { name: 'held-out error', points: s.map((c, i) => point(c, i, c.heldOutAccuracy, errorPct)) },
        { name: 'train error', points: s.map((c, i) => point(c, i, c.trainAccuracy, errorPct)) },
      ],
      className: 'chart-error',
    }),
    lineChart({
      title: 'Generalization gap: train − held-out accuracy',
      yLabel: 'percentage points',
      xLabel: '',
      xScale: 'category',
      series: [{ name: 'gap', points: s.map((c, i) => point(c, i, c.gap, pct)) }],
      className: 'chart-gap',
    }),
    lineChart({
      title: 'Training time per epoch',
      yLabel: 'seconds per epoch',
      xLabel: '',
      xScale: 'category',
      series: [{ name: 's / epoch', points: s.map((c, i) => point(c, i, c.secondsPerEpoch, (x) => x)) }],
      className: 'chart-time',
    }),
  ];
}

function htmlTable(cells: string[][], numericFrom = 1): string {
  const [head, ...body] = cells;
  const rows = body.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`);
  return `<table class="bench"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

const pct2 = (x: number) => (100 * x).toFixed(2);

/** The whole report as a standalone HTML document. */
export function renderExperimentHtml(report: ExperimentReport): string {
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  const hyper = [
    ['configuration', 'hyperparameters', 'what it is'],
    ...report.summaries.map((s) => [
      s.label,
      Object.entries(s.hyper)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '–',
      s.about,
    ]),
  ];
  const runs = [
    [
      'configuration',
      'seed',
      'train acc %',
      'held-out acc %',
      'gap (pts)',
      'held-out loss',
      'zero weights %',
      'max column norm',
      's / epoch',
      'epochs',
      'stopped by',
      'dispatches / step',
      'run s',
    ],
    ...report.runs.map((r) => [
      r.config,
      String(r.seed),
      pct2(r.trainAccuracy),
      pct2(r.heldOutAccuracy),
      pct2(r.gap),
      r.heldOutLoss.toFixed(4),
      pct2(r.zeroFraction),
      r.maxColumnNorm.toFixed(3),
      r.secondsPerEpoch.toFixed(3),
      r.bestEpoch !== undefined ? `${r.epochs} (best ${r.bestEpoch})` : String(r.epochs),
      r.stoppedBy,
      r.dispatchesPerStep.toFixed(1),
      r.seconds.toFixed(1),
    ]),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Regularization experiment: ${esc(modelLabel(report.setup))} on ${report.setup.train} MNIST digits</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>Regularization experiment</h1>
<pre class="header">${esc(setupLines(report).join('\n'))}</pre>
<h2>Results</h2>
${htmlTable(tableCells(report))}
<p>${esc(legendLine(report))}</p>
<div class="charts">${experimentCharts(report).join('\n')}</div>
<p>Charts: dots are means over the seeds, whiskers the range (min–max) over the seeds; error = 100 − accuracy.</p>
<h2>Hyperparameters</h2>
${htmlTable(hyper, 99)}
<h2>Every run</h2>
<details><summary>${report.runs.length} runs</summary>
${htmlTable(runs)}
</details>
<script type="application/json" id="experiment-report">${json}</script>
</body>
</html>
`;
}
