/**
 * One file-naming style (issue 21): every TypeScript, JavaScript, CSS, HTML and shell file is named
 * in kebab-case (lowercase words joined by hyphens, then its suffixes: `soft-threshold.ts`,
 * `label-smoothing.test.ts`, `lab-spec.d.ts`). WGSL files are the one exception, in snake_case:
 * a shader's file name is its key in the registry and in every dispatch (`shader: 'matmul_tiled'`,
 * `shaders.softmax_xent`), so it must be an identifier. Dotfiles (`.puppeteerrc.cjs`) are named by
 * the tools that read them.
 */
import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((p) => p && !p.startsWith('node_modules/') && !basename(p).startsWith('.'));

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+)*\.(?:ts|mts|mjs|cjs|js|css|html|sh)$/;
const SNAKE = /^[a-z0-9]+(?:_[a-z0-9]+)*\.wgsl$/;

describe('file names', () => {
  it('the patterns accept the style and refuse the others', () => {
    for (const ok of ['soft-threshold.ts', 'label-smoothing.test.ts', 'lab-spec.d.ts', 'wgsl-loader.mjs', 'style.css']) expect(ok).toMatch(KEBAB);
    for (const bad of ['softThreshold.ts', 'softmax_xent.ts', 'Page.ts', 'a--b.ts']) expect(bad).not.toMatch(KEBAB);
    expect('matmul_tiled.wgsl').toMatch(SNAKE);
    expect('matmul-tiled.wgsl').not.toMatch(SNAKE);
  });

  it('code files are kebab-case and WGSL files snake_case', () => {
    const code = tracked.filter((p) => /\.(ts|mts|mjs|cjs|js|css|html|sh)$/.test(p));
    const wgsl = tracked.filter((p) => p.endsWith('.wgsl'));
    expect(code.length).toBeGreaterThan(100);
    expect(wgsl.length).toBeGreaterThan(10);
    expect(code.filter((p) => !KEBAB.test(basename(p)))).toEqual([]);
    expect(wgsl.filter((p) => !SNAKE.test(basename(p)))).toEqual([]);
  });
});
