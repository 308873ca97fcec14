/**
 * The benchmark page: runs the registered suites on the visitor's GPU (navigator.gpu) and shows the
 * same table and charts as the HTML report, with the report's JSON and HTML to download.
 *
 * `npm run bench` drives this page in headless Chromium: with `?auto=1` (and `suites`, `sizes`,
 * `samples`, `tiny`, `full` in the query string) it runs at once, logs progress as `[bench] ...` console
 * lines, and leaves the report (or `{ error }`) in `window.__bench` and passes it, as JSON, to
 * `window.__benchResult` when the driver exposed one.
 */
import { Runtime } from '../../engine/index';
import { runSuites } from '../../bench/run-suites';
import { SUITES } from '../../bench/suites/index';
import { chartsHtml, errorsHtml, renderHtml, REPORT_CSS, tableHtml } from '../../bench/report/html';
import { headerLines } from '../../bench/report/format';
import { esc } from '../../bench/report/svg';
import type { BenchReport } from '../../bench/report/types';
import { parseSizes, type SizeSpec } from '../../bench/sizes';
import { el, setHtml } from '../shared/dom';

type PageResult = BenchReport | { error: string };
type PageWindow = Window & { __bench?: PageResult; __benchResult?: (json: string) => Promise<void> };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const progress = $<HTMLPreElement>('progress');
const result = $<HTMLDivElement>('result');
const form = $<HTMLFormElement>('options');
const runButton = $<HTMLButtonElement>('run');

const style = document.createElement('style');
style.textContent = `${REPORT_CSS}\nform label { margin-right: 1rem; } fieldset { margin-bottom: .5rem; }`;
document.head.append(style);

for (const s of SUITES) {
  const label = el('label');
  label.title = s.about;
  label.append(Object.assign(el('input'), { type: 'checkbox', name: 'suite', value: s.name, defaultChecked: true }), ` ${s.name}`);
  $('suites').append(label);
}

function log(line: string): void {
  console.log(`[bench] ${line}`);
  progress.textContent = line;
}

function download(name: string, type: string, text: string): string {
  const url = URL.createObjectURL(new Blob([text], { type }));
  return `<a download="${esc(name)}" href="${url}">${esc(name)}</a>`;
}

function show(report: BenchReport): void {
  const json = JSON.stringify(report, null, 1);
  setHtml(
    result,
    [
      `<pre class="header">${esc(headerLines(report).join('\n'))}</pre>`,
      `<p>Download: ${download('bench-browser.json', 'application/json', json)} · ${download('bench-browser.html', 'text/html', renderHtml(report))}</p>`,
      errorsHtml(report),
      tableHtml(report),
      chartsHtml(report),
    ].join('\n'),
  );
}

interface PageOptions {
  suites: string[];
  samples?: number;
  tiny: boolean;
  full: boolean;
  sizes?: SizeSpec;
}

/** Runs the suites on a fresh runtime and shows the report. */
async function runBench(o: PageOptions): Promise<BenchReport> {
  runButton.disabled = true;
  result.replaceChildren();
  const rt = await Runtime.create();
  try {
    log(`adapter: ${rt.adapterName}`);
    const report = await runSuites(rt, { ...o, log });
    log(`done in ${(report.durationMs / 1000).toFixed(1)} s${report.errors.length ? `, ${report.errors.length} error(s)` : ''}`);
    show(report);
    return report;
  } finally {
    rt.destroy();
    runButton.disabled = false;
  }
}

/** Sizes from `256,1024` or `matmul=256,1024; prox=4096` parts (undefined when there are none). */
function sizeSpec(parts: string[]): SizeSpec | undefined {
  const spec: SizeSpec = {};
  for (const p of parts) parseSizes(p, spec);
  return Object.keys(spec).length ? spec : undefined;
}

function formatSizes(spec: SizeSpec | undefined): string {
  return Object.entries(spec ?? {})
    .map(([suite, xs]) => `${suite === '*' ? '' : `${suite}=`}${xs.join(',')}`)
    .join('; ');
}

function fail(e: unknown): { error: string } {
  const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  log(`error: ${error}`);
  return { error };
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const suites = [...form.querySelectorAll<HTMLInputElement>('input[name=suite]:checked')].map((i) => i.value);
  const samples = Number($<HTMLInputElement>('samples').value) || undefined;
  runBench({
    suites,
    samples,
    tiny: $<HTMLInputElement>('tiny').checked,
    full: $<HTMLInputElement>('full').checked,
    sizes: sizeSpec([$<HTMLInputElement>('sizes').value]),
  }).catch(fail);
});

const q = new URLSearchParams(location.search);
if (q.get('auto') === '1') {
  const w = window as PageWindow;
  const opts: PageOptions = {
    suites: (q.get('suites') ?? '').split(',').filter((s) => s),
    samples: q.has('samples') ? Number(q.get('samples')) : undefined,
    tiny: q.get('tiny') === '1',
    full: q.get('full') === '1',
    sizes: sizeSpec(q.getAll('sizes')),
  };
  $<HTMLInputElement>('samples').value = String(opts.samples ?? $<HTMLInputElement>('samples').value);
  $<HTMLInputElement>('tiny').checked = opts.tiny;
  $<HTMLInputElement>('full').checked = opts.full;
  $<HTMLInputElement>('sizes').value = formatSizes(opts.sizes);
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name=suite]')) box.checked = opts.suites.length === 0 || opts.suites.includes(box.value);
  const finish = (r: PageResult): void => {
    w.__bench = r;
    void w.__benchResult?.(JSON.stringify(r));
  };
  runBench(opts).then(finish, (e: unknown) => finish(fail(e)));
}
