/**
 * The demo site's landing page in headless Chromium: it lists every page found by glob (each
 * demos/<name>/meta.ts) with a link to it and loads with no console errors.
 */
import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
