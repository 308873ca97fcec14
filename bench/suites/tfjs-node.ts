/**
 * tfjs in Node. tfjs-core's ES modules import each other without file extensions and its CommonJS
 * build leaves out the gradients, so Node cannot load tfjs-core + gradients + the webgpu backend as
 * published. Vite (a devDependency) bundles the three into one ES module for Node in a fresh
 * temporary directory under node_modules/.cache (under a second here), which is then imported. Node only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TF from '@tensorflow/tfjs-core';

/** Bundles and imports tfjs-core with all gradients registered and the webgpu backend. */
export async function importTfjsForNode(): Promise<typeof TF> {
  const { build } = await import('vite');
  const root = resolve(import.meta.dirname, '../..');
  // Inside the project, so that the entry resolves the packages in node_modules.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'bench-tfjs-'));
  const entry = join(dir, 'entry.js');
  writeFileSync(
    entry,
    [
      "export * from '@tensorflow/tfjs-core';",
      "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
      "import '@tensorflow/tfjs-backend-webgpu';",
      '',
    ].join('\n'),
  );
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: { ssr: entry, outDir: dir, emptyOutDir: false, minify: false, rollupOptions: { output: { entryFileNames: 'tfjs.mjs' } } },
    ssr: { noExternal: true, target: 'node' },
  });
  try {
    return (await import(pathToFileURL(join(dir, 'tfjs.mjs')).href)) as typeof TF;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
