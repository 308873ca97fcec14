/**
 * `npm run bench`: runs the benchmark suites in headless Chromium (default; bench/browser-run.ts)
 * or in Node on Dawn (`--node`), prints progress (with the estimate of the time left) to stderr and
 * the table to stdout, and writes the JSON report (checked against bench/report/schema.json) and the
 * HTML report. `--help` lists the options; a bad option or an unknown suite fails before anything
 * starts. Exit code 1 if an option is bad, a suite failed or the report does not validate.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkCliOptions, parseCliArgs, USAGE, type CliOptions } from './cli-args';
import { analyzeRows } from './report/analyze';
import { renderHtml } from './report/html';
import { formatTable } from './report/table';
import type { BenchReport } from './report/types';
import { validateReport } from './report/validate';
import { SUITES } from './suites/index';

const started = performance.now();

/** A progress line with the time since the start: rewritten in place on a terminal, one line each otherwise. */
function progress(message: string): void {
  const s = Math.round((performance.now() - started) / 1000);
  const line = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} ${message}`;
  if (process.stderr.isTTY) {
    const width = process.stderr.columns || 100;
    process.stderr.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
  } else {
    process.stderr.write(`${line}\n`);
  }
}

function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}

async function runInNode(o: CliOptions): Promise<BenchReport> {
  if (o.adapter) process.env.WEBGPU_ADAPTER = o.adapter;
  const { Runtime } = await import('../engine/index');
  const { runSuites } = await import('./run-suites');
  const rt = await Runtime.create();
  progress(`adapter: ${rt.adapterName}`);
  try {
    return await runSuites(rt, { suites: o.suites, sizes: o.sizes, samples: o.samples, tiny: o.tiny, full: o.full, log: progress });
  } finally {
    rt.destroy();
  }
}

/** An earlier report with its figures derived again from the measured fields (samples, values). */
function reanalyze(path: string): BenchReport {
  const old = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  const invalid = validateReport(old);
  if (invalid.length > 0) throw new Error(`${path} is not a valid report:\n  ${invalid.join('\n  ')}`);
  const measured = old.rows.map(({ figure: _f, wall: _w, speedup: _s, ofCeiling: _c, ...row }) => row);
  return { ...old, ...analyzeRows(measured) };
}

async function runInBrowser(o: CliOptions): Promise<BenchReport> {
  const { runInChromium } = await import('./browser-run');
  const { suites, sizes, samples, tiny, full, browser, gpuFlags, browserFlags, timeoutS } = o;
  return runInChromium({ suites, sizes, samples, tiny, full, browser, gpuFlags, browserFlags, timeoutS, log: progress });
}

function write(path: string, text: string): string {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
}

async function main(): Promise<number> {
  const o = parseCliArgs(process.argv.slice(2));
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  if (o.list) {
    for (const s of SUITES) console.log(`${s.name.padEnd(12)} ${s.about}${s.sizes ? `\n${''.padEnd(12)} sizes: ${s.sizes}` : ''}`);
    return 0;
  }
  // Every mistake in the options is reported here, before a browser or a GPU device starts.
  checkCliOptions(o, SUITES);
  const report = o.from ? reanalyze(o.from) : o.node ? await runInNode(o) : await runInBrowser(o);
  endProgress();
  console.log(formatTable(report));
  const host = report.host === 'node' ? 'node' : 'chromium';
  const json = write(o.json ?? join(o.outDir, `bench-${host}.json`), `${JSON.stringify(report, null, 1)}\n`);
  const html = write(o.html ?? join(o.outDir, `bench-${host}.html`), renderHtml(report));
  console.log(`\nreports: ${json}\n         ${html}`);
  const invalid = validateReport(report);
  if (invalid.length > 0) console.error(`the report does not match bench/report/schema.json:\n  ${invalid.join('\n  ')}`);
  return report.errors.length > 0 || invalid.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    endProgress();
    console.error(e instanceof Error ? `${e.name}: ${e.message}${e.cause ? ` (${String(e.cause)})` : ''}` : String(e));
    process.exit(1);
  },
);
