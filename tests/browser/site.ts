/**
 * Shared set-up of the demo pages' end-to-end tests: build the site once per test file (Vite, mode
 * 'e2e'), serve it on 127.0.0.1, open a page in headless Chromium (SwiftShader), collect console
 * errors, wait on the page's test hook (`window.__demo.ready`), and save a screenshot under
 * out/screenshots/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { build, preview, type PreviewServer } from 'vite';
import { launchChromium } from '../../bench/browser';

/** A served site and a browser. */
export interface Site {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Builds the site into dist/<outDir> and serves it; opens Chromium. */
export async function serveSite(outDir: string): Promise<Site> {
  await build({ mode: 'e2e', logLevel: 'warn', build: { outDir } });
  const server: PreviewServer = await preview({ logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const browser = await launchChromium();
  return {
    url,
    browser,
    close: async () => {
      await browser.close();
      await new Promise<void>((done) => server.httpServer.close(() => done()));
    },
  };
}

/** An open demo page and the console errors it logged. */
export interface OpenPage {
  page: Page;
  errors: string[];
}

/** Opens `path` (e.g. `demos/dropout/`), collecting console errors and page errors. */
export async function openPage(site: Site, path: string, viewport = { width: 1280, height: 900 }): Promise<OpenPage> {
  const page = await site.browser.newPage();
  await page.setViewport(viewport);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${site.url}${path}`);
  return { page, errors };
}

/** Waits until `window.__demo.ready` (or an error, which throws with the console's errors). */
export async function waitReady(p: OpenPage, timeoutMs = 240_000): Promise<void> {
  await p.page.waitForFunction('window.__demo && (window.__demo.ready || window.__demo.error)', { timeout: timeoutMs });
  const err = (await p.page.evaluate('window.__demo.error')) as string | undefined;
  if (err) throw new Error(`the page failed: ${err}\n${p.errors.join('\n')}`);
}

/** Waits until the expression (evaluated in the page) is truthy. */
export async function waitFor(p: OpenPage, expression: string, timeoutMs = 240_000): Promise<void> {
  await p.page.waitForFunction(expression, { timeout: timeoutMs, polling: 250 });
}

/** Saves a full-page screenshot to out/screenshots/<name>.png and returns its path. */
export async function screenshot(p: OpenPage, name: string): Promise<string> {
  const dir = resolve(import.meta.dirname, '../../out/screenshots');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}.png`);
  await p.page.screenshot({ path: file, fullPage: true });
  return file;
}
