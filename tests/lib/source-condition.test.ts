/**
 * A clone imports the package by name without building: every export has a
 * `webgpu-regularization-source` condition pointing at the TypeScript sources (package.json).
 * Checked with Node's own resolver (self-reference by package name), and by opening a runtime
 * through the name under tsx, as a script in a checkout would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const CONDITION = '--conditions=webgpu-regularization-source';

/** What Node resolves `specifier` to from inside the repository, with or without the condition. */
function resolved(specifier: string, withCondition: boolean): string {
  const code = `console.log(import.meta.resolve(${JSON.stringify(specifier)}))`;
  const args = [...(withCondition ? [CONDITION] : []), '--input-type=module', '-e', code];
  return execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' }).trim();
}

describe('the package by name in a checkout', () => {
  it('resolves every export to its source file under the source condition, and to dist/lib without it', () => {
    const sources: Record<string, string> = {
      'webgpu-regularization': 'engine/node.ts',
      'webgpu-regularization/regularizers': 'regularizers/index.ts',
      'webgpu-regularization/io-node': 'engine/io/node.ts',
      'webgpu-regularization/io-browser': 'engine/io/browser.ts',
    };
    for (const [specifier, file] of Object.entries(sources)) {
      expect(existsSync(resolve(repo, file))).toBe(true);
      expect(resolved(specifier, true)).toBe(pathToFileURL(resolve(repo, file)).href);
      expect(resolved(specifier, false)).toMatch(/\/dist\/lib\/[\w-]+\.js$/);
    }
  });

  it('opens a runtime through the package name from the sources (tsx, the WGSL loader)', () => {
    const code =
      "import { Runtime } from 'webgpu-regularization'; const rt = await Runtime.create(); console.log(rt.info.host); rt.destroy(); process.exit(0);";
    const out = execFileSync('npx', ['tsx', CONDITION, '--import', './scripts/wgsl-loader.mjs', '--input-type=module', '-e', code], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(out.trim().split('\n').pop()).toBe('node');
  });
});
