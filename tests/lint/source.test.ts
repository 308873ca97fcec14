/**
 * The codebase checks itself: rules a linter cannot express.
 *   - No benchmark figures in source comments: speeds and speed-ups live in the bench's recorded
 *     reports and the README, where they can be redone; a comment keeps the reasoning in words.
 *   - No source reference to a file outside the repository (a clone has only the repository), and no
 *     relative path in a comment that leads nowhere.
 *   - tsconfig.json names only folders and files that exist.
 * Biome (lint and format) runs as its own step of .ci/run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['engine', 'shaders', 'regularizers', 'demos', 'bench', 'scripts', 'tests'];
const SOURCE_EXT = /\.(ts|mts|mjs|cjs|js|wgsl|css|html|sh)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE_EXT.test(name)) out.push(path);
  }
  return out;
}

const files = [
  ...SOURCE_DIRS.flatMap((d) => walk(join(root, d))),
  ...readdirSync(root)
    .filter((f) => SOURCE_EXT.test(f) || f.startsWith('.'))
    .map((f) => join(root, f))
    .filter((p) => statSync(p).isFile()),
];

interface Comment {
  file: string;
  line: number;
  text: string;
}

/** Comment text of a source file, line by line: `//`, `#` (shell), `/* … *\/` and `<!-- … -->` blocks. */
function comments(file: string): Comment[] {
  const src = readFileSync(file, 'utf8');
  const rel = relative(root, file);
  const out: Comment[] = [];
  let inBlock = false;
  src.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (inBlock) {
      out.push({ file: rel, line: i + 1, text: line });
      if (line.includes('*/') || line.includes('-->')) inBlock = false;
      return;
    }
    const block = line.match(/(\/\*|<!--)(.*)$/);
    if (block) {
      out.push({ file: rel, line: i + 1, text: block[2] });
      if (!block[2].includes('*/') && !block[2].includes('-->')) inBlock = true;
      return;
    }
    const lineComment = file.endsWith('.sh') ? line.match(/^#(?!!)(.*)$/) : line.match(/(?:^|\s)\/\/(.*)$/);
    if (lineComment) out.push({ file: rel, line: i + 1, text: lineComment[1] });
  });
  return out;
}

const allComments = files.flatMap(comments);

/** Patterns of a measurement log: a throughput with its unit, a speed-up, "N× faster". */
const FIGURE = [
  /\d(?:[.,]\d+)?\s*(?:GFLOP\/s|GFLOPS|GB\/s|TFLOP\/s)/i,
  /\d(?:\.\d+)?\s*[×x]\s*(?:faster|slower)/i,
  /(?:faster|slower)\s+(?:by|than)?\s*(?:about\s+)?\d(?:\.\d+)?\s*[×x]/i,
  /\bper CPU-s\b/i,
  /\d+(?:\.\d+)?\s*ms\s*(?:per|\/)\s*(?:step|call|update)/i,
];

describe('source hygiene', () => {
  it('found the sources', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(allComments.length).toBeGreaterThan(1000);
  });

  it('has no benchmark figures in comments', () => {
    const hits = allComments.filter((c) => FIGURE.some((re) => re.test(c.text))).map((c) => `${c.file}:${c.line}: ${c.text}`);
    expect(hits).toEqual([]);
  });

  it('the figure patterns catch what they are for', () => {
    for (const text of ['ran 7.4 GFLOP/s here', 'about 1.5× faster on lavapipe', 'slower by 2x', 'per CPU-s 0.7', '101 ms per step']) {
      expect(
        FIGURE.some((re) => re.test(text)),
        text,
      ).toBe(true);
    }
    for (const text of ['the ceiling in GB/s of the same run', 'default 20 ms', 'eq. 7.50 measured against k']) {
      expect(
        FIGURE.some((re) => re.test(text)),
        text,
      ).toBe(false);
    }
  });

  it('refers to no file outside the repository', () => {
    const outside = /(?:\.\.\/shared\/|\/work\/|\b(?:CHAPTER7|DESIGN|ENVIRONMENT|DEVELOPERS)\.md\b)/;
    const hits = allComments.filter((c) => outside.test(c.text)).map((c) => `${c.file}:${c.line}: ${c.text}`);
    expect(hits).toEqual([]);
  });

  it('relative paths in comments do not lead out of the repository', () => {
    const bad: string[] = [];
    for (const c of allComments) {
      for (const m of c.text.matchAll(/(?:^|[\s(`'"])((?:\.\.\/)+[\w.\-/]+)/g)) {
        const target = resolve(dirname(join(root, c.file)), m[1]);
        if (!target.startsWith(`${root}/`)) bad.push(`${c.file}:${c.line}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('tsconfig.json names only files and folders that exist', () => {
    const config = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { include?: string[]; files?: string[] };
    const named = [...(config.include ?? []), ...(config.files ?? [])].filter((p) => !p.includes('*'));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });
});
