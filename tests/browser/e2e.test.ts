/**
 * End to end in real headless Chromium: Vite builds the pages, a preview server serves them on
 * 127.0.0.1 (navigator.gpu needs a secure context), puppeteer opens tests/browser/kernels.html on
 * Debian's Chromium with SwiftShader, and the page runs the kernels through navigator.gpu. This
 * file recomputes every output on the CPU and compares: elementwise outputs bit for bit (digest of
 * the bytes), sums within the f32 summation bound of tests/runtime/kernels.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, preview, type PreviewServer } from 'vite';
import type { Browser } from 'puppeteer';
import { launchChromium } from '../../bench/browser';
import { fnv1a, randomArray, sumReference } from '../helpers/random';
import { E2E_LENGTHS, type E2eReport } from './e2e-contract';

let server: PreviewServer;
let browser: Browser;
let report: E2eReport;

beforeAll(async () => {
  await build({ logLevel: 'warn', build: { outDir: 'dist/e2e' } });
  server = await preview({ logLevel: 'warn', build: { outDir: 'dist/e2e' }, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  browser = await launchChromium();
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(`${url}tests/browser/kernels.html`);
  await page.waitForFunction('window.__e2e !== undefined', { timeout: 240_000 });
  const got = (await page.evaluate('window.__e2e')) as E2eReport | { error: string };
  if ('error' in got) throw new Error(`the page failed: ${got.error}\n${logs.join('\n')}`);
  report = got;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
});

describe('kernels in headless Chromium (navigator.gpu)', () => {
  it('runs on the browser WebGPU adapter (SwiftShader here)', () => {
    expect(report.adapter.host).toBe('browser');
    expect(report.adapter.architecture).toBe('swiftshader');
    expect(report.adapter.isFallbackAdapter).toBe(true);
    expect(report.userAgent).toMatch(/HeadlessChrome|Chrome/);
  });

  it('elementwise outputs equal the CPU reference bit for bit at every length', () => {
    let checked = 0;
    for (const n of E2E_LENGTHS) {
      const a = randomArray(n, 1 + n);
      const b = randomArray(n, 2 + n);
      const want: Record<string, Float32Array> = {
        add: a.map((x, i) => x + b[i]),
        mul: a.map((x, i) => x * b[i]),
        scale: a.map((x) => -0.75 * x),
        relu: a.map((x) => Math.max(x, 0)),
        fill: new Float32Array(n).fill(2.5),
      };
      for (const [kernel, ref] of Object.entries(want)) {
        const r = report.results.find((x) => x.kernel === kernel && x.n === n);
        expect(r, `${kernel} n=${n}`).toBeDefined();
        expect(r!.length).toBe(n);
        expect(r!.digest, `${kernel} n=${n}`).toBe(fnv1a(ref));
        checked++;
      }
    }
    expect(checked).toBe(E2E_LENGTHS.length * 5);
  });

  it('sums match an f64 CPU sum within the f32 summation bound', () => {
    for (const n of E2E_LENGTHS) {
      const a = randomArray(n, 1 + n);
      const ref = sumReference(a);
      const r = report.results.find((x) => x.kernel === 'sum' && x.n === n);
      expect(r?.value, `sum n=${n}`).toBeTypeOf('number');
      expect(Math.abs(r!.value! - ref.sum)).toBeLessThanOrEqual(ref.bound);
    }
  });
});
