/**
 * One config for the browser pages (Vite) and the tests (Vitest).
 *
 * Pages: demos/index.html and the page the headless-Chromium test drives (tests/browser/kernels.html).
 * Tests run in three projects: every GPU test on Mesa lavapipe in Node; the kernel and op tests
 * again on SwiftShader in Node; and the end-to-end test in real headless Chromium. A GPU test never
 * skips: a missing adapter is a failure (locally and with CI=true).
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        demos: resolve(root, 'demos/index.html'),
        kernels: resolve(root, 'tests/browser/kernels.html'),
        regularizers: resolve(root, 'tests/browser/regularizers.html'),
        bench: resolve(root, 'demos/bench.html'),
      },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'lavapipe',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/browser/**'],
          env: { WEBGPU_ADAPTER: 'lavapipe' },
        },
      },
      {
        extends: true,
        test: {
          name: 'swiftshader',
          include: ['tests/runtime/kernels.test.ts', 'tests/ops/**/*.test.ts', 'tests/optim/**/*.test.ts', 'tests/random/**/*.test.ts', 'tests/autograd/**/*.test.ts', 'tests/nn/**/*.test.ts', 'tests/data/**/*.test.ts', 'tests/train/loop.test.ts', 'tests/train/hooks.test.ts', 'tests/regularizers/**/*.test.ts'],
          env: { WEBGPU_ADAPTER: 'swiftshader' },
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: ['tests/browser/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
