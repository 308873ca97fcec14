/**
 * The demo site's landing page in headless Chromium: it lists every page found by glob (each
 * demos/<name>/meta.ts) with a link to it and loads with no console errors. And a page opened in a
 * Chromium without WebGPU says so plainly, with how to enable it.
 */
import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/browser';
import { openPage, screenshot, serveSite, waitReady, type Site } from './site';

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-landing');
});

afterAll(async () => {
  await site?.close();
});

describe('the landing page', () => {
  it('lists every demo page with a link, and logs no errors', async () => {
    const p = await openPage(site, 'demos/');
    await waitReady(p);
    const demos = resolve(import.meta.dirname, '../../demos');
    const names = readdirSync(demos).filter((d) => existsSync(resolve(demos, d, 'meta.ts')));
    const links = (await p.page.$$eval('a.card', (as) => as.map((a) => a.getAttribute('href')))) as string[];
    expect(links.sort()).toEqual(names.map((n) => `./${n}/`).sort());
    await screenshot(p, 'landing');
    expect(p.errors).toEqual([]);
  });
});

describe('a page without WebGPU', () => {
  it('says plainly that WebGPU is missing and how to enable it', async () => {
    // Chromium on Linux without --enable-unsafe-webgpu: no usable WebGPU.
    const plain = await launchChromium({ gpuFlags: ['--no-sandbox'] });
    try {
      const page = await plain.newPage();
      await page.goto(`${site.url}demos/dropout/`);
      await page.waitForFunction('window.__demo && window.__demo.error', { timeout: 60_000 });
      const status = (await page.$eval('.status', (e) => e.textContent ?? '')) as string;
      expect(status).toMatch(/WebGPU/);
      expect(status).toMatch(/enable-unsafe-webgpu/);
      expect(await page.$$('canvas')).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });
});
