/**
 * The engine as a package (`npm run build:lib`): ES modules in dist/lib, the WGSL inlined as strings.
 *
 * Entries: `engine` (engine/index.ts, browser-safe) and `node` (engine/node.ts: the same plus Node's
 * WebGPU from the `webgpu` package and the digits of the `mnist` package), picked by package.json's
 * `node`/`default` export conditions for `webgpu-regularization`; `regularizers`; and the checkpoint
 * file helpers `io-node` (atomic files) and `io-browser` (download, IndexedDB). Shared code goes
 * into chunks, so Node and browser entries share one engine. `webgpu`, `mnist` and `node:*` stay
 * outside the bundle and are reachable only from the Node-only entries (tests/lib checks).
 *
 * The WGSL is inlined without its comments, and the registry's kernels are reflected here, at build time (shaders/reflections.ts is replaced by
 * the table), so the WGSL parser is only a lazy chunk for kernels a page compiles itself.
 * Declarations come from tsconfig.lib.json into dist/lib/types (scripts/dts-extensions.mjs then
 * gives their relative imports the `.js` extensions that `nodenext` resolution needs).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin, runnerImport } from 'vite';
import type { KernelReflection } from './engine/runtime/kernel.ts';
import type { LibraryName } from './shaders/index.ts';

const root = import.meta.dirname;

/**
 * WGSL files without their comments and indentation: the sources explain each kernel at length for
 * a reader, which a page need not download. Every line stays (emptied where it was only a
 * comment), so compile errors still name the source file's line.
 */
function compactWgsl(): Plugin {
  return {
    name: 'compact-wgsl',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.wgsl?raw')) return null;
      const lines = readFileSync(id.slice(0, -'?raw'.length), 'utf8').split('\n');
      const text = lines.map((line) => line.replace(/\/\/.*$/, '').trim()).join('\n');
      return `export default ${JSON.stringify(text)};`;
    },
  };
}

/** Fills shaders/reflections.ts in with every registry kernel reflected (engine/runtime/reflect.ts). */
function buildTimeReflection(): Plugin {
  const target = resolve(root, 'shaders/reflections.ts');
  const marker = 'const packed: PackedReflections = { uniforms: [], bindings: [], kernels: [] };';
  return {
    name: 'build-time-reflection',
    enforce: 'pre',
    async load(id) {
      if (id !== target) return null;
      // The registry as the build sees it (compacted WGSL), so the keys match the bundle's text.
      const config = { configFile: false as const, root, plugins: [compactWgsl()] };
      const [registry, kernel, reflect, table] = await Promise.all([
        runnerImport<typeof import('./shaders/index.ts')>(resolve(root, 'shaders/index.ts'), config),
        runnerImport<typeof import('./engine/runtime/kernel.ts')>(resolve(root, 'engine/runtime/kernel.ts'), config),
        runnerImport<typeof import('./engine/runtime/reflect.ts')>(resolve(root, 'engine/runtime/reflect.ts'), config),
        runnerImport<typeof import('./shaders/reflections.ts')>(target, config),
      ]);
      const { shaders, shaderLibraries, shaderFile } = registry.module;
      const reflected = new Map<string, KernelReflection>();
      for (const [name, entry] of Object.entries(shaders)) {
        const uses: readonly LibraryName[] = 'uses' in entry ? entry.uses : [];
        const code = kernel.module.kernelCode([
          ...uses.map((lib) => ({ file: shaderFile(lib), source: shaderLibraries[lib] })),
          { file: shaderFile(name), source: entry.source },
        ]);
        reflected.set(kernel.module.reflectionKey(code), reflect.module.reflectKernel(shaderFile(name), code));
      }
      const source = readFileSync(target, 'utf8');
      if (source.split(marker).length !== 2) this.error(`${target} must contain the line this build fills in exactly once: ${marker}`);
      return source.replace(marker, `const packed: PackedReflections = ${JSON.stringify(table.module.packReflections(reflected))};`);
    },
  };
}

export default defineConfig({
  root,
  plugins: [compactWgsl(), buildTimeReflection()],
  build: {
    outDir: 'dist/lib',
    emptyOutDir: false,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    lib: {
      entry: {
        engine: resolve(root, 'engine/index.ts'),
        node: resolve(root, 'engine/node.ts'),
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
