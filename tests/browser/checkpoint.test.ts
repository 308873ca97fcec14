/**
 * Checkpoints in headless Chromium (SwiftShader): tests/browser/checkpoint.html trains a small
 * network, stores a checkpoint in IndexedDB and offers it as a download; after a reload, a fresh
 * model and optimizer load it back bit for bit (a truncated copy is refused first and changes
 * nothing). The download really happens: Chromium writes it to a folder this test chooses, and the
 * file holds the page's state under the checkpoint's names.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/browser';
import { decodeSafetensors } from '../../engine/io/index';
import { fnv1a } from '../helpers/random';
import { CHECKPOINT_KEY, DOWNLOAD_NAME, type LoadReport, type SaveReport } from './checkpoint.contract';
import { openPage, type Site } from './site';

let site: Site;
const downloads = mkdtempSync(join(tmpdir(), 'ckpt-dl-'));

// Only this page is built (the whole e2e site takes far longer and is not needed here): the same
// Vite, without the site's config (the page imports the engine by path and needs no plugin).
beforeAll(async () => {
  const root = resolve(import.meta.dirname, '../..');
  const outDir = resolve(root, 'dist/e2e-checkpoint');
  const common = { configFile: false as const, root, base: './', logLevel: 'warn' as const };
  await build({
    ...common,
    build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: { checkpoint: resolve(root, 'tests/browser/checkpoint.html') } } },
  });
  const server = await preview({ ...common, build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const browser = await launchChromium();
  site = {
    url,
    browser,
    close: async () => {
      await browser.close();
      await new Promise<void>((done) => server.httpServer.close(() => done()));
    },
  };
});

afterAll(async () => {
  await site?.close();
  rmSync(downloads, { recursive: true, force: true });
});

async function report<T>(path: string): Promise<T> {
  const p = await openPage(site, path);
  await p.page.waitForFunction('window.__checkpoint !== undefined', { timeout: 240_000 });
  const r = (await p.page.evaluate('window.__checkpoint')) as T | { error: string };
  if (r && typeof r === 'object' && 'error' in r) throw new Error(`the page failed: ${r.error}\n${p.errors.join('\n')}`);
  expect(p.errors).toEqual([]);
  await p.page.close();
  return r as T;
}

async function waitForFile(path: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`no download at ${path} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('checkpoints in the browser', () => {
  it('saves to IndexedDB and as a download; after a reload, loads back bit for bit', async () => {
    // Downloads of every page of this browser go to `downloads`.
    const cdp = await site.browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
    const done = new Promise<string>((resolve) => {
      cdp.on('Browser.downloadProgress', (e: { state: string; guid: string }) => {
        if (e.state === 'completed') resolve(e.guid);
      });
    });

    const saved = await report<SaveReport>('tests/browser/checkpoint.html?phase=save');
    expect(saved.adapter).toMatch(/swiftshader/i);
    expect(saved.storedKeys).toContain(CHECKPOINT_KEY);
    expect(saved.download).toEqual({ name: DOWNLOAD_NAME, blobUrl: true });
    expect(saved.state.steps).toBe(4);

    // The download: the very bytes the page saved, holding the page's state under the checkpoint's names.
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('the download did not complete in 60 s')), 60_000))]);
    const file = join(downloads, DOWNLOAD_NAME);
    await waitForFile(file, 10_000);
    const bytes = new Uint8Array(readFileSync(file));
    expect(bytes.length).toBe(saved.bytes);
    expect(fnv1a(bytes)).toBe(saved.digest);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata.step).toBe('4');
    for (const [name, bits] of Object.entries({ ...saved.state.params, ...saved.state.buffers })) {
      const t = decoded.tensors.get(name);
      expect(t, name).toBeDefined();
      expect(Array.from(new Uint32Array(t!.data.buffer, t!.data.byteOffset, t!.data.length)), name).toEqual(bits);
    }

    // A new page load reads it back from IndexedDB.
    const loaded = await report<LoadReport>('tests/browser/checkpoint.html?phase=load');
    expect(loaded.bytes).toBe(saved.bytes);
    expect(loaded.digest).toBe(saved.digest);
    expect(loaded.before.params).not.toEqual(saved.state.params);
    expect(loaded.before.slots).not.toEqual(saved.state.slots);
    expect(loaded.truncatedError).toMatch(/^safetensors: tensor "[^"]+" ends at data offset \d+ .* \(truncated\?\)$/);
    expect(loaded.afterRefusal).toEqual(loaded.before);
    expect(loaded.step).toBe(4);
    expect(loaded.after).toEqual(saved.state);
    expect(loaded.keysAfterDelete).not.toContain(CHECKPOINT_KEY);
    await cdp.detach();
  });
});
