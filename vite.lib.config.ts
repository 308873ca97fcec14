/**
 * The engine as a package (`npm run build:lib`): ES modules for `webgpu-regularization` (the engine,
 * engine/index.ts) and `webgpu-regularization/regularizers` (regularizers/index.ts) in dist/lib, with the checkpoint file helpers of each platform as
 * `webgpu-regularization/io-node` (atomic files) and `webgpu-regularization/io-browser` (download, IndexedDB), the
 * WGSL inlined as strings. Declarations come from tsconfig.lib.json into dist/lib/types. Node's Dawn
 * binding (`webgpu`) is loaded at run time only in Node, and the `mnist` package only when a caller
 * loads the digits with loadMnist: both stay outside the bundle.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  build: {
    outDir: 'dist/lib',
    emptyOutDir: false,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: {
        engine: resolve(root, 'engine/index.ts'),
        regularizers: resolve(root, 'regularizers/index.ts'),
        'io-node': resolve(root, 'engine/io/node.ts'),
        'io-browser': resolve(root, 'engine/io/browser.ts'),
      },
      formats: ['es'],
    },
    rolldownOptions: {
      external: ['webgpu', 'mnist', /^node:/],
    },
  },
});
