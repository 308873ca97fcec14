/**
 * One config for the browser pages (Vite) and the tests (Vitest).
 *
 * Pages: the demo site, one folder per page (demos/<name>/index.html, found by glob) and the landing
 * page demos/index.html. The pages the headless-Chromium tests drive (tests/browser/*.html) are built
 * only in mode 'e2e' and stay out of the production site. The MNIST digits reach pages as a compact
 * binary built here from the `mnist` package (engine/data/mnist-binary.ts), imported as
 * `virtual:mnist-bin` (its URL).
 * Tests run in three projects: every GPU test on Mesa lavapipe in Node; the kernel and op tests
 * again on SwiftShader in Node; and the end-to-end test in real headless Chromium. A GPU test never
 * skips: a missing adapter is a failure (locally and with CI=true).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { createRequire } from 'node:module';
import { encodeMnistBinary } from './engine/data/mnist-binary.ts';

const root = import.meta.dirname;

/** Every page of the site: the landing page and demos/<name>/index.html. */
function sitePages(): Record<string, string> {
  const pages: Record<string, string> = { demos: resolve(root, 'demos/index.html') };
  for (const d of readdirSync(resolve(root, 'demos'), { withFileTypes: true })) {
    const html = resolve(root, 'demos', d.name, 'index.html');
    if (d.isDirectory() && existsSync(html)) pages[`demos-${d.name}`] = html;
  }
  return pages;
}

/** The pages of the headless-Chromium tests. */
function testPages(): Record<string, string> {
  const dir = resolve(root, 'tests/browser');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.html'))
      .map((f) => [`test-${f.replace(/\.html$/, '')}`, resolve(dir, f)]),
  );
}

/** `virtual:mnist-bin`: the URL of the digits as one byte per pixel (emitted once per build, served in dev). */
function mnistBinary(): Plugin {
  const id = 'virtual:mnist-bin';
  let bytes: Promise<Uint8Array> | null = null;
  // The package's ten digit arrays ({ raw: number[] } each), as engine/data/mnist.ts loads them.
  const digits = (): Float32Array[] => (createRequire(import.meta.url)('mnist') as { raw: number[] }[]).map((d) => Float32Array.from(d.raw));
  const get = (): Promise<Uint8Array> => (bytes ??= Promise.resolve().then(() => encodeMnistBinary(digits())));
  let serve = false;
  return {
    name: 'mnist-binary',
    configResolved(c) {
      serve = c.command === 'serve';
    },
    resolveId: (source) => (source === id ? `\0${id}` : null),
    async load(resolved) {
      if (resolved !== `\0${id}`) return null;
      if (serve) return `export default '/@mnist-bin/mnist.bin';`;
      const ref = this.emitFile({ type: 'asset', name: 'mnist.bin', source: await get() });
      return `export default import.meta.ROLLUP_FILE_URL_${ref};`;
    },
    configureServer(server) {
      server.middlewares.use('/@mnist-bin/mnist.bin', (_req, res) => {
        void get().then((b) => {
          res.setHeader('content-type', 'application/octet-stream');
          res.end(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
        });
      });
    },
  };
}

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [mnistBinary()],
  // Pages import the engine by its package name, as an outside project would (package.json "exports").
  resolve: {
    alias: [
      { find: /^webgpu-regularization\/regularizers$/, replacement: resolve(root, 'regularizers/index.ts') },
      { find: /^webgpu-regularization\/io-node$/, replacement: resolve(root, 'engine/io/node.ts') },
      { find: /^webgpu-regularization\/io-browser$/, replacement: resolve(root, 'engine/io/browser.ts') },
      { find: /^webgpu-regularization$/, replacement: resolve(root, 'engine/index.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: mode === 'e2e' ? { ...sitePages(), ...testPages() } : sitePages(),
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Node's WebGPU (Dawn) and MNIST source, as the package's Node entry installs them (engine/node.ts).
    setupFiles: ['./engine/node-platform.ts'],
    // WEBGPU_TESTS=hardware runs every Node test once on the machine's own GPU (WEBGPU_ADAPTER=auto)
    // instead of on the two software adapters; the browser tests are unchanged.
    projects: [
      ...(process.env.WEBGPU_TESTS === 'hardware'
        ? [
            {
              extends: true as const,
              test: {
                name: 'hardware',
                include: ['tests/**/*.test.ts'],
                exclude: ['tests/browser/**', 'tests/lib/tarball.test.ts'],
                env: { WEBGPU_ADAPTER: 'auto' },
              },
            },
          ]
        : [
            {
              extends: true as const,
              test: {
                name: 'lavapipe',
                include: ['tests/**/*.test.ts'],
                exclude: ['tests/browser/**', 'tests/lib/tarball.test.ts'],
                env: { WEBGPU_ADAPTER: 'lavapipe' },
              },
            },
            {
              extends: true as const,
              test: {
                name: 'swiftshader',
                include: [
                  'tests/runtime/kernels.test.ts',
                  'tests/runtime/backpressure.test.ts',
                  'tests/runtime/prepare.test.ts',
                  'tests/ops/**/*.test.ts',
                  'tests/optim/**/*.test.ts',
                  'tests/random/**/*.test.ts',
                  'tests/autograd/**/*.test.ts',
                  'tests/nn/**/*.test.ts',
                  'tests/data/**/*.test.ts',
                  'tests/train/loop.test.ts',
                  'tests/train/hooks.test.ts',
                  'tests/train/trainer.test.ts',
                  'tests/train/step-masks.test.ts',
                  'tests/regularizers/**/*.test.ts',
                  'tests/io/**/*.test.ts',
                  'tests/property/**/*.test.ts',
                  'tests/reliability/**/*.test.ts',
                  'tests/tune/**/*.test.ts',
                ],
                env: { WEBGPU_ADAPTER: 'swiftshader' },
              },
            },
          ]),
      {
        extends: true,
        test: {
          name: 'chromium',
          // The packed-tarball test drives Chromium too (tests/lib/tarball.test.ts).
          include: ['tests/browser/**/*.test.ts', 'tests/lib/tarball.test.ts'],
          // One browser test file at a time: each builds the site and drives Chromium on 2 cores.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
}));
