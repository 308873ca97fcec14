/**
 * The lab report as text (the CLI's output) and as HTML (the bench's HTML report with the lab's
 * correctness and figures above it). Pure: no Node, no GPU.
 */
import { renderHtml } from '../report/html';
import { describeCheck } from './check';
import { benchPart, type LabFigures, type LabReport } from './suite';

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** How many times faster `a` is than `b`, on GPU timestamps when both have them, else on the wall clock. */
export function speedup(a: LabFigures, b: LabFigures): number {
  return a.clock === 'gpu' && b.clock === 'gpu' ? b.medianMs / a.medianMs : b.wallMedianMs / a.wallMedianMs;
}

/** The figures as rows of strings: impl, time, spread, GFLOP/s, GB/s, fractions of the ceilings, ratio to the lab kernel. */
export function figureCells(figs: readonly LabFigures[]): string[][] {
  const lab = figs.find((f) => f.impl === 'lab');
  return figs.map((f) => [
    f.impl,
    `${num(f.medianMs)} ms (${f.clock})`,
    `${num(f.bestMs)} … ${num(f.worstMs)}`,
    num(f.gflops),
    num(f.gbps),
    pct(f.ofFma),
    pct(f.ofCopy),
    lab && f !== lab ? `${num(speedup(lab, f))}×` : '',
  ]);
}

/** Column heads of {@link figureCells}. */
export const FIGURE_HEADS = ['impl', 'median', 'best … worst', 'GFLOP/s', 'GB/s', 'of FMA ceiling', 'of copy ceiling', 'lab speed-up over it'];

/** The report as the CLI prints it. */
export function formatLab(r: LabReport): string {
  const { lab } = r;
  const cells = [FIGURE_HEADS, ...figureCells(lab.figures)];
  const widths = FIGURE_HEADS.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const table = cells.map((row) => row.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ')).join('\n');
  const ceil = `ceilings: FMA ${r.ceilings['GFLOP/s'] ? `${num(r.ceilings['GFLOP/s'])} GFLOP/s` : '–'}, copy ${r.ceilings['GB/s'] ? `${num(r.ceilings['GB/s'])} GB/s` : '–'}`;
  const params = Object.entries(lab.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `kernel:   ${lab.spec.name} (${lab.spec.file} @compute ${lab.spec.entry}, op ${lab.spec.op})`,
    `params:   ${params}`,
    `adapter:  ${r.adapter.description || r.adapter.architecture || r.adapter.vendor} (${r.host}; ${r.timestampQuery ? 'GPU timestamps' : 'wall clock'})`,
    `work:     ${lab.work.flops} FLOPs, ${lab.work.bytes} bytes per dispatch (${num(lab.work.flops / Math.max(lab.work.bytes, 1))} FLOP/byte)`,
    `${describeCheck(lab.check)}`,
    ceil,
    '',
    table,
    ...r.errors.map((e) => `error: ${e.message}`),
  ].join('\n');
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** The bench's HTML report with the lab's section inserted at the top of the body. */
export function renderLabHtml(r: LabReport): string {
  const cells = figureCells(r.lab.figures);
  const table = `<table><thead><tr>${FIGURE_HEADS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${cells
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const section = `<h1>Kernel lab: ${esc(r.lab.spec.name)}</h1>\n<pre class="header">${esc(formatLab(r).split('\n\n')[0])}</pre>\n${table}\n`;
  return renderHtml(benchPart(r)).replace('<body>\n', `<body>\n${section}`);
}
