/**
 * Source highlights are found by search, never by line number (issue 21): every page that marks
 * lines in its Source tab declares them in demos/<page>/highlights.ts as specs (a file, start/end
 * markers, and the identifiers the marked lines must contain), resolved by demos/shared/source-lines.ts.
 * This checks every spec against the real file: its markers still find exactly one place, the file
 * is one the page's Source tab shows, and the marked lines still contain what the spec names (so a
 * marker that now lands on other code fails here, not on a visitor's screen). It also checks the
 * search itself, and that no page passes a hand-written set of line numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { highlightLines, linesBetween, markerLine, type HighlightSpec } from '../../demos/shared/source-lines';

const root = resolve(import.meta.dirname, '../..');
const demos = join(root, 'demos');
const pages = readdirSync(demos).filter((d) => existsSync(join(demos, d, 'highlights.ts')));

/** Whether `text` contains `name` as a whole token (no word character glued to either end). */
function containsName(text: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = /^\w/.test(name) ? '(?<!\\w)' : '';
  const after = /\w$/.test(name) ? '(?!\\w)' : '';
  return new RegExp(`${before}${esc}${after}`).test(text);
}

describe('the line search (demos/shared/source-lines.ts)', () => {
  const text = ['fn a() {', '  let x = 1;', '}', '// a() again', 'fn b() {', '  let x = 2;', '}'].join('\n');
  it('finds the one line a marker matches, and a span to the first end marker after it', () => {
    expect(markerLine('f', text, 'fn b(')).toBe(5);
    expect([...linesBetween('f', text, 'fn b(', /^}/)]).toEqual([5, 6, 7]);
    expect([...linesBetween('f', text, 'let x = 2')]).toEqual([6]);
    expect(highlightLines({ path: 'f', spans: [{ start: 'let x = 2' }, { start: 'fn a(' }], names: [] }, text)).toEqual([1, 6]);
  });
  it('throws naming the file and the marker when a marker is missing or ambiguous', () => {
    expect(() => markerLine('f.wgsl', text, 'fn c(')).toThrow(/f\.wgsl: no line matches `fn c\(`/);
    expect(() => markerLine('f.wgsl', text, 'let x')).toThrow(/f\.wgsl: `let x` is ambiguous \(lines 2, 6\)/);
    expect(() => linesBetween('f.wgsl', text, 'fn b(', 'return')).toThrow(/no line after `fn b\(` \(line 5\) matches the end marker `return`/);
  });
  it('matches whole names only', () => {
    expect(containsName('return u < vec4<u32>(params.threshold);', 'params.threshold')).toBe(true);
    expect(containsName('let keep16 = 1;', 'keep1')).toBe(false);
  });
});

describe('source highlights', () => {
  it('pages that mark source lines declare them in highlights.ts', () => {
    expect(pages).toEqual(expect.arrayContaining(['dropout', 'train']));
  });

  for (const page of pages) {
    it(`demos/${page}: every highlight marks the code it names, in a file its Source tab shows`, async () => {
      const { HIGHLIGHTS } = (await import(`../../demos/${page}/highlights.ts`)) as { HIGHLIGHTS: Record<string, HighlightSpec> };
      const { meta } = (await import(`../../demos/${page}/meta.ts`)) as { meta: { sources: readonly string[] } };
      const entries = Object.entries(HIGHLIGHTS);
      expect(entries.length).toBeGreaterThan(0);
      for (const [name, spec] of entries) {
        const where = `demos/${page}/highlights.ts ${name}`;
        expect(meta.sources, `${where}: ${spec.path} is not in the page's Source tab`).toContain(spec.path);
        expect(spec.names.length, `${where} names nothing to check`).toBeGreaterThan(0);
        const text = readFileSync(join(root, spec.path), 'utf8');
        const lines = highlightLines(spec, text);
        const rows = text.split('\n');
        const marked = lines.map((l) => rows[l - 1]).join('\n');
        const missing = spec.names.filter((n) => !containsName(marked, n));
        expect(missing, `${where}: lines ${lines.join(', ')} of ${spec.path} do not contain these`).toEqual([]);
      }
    });
  }

  it('no page hands the Source tab a set of literal line numbers', () => {
    const literal = readdirSync(demos, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => ({ path: `demos/${name}`, text: readFileSync(join(demos, name), 'utf8') }))
      .flatMap((f) => f.text.split('\n').flatMap((line, i) => (/new Set\(\[\s*\d/.test(line) ? [`${f.path}:${i + 1}`] : [])));
    expect(literal).toEqual([]);
  });
});
