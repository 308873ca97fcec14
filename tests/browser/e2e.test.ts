/**
 * End to end in real headless Chromium: Vite builds the pages, a preview server serves them on
 * 127.0.0.1 (navigator.gpu needs a secure context), puppeteer opens tests/browser/kernels.html on
 * Debian's Chromium with SwiftShader, and the page runs the kernels through navigator.gpu. This
 * file recomputes every output on the CPU and compares: elementwise outputs bit for bit (digest of
 * the bytes), sums within the f32 summation bound of tests/runtime/kernels.test.ts.
 *
 * Then tests/browser/regularizers.html trains a small network with every regularizer together in
 * the browser; this file checks what it reports against CPU recomputations (a translation, a
 * label-smoothed loss) and the techniques' defining properties, and recomputes the whole run: the
 * same code (./regularizers-run.ts) on the same software driver, SwiftShader, from Node (Dawn's
 * binding instead of Chromium's). Every random draw is keyed by (seed, stream, step) and the kernels
 * are the same WGSL, so the two runs must agree: the training losses, the early-stopping
 * evaluations and best step, the weights' zeros and column norms, the Monte-Carlo spread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, preview, type PreviewServer } from 'vite';
import type { Browser } from 'puppeteer';
import { launchChromium } from '../../bench/browser';
import { fnv1a, randomArray, sumReference } from '../helpers/random';
import { Runtime } from '../../engine/index';
import { E2E_LENGTHS, type E2eReport } from './e2e-contract';
import type { RegularizersReport } from './regularizers-contract';
import { runRegularizers } from './regularizers-run';

let server: PreviewServer;
let browser: Browser;
let report: E2eReport;
let regs: RegularizersReport;
/** The same run, recomputed in Node on SwiftShader. */
let nodeRegs: RegularizersReport;

beforeAll(async () => {
  await build({ mode: 'e2e', logLevel: 'warn', build: { outDir: 'dist/e2e' } });
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
  const regPage = await browser.newPage();
  regPage.on('console', (m) => logs.push(m.text()));
  regPage.on('pageerror', (e) => logs.push(String(e)));
  await regPage.goto(`${url}tests/browser/regularizers.html`);
  await regPage.waitForFunction('window.__regularizers !== undefined', { timeout: 240_000 });
  const r = (await regPage.evaluate('window.__regularizers')) as RegularizersReport | { error: string };
  if ('error' in r) throw new Error(`the regularizers page failed: ${r.error}\n${logs.join('\n')}`);
  regs = r;
  const rt = await Runtime.create({ adapter: 'swiftshader' });
  try {
    nodeRegs = await runRegularizers(rt);
  } finally {
    rt.destroy();
  }
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

describe('regularizers in headless Chromium (navigator.gpu)', () => {
  it('trains with every regularizer at once: the run recomputed in Node on the same driver gives the same losses and evaluations', () => {
    expect(regs.adapter).toMatch(/swiftshader/i);
    expect(nodeRegs.adapter).toMatch(/swiftshader/i);
    expect(regs.trainLoss.every(Number.isFinite)).toBe(true);
    expect(regs.stepsTaken).toBe(nodeRegs.stepsTaken);
    expect(regs.stoppedBy).toBe(nodeRegs.stoppedBy);
    expect(regs.trainLoss).toEqual(nodeRegs.trainLoss);
    expect(regs.valAccuracy).toEqual(nodeRegs.valAccuracy);
    expect(regs.stepMetrics).toBe(regs.stepsTaken);
    expect(regs.earlyStopping.evaluations).toBe(Math.floor(regs.stepsTaken / 8));
    expect(regs.earlyStopping).toEqual(nodeRegs.earlyStopping);
    // The penalties and the momentum direction fuse into one dispatch.
    expect(regs.updateDispatches).toBe(1);
    expect(regs.leakedTensors).toBe(0);
  });

  it('max-norm bounds every column, proximal L1 leaves exact zeros, MC dropout has a spread: as recomputed in Node', () => {
    // The projection rescales to exactly c in f32; the norm recomputed in f64 may exceed c by a few ulps.
    expect(regs.maxColumnNorm).toBeLessThanOrEqual(regs.maxNormC * (1 + 1e-5));
    expect(regs.maxColumnNorm).toBe(nodeRegs.maxColumnNorm);
    expect(regs.zeroFraction).toBe(nodeRegs.zeroFraction);
    expect(regs.zeroFraction).toBeGreaterThan(0);
    expect(regs.mcMeanStd).toBe(nodeRegs.mcMeanStd);
    expect(regs.mcMeanStd).toBeGreaterThan(0);
  });

  it('softmax regression: the geometric mean over all masks equals weight scaling (eq. 7.56-7.66)', () => {
    // Probabilities of 3 classes from 64 masks, each an f32 softmax: 1e-5 absolute.
    expect(regs.geometricMeanGap).toBeLessThanOrEqual(1e-5);
  });

  it('a translation by (2, -1) moves every pixel exactly, zero-filling the edges', () => {
    const want: number[] = [];
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const sx = x - 2;
        const sy = y + 1;
        want.push(sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? regs.translateInput[sy * 28 + sx] : 0);
      }
    }
    expect(regs.translateOutput).toEqual(want);
  });

  it('the fused label-smoothed cross-entropy equals the book closed form', () => {
    const { logits, labels, k, epsilon, loss } = regs.smoothing;
    let total = 0;
    labels.forEach((label, r) => {
      const z = logits.slice(r * k, r * k + k);
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      z.forEach((v, c) => (total += (c === label ? 1 - epsilon : epsilon / (k - 1)) * (lse - v)));
    });
    // A mean of 3 rows of 5 f32 terms of order 1: 1e-5 relative.
    expect(Math.abs(loss - total / labels.length)).toBeLessThanOrEqual(1e-5 * (total / labels.length));
  });
});
