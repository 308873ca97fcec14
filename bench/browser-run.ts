/**
 * The browser half of `npm run bench`: Vite builds the benchmark page (demos/bench/index.html), a preview
 * server serves it on 127.0.0.1 (navigator.gpu needs a secure context), headless Chromium opens it
 * with the run's options in the query string, the page runs the suites on its own WebGPU adapter and
 * hands the report to Node through an exposed function (`window.__benchResult`). The page's progress
 * lines (console `[bench] ...`) are passed on. Node only.
 */
import { resolve } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import type { Browser } from 'puppeteer';
import { launchChromium } from './browser';
import { pageQuery, type CliOptions } from './cli-args';
import type { BenchReport } from './report/types';

/** What the page reports: the report, or why it failed. */
export type PageResult = BenchReport | { error: string };

/** Options of {@link runInChromium}. */
export interface ChromiumRunOptions
  extends Pick<CliOptions, 'suites' | 'sizes' | 'samples' | 'tiny' | 'full' | 'browser' | 'gpuFlags' | 'browserFlags' | 'timeoutS'> {
  /** Progress lines from the page. */
  log?: (line: string) => void;
  /** Where Vite writes the page's build (default dist/bench; emptied first). */
  buildDir?: string;
}

const PROGRESS_PREFIX = '[bench] ';

/** Builds and serves the page, runs it in headless Chromium and returns the page's report. */
export async function runInChromium(opts: ChromiumRunOptions): Promise<BenchReport> {
  const root = resolve(import.meta.dirname, '..');
  const outDir = opts.buildDir ?? 'dist/bench';
  const log = opts.log ?? (() => {});
  log('building the benchmark page (vite build)');
  await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await preview({ root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview did not report a URL');
    browser = await launchChromium({ executablePath: opts.browser, gpuFlags: opts.gpuFlags, extraFlags: opts.browserFlags });
    log(`browser: ${await browser.version()}`);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    // The page hands its result to Node through an exposed function, so that waiting for it needs
    // no evaluation inside the page (which a long GPU call could keep busy past the protocol timeout).
    const result = new Promise<PageResult>((done, fail) => {
      void page.exposeFunction('__benchResult', (json: string) => done(JSON.parse(json) as PageResult));
      page.on('error', (e) => fail(new Error(`the benchmark page crashed: ${e.message}`)));
      page.on('close', () => fail(new Error('the benchmark page was closed before it finished')));
      setTimeout(() => fail(new Error(`the benchmark page did not finish within ${opts.timeoutS} s (--timeout)`)), opts.timeoutS * 1000).unref();
    });
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith(PROGRESS_PREFIX)) log(text.slice(PROGRESS_PREFIX.length));
      else if (m.type() === 'error') pageErrors.push(text);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${url}demos/bench/index.html?${pageQuery(opts)}`);
    const got = await result;
    if ('error' in got) throw new Error(`the benchmark page failed: ${got.error}${pageErrors.length ? `\n${pageErrors.join('\n')}` : ''}`);
    return got;
  } finally {
    await browser?.close();
    const s = server;
    if (s) await new Promise<void>((done) => s.httpServer.close(() => done()));
  }
}
