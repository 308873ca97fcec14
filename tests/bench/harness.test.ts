/**
 * The harness end to end in Node, on tiny sizes, with the test suites of ./trivial-suite.ts: it runs
 * real GPU work, the report validates against bench/report/schema.json, the table names the adapter,
 * and the HTML report renders in headless Chromium with its charts. Nothing here checks speed: the
 * assertions are about structure and about figures that follow from the samples.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchChromium } from '../../bench/browser';
import { renderHtml } from '../../bench/report/html';
import { formatTable } from '../../bench/report/table';
import type { BenchReport } from '../../bench/report/types';
import { validateReport } from '../../bench/report/validate';
import { runSuites } from '../../bench/run-suites';
import { median } from '../../bench/timing';
import { useRuntime } from '../helpers/gpu';
import { TEST_REGISTRY } from './trivial-suite';

const rt = useRuntime();
const SIZES = [1 << 10, 1 << 12];
let report: BenchReport;
const progress: string[] = [];

beforeAll(async () => {
  report = await runSuites(rt(), { registry: TEST_REGISTRY, samples: 5, tiny: true, sizes: { trivial: SIZES }, log: (l) => progress.push(l) });
});

describe('runSuites in Node', () => {
  it('runs every selected suite, keeps going past a failing one, and reports progress', () => {
    expect(report.options).toEqual({ suites: ['trivial', 'failing'], samples: 5, tiny: true, sizes: { trivial: SIZES } });
    expect(report.rows).toHaveLength(SIZES.length * 3);
    expect(report.errors).toEqual([{ suite: 'failing', message: 'Error: this suite fails on purpose' }]);
    expect(progress[0]).toBe('[1/2] trivial: starting');
    expect(progress).toContain('[2/2] failing: FAILED Error: this suite fails on purpose');
    for (const r of report.rows) expect(r.samplesMs).toHaveLength(5);
  });

  it("counts each row's GPU work while it was sampled: one dispatch per add, two per mul-then-scale, none for a buffer copy", () => {
    const expected: Record<string, number> = { engine: 1, 'two-pass': 2, 'ceiling-copy': 0 };
    for (const r of report.rows) {
      // 5 samples of 4 iterations each (tests/bench/trivial-suite.ts); at least one submit per sample.
      expect(r.gpuWork?.calls, `${r.impl} ${r.case}`).toBe(20);
      expect(r.gpuWork?.dispatchesPerCall, `${r.impl} ${r.case}`).toBe(expected[r.impl]);
      expect(r.gpuWork!.submitsPerCall).toBeGreaterThanOrEqual(1 / 4);
      expect(r.gpuWork!.submitsPerCall).toBeLessThanOrEqual(1);
    }
    expect(formatTable(report)).not.toContain('CPU fallback');
  });

  it('describes the adapter and the host', () => {
    expect(report.host).toBe('node');
    expect(report.adapter).toEqual(rt().info);
    expect(report.runtime).toContain(process.version);
    expect(report.timestampQuery).toBe(rt().device.features.has('timestamp-query'));
  });

  it('derives the figures from the samples (median on the chosen clock)', () => {
    for (const r of report.rows) {
      const samples = r.figure.clock === 'gpu' ? r.gpuSamplesMs! : r.samplesMs;
      const work = r.value * median(r.samplesMs);
      expect(Math.abs(r.figure.median - work / median(samples))).toBeLessThanOrEqual(1e-9 * r.figure.median);
      expect(r.figure.worst).toBeLessThanOrEqual(r.figure.median);
      expect(r.figure.best).toBeGreaterThanOrEqual(r.figure.median);
    }
    const engine = report.rows.filter((r) => r.impl === 'engine');
    for (const r of engine) expect(r.speedup['two-pass']).toBeGreaterThan(0);
    expect(report.ceilings['GB/s']).toBe(Math.max(...report.rows.filter((r) => r.impl === 'ceiling-copy').map((r) => r.figure.median)));
    for (const r of engine) expect(r.ofCeiling).toBeCloseTo(r.figure.median / report.ceilings['GB/s']!, 12);
  });

  it('produces a report that validates against the schema, also as parsed JSON', () => {
    expect(validateReport(report)).toEqual([]);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
  });

  it('prints a table with the adapter, the runtime, one line per row and the errors', () => {
    const text = formatTable(report);
    expect(text).toContain(`vendor ${report.adapter.vendor}, architecture ${report.adapter.architecture}`);
    expect(text).toContain(process.version);
    expect(text).toMatch(/vs two-pass/);
    expect(text).toMatch(/GPU work per call/);
    expect(text).toMatch(/^trivial .* 2 dispatches/m);
    expect(text.split('\n').filter((l) => l.startsWith('trivial '))).toHaveLength(report.rows.length);
    expect(text).toContain('ERROR in suite failing');
  });
});

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dom: {
    throughput: number;
    ratio: number;
    series: string[];
    lines: number;
    points: number;
    bars: number;
    tableRows: number;
    embedded: unknown;
    title: string;
  };

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-html-')), 'report.html');
    writeFileSync(file, renderHtml(report));
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    dom = await page.evaluate(() => ({
      throughput: document.querySelectorAll('svg.chart.chart-throughput').length,
      ratio: document.querySelectorAll('svg.chart.chart-ratio').length,
      series: [...document.querySelectorAll('svg.chart-throughput g.series')].map((g) => g.getAttribute('data-series') ?? ''),
      lines: document.querySelectorAll('svg.chart-throughput g.series path').length,
      points: document.querySelectorAll('svg.chart-throughput circle.point').length,
      bars: document.querySelectorAll('svg.chart-ratio rect.bar').length,
      tableRows: document.querySelectorAll('table.bench tbody tr').length,
      embedded: JSON.parse(document.getElementById('bench-report')!.textContent!),
      title: document.title,
    }));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws a throughput chart with one line per implementation and one point per measured case', () => {
    expect(dom.throughput).toBe(1);
    // The ceiling is the dashed reference line, not a series, when other implementations exist.
    expect(dom.series).toEqual(['engine', 'two-pass']);
    expect(dom.points).toBe(2 * SIZES.length);
    // The cases are sizes (n=1024, n=4096): a size axis, so each implementation's points are joined.
    expect(dom.lines).toBe(2);
  });

  it('draws the engine speed-up over each peer, one bar per case', () => {
    expect(dom.ratio).toBe(1);
    expect(dom.bars).toBe(SIZES.length);
  });

  it('holds the table and the report itself', () => {
    expect(dom.tableRows).toBe(report.rows.length);
    expect(dom.embedded).toEqual(JSON.parse(JSON.stringify(report)));
    expect(dom.title).toContain('(node)');
  });
});
