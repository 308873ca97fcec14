/**
 * Rules for the demo pages (issue 21), checked mechanically:
 *   - markup enters the page only through demos/shared/dom.ts's `html`/`setHtml`: no `innerHTML`
 *     (nor `outerHTML`, `insertAdjacentHTML`) anywhere else in demos/;
 *   - no helper is defined in two files of demos/ outside the kit (demos/shared): a helper two pages
 *     need belongs in the kit, and one file per page keeps its own;
 *   - every page's main.ts wires sections together and stays within 150 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const demos = join(root, 'demos');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const files = walk(demos).map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));
const pageFiles = files.filter((f) => !f.path.startsWith('demos/shared/'));
const KIT_DOM = 'demos/shared/dom.ts';
/** Names each page defines for its own role (its meta, its list of sources), not shared helpers. */
const ROLE_NAMES = new Set(['meta', 'SOURCES']);
const MAX_MAIN_LINES = 150;

/** Top-level function declarations and arrow/function constants of a file. */
function topLevelHelpers(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^(?:export\s+)?(?:async\s+)?function\s*\*?\s*(\w+)/.exec(line) ??
      /^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:<[^>]*>\s*)?(?:\([^)]*\)|\w+)\s*(?::\s*[^=]+)?=>/.exec(line) ??
      /^(?:export\s+)?const\s+(\w+)\s*=\s*(?:async\s+)?function\b/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

describe('demo pages', () => {
  it('the helper scanner finds declarations and arrow constants, and skips nested ones', () => {
    const text = [
      'function a() {}',
      'export async function b(x: number) {}',
      'const c = (x: number): string => String(x);',
      'export const d = <T>(job: () => T): T => job();',
      'const e = 3;',
      '  function nested() {}',
      'const f = async (x) => x;',
    ].join('\n');
    expect(topLevelHelpers(text)).toEqual(['a', 'b', 'c', 'd', 'f']);
  });

  it('markup is set only through the kit (no innerHTML, outerHTML or insertAdjacentHTML elsewhere)', () => {
    const offenders = files
      .filter((f) => f.path !== KIT_DOM)
      .flatMap((f) =>
        f.text
          .split('\n')
          .map((line, i) => ({ line, at: `${f.path}:${i + 1}` }))
          .filter(({ line }) => /\.(innerHTML|outerHTML)\b|insertAdjacentHTML/.test(line))
          .map(({ at }) => at),
      );
    expect(offenders).toEqual([]);
  });

  it('no helper is defined in two files outside the kit', () => {
    const where = new Map<string, string[]>();
    for (const f of pageFiles) {
      for (const name of topLevelHelpers(f.text)) {
        if (ROLE_NAMES.has(name)) continue;
        where.set(name, [...(where.get(name) ?? []), f.path]);
      }
    }
    const copies = [...where].filter(([, paths]) => new Set(paths).size > 1).map(([name, paths]) => `${name}: ${paths.join(', ')}`);
    expect(copies).toEqual([]);
  });

  it(`every page's main.ts is at most ${MAX_MAIN_LINES} lines`, () => {
    const mains = pageFiles.filter((f) => /^demos\/[^/]+\/main\.ts$/.test(f.path));
    expect(mains.length).toBeGreaterThanOrEqual(10);
    const long = mains.map((f) => ({ path: f.path, lines: f.text.trimEnd().split('\n').length })).filter((m) => m.lines > MAX_MAIN_LINES);
    expect(long).toEqual([]);
  });
});
