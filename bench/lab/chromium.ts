/**
 * `npm run lab` in headless Chromium: esbuild bundles the runner page (bench/lab/browser-entry.ts)
 * with the spec file wherever it lives (its import `lab-spec` resolved to it), a small static
 * server serves the bundle on 127.0.0.1 (WebGPU needs a secure context), and the page hands its
 * report back through an exposed function. esbuild rather than a Vite build: the bundle is one
 * entry, built in about a second, and needs nothing from the site's config. Node only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { launchChromium } from '../browser';
import type { LabParams } from './spec';
import type { LabReport } from './suite';

/** The error a page reports: its name, message and, for WGSL, the compiler's messages. */
export interface PageError {
  name: string;
  message: string;
  stack?: string;
  file?: string;
  messages?: { type: 'error' | 'warning' | 'info'; message: string; line: number; column: number }[];
}

/** Options of {@link runLabInChromium}. */
export interface ChromiumLabOptions {
  /** The spec file, or a preset's name. */
  spec: { file: string } | { preset: string };
  params: LabParams;
  samples: number;
  tiny: boolean;
  peers: string[];
  timeoutS: number;
  log(line: string): void;
}

/** `import x from './a.wgsl?raw'` as text, as Vite does. */
const rawText: Plugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = join(dir, (req.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

/** Bundles, serves and runs the spec in headless Chromium; returns the report or the page's error. */
export async function runLabInChromium(o: ChromiumLabOptions): Promise<LabReport | { error: PageError }> {
  const root = resolve(import.meta.dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 'kernel-lab-'));
  const specModule = join(dir, 'spec-entry.ts');
  const specFile = 'file' in o.spec ? resolve(o.spec.file) : `preset: ${o.spec.preset}`;
  writeFileSync(
    specModule,
    'file' in o.spec
      ? `export { default } from ${JSON.stringify(specFile)};\n`
      : `import { presetByName } from ${JSON.stringify(join(root, 'bench/lab/presets/index.ts'))};\nexport default presetByName(${JSON.stringify(o.spec.preset)});\n`,
  );
  let server: Server | undefined;
  const browser = await (async () => {
    o.log('bundling the runner page (esbuild)');
    await build({
      entryPoints: [join(root, 'bench/lab/browser-entry.ts')],
      bundle: true,
      format: 'esm',
      splitting: true,
      platform: 'browser',
      target: 'es2022',
      outdir: dir,
      logLevel: 'error',
      alias: { 'lab-spec': specModule },
      // The engine reads a few debug switches from process.env when it exists (Vite gives pages none either).
      define: { 'process.env': '{}' },
      plugins: [rawText],
      nodePaths: [join(root, 'node_modules')],
    });
    const config = JSON.stringify({ params: o.params, samples: o.samples, tiny: o.tiny, peers: o.peers, specFile }).replace(/</g, '\\u003c');
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><meta charset="utf-8"><title>kernel lab</title><script type="application/json" id="lab-config">${config}</script><script type="module" src="./browser-entry.js"></script>`,
    );
    const s = await serve(dir);
    server = s.server;
    const b = await launchChromium();
    o.log(`browser: ${await b.version()}`);
    return { b, url: s.url };
  })();
  try {
    const page = await browser.b.newPage();
    const pageErrors: string[] = [];
    const result = new Promise<LabReport | { error: PageError }>((done, fail) => {
      void page.exposeFunction('__labResult', (json: string) => done(JSON.parse(json) as LabReport | { error: PageError }));
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      setTimeout(() => fail(new Error(`the lab page did not finish within ${o.timeoutS} s (--timeout)\n${pageErrors.join('\n')}`)), o.timeoutS * 1000).unref();
    });
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[lab] ')) o.log(text.slice(6));
      else if (m.type() === 'error') pageErrors.push(text);
    });
    await page.goto(browser.url);
    return await result;
  } finally {
    await browser.b.close();
    const s = server;
    if (s) await new Promise<void>((done) => s.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  }
}
