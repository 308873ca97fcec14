/**
 * One argument parser: every command-line tool under bench/ and scripts/ declares its options for
 * bench/args.ts (Node's util.parseArgs under declarations) instead of reading `process.argv` itself.
 *   - `process.argv` appears only as `f(process.argv.slice(2))` with `f` a parse function built on
 *     bench/args.ts's parseCommand, or as `process.argv[1]` (which script is running).
 *   - No option text is matched by hand (`startsWith('--`, `/^--`, `=== '-h'`).
 *   - util.parseArgs is imported by bench/args.ts alone.
 * Plain-Node build helpers (`.mjs`, run without tsx) cannot import the TypeScript parser and are
 * not covered.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const PARSER = 'bench/args.ts';

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.m?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = ['bench', 'scripts']
  .flatMap((d) => walk(join(root, d)))
  .map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }))
  .filter((f) => f.path !== PARSER);

/** Exported functions of the modules that call parseCommand: the only ones that may be handed process.argv. */
const parsers = new Set(files.filter((f) => /\bparseCommand\(/.test(f.text)).flatMap((f) => [...f.text.matchAll(/export function (\w+)\(/g)].map((m) => m[1])));

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Each use of process.argv other than `parser(process.argv.slice(2))` and `process.argv[1]`. */
function argvMisuses(path: string, text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(/process\.argv/g)) {
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    const after = text.slice(m.index, m.index + 40);
    const handed = /(\w+)\($/.exec(before)?.[1];
    const ok = after.startsWith('process.argv[1]') || (after.startsWith('process.argv.slice(2))') && handed !== undefined && parsers.has(handed));
    if (!ok) bad.push(`${path}:${lineOf(text, m.index)}: ${(before + after).replace(/\s+/g, ' ').trim()}`);
  }
  return bad;
}

/** Lines that match option text by hand. */
function handMatches(path: string, text: string): string[] {
  const handMade = /startsWith\(\s*['"`]-|\/\^--|===\s*['"`]-{1,2}[a-z]/;
  return text.split('\n').flatMap((line, i) => (handMade.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []));
}

describe('command-line parsing', () => {
  it('finds the CLIs it checks', () => {
    const users = files.filter((f) => /from '\.{1,2}\/(?:\.\.\/)*(?:bench\/)?args'/.test(f.text)).map((f) => f.path);
    for (const cli of ['bench/cli-args.ts', 'bench/experiment/args.ts', 'bench/lab/args.ts', 'bench/train.ts', 'bench/gpu-probe.ts'])
      expect(users).toContain(cli);
    expect([...parsers]).toEqual(expect.arrayContaining(['parseCliArgs', 'parseExperimentArgs', 'parseLabArgs']));
  });

  it('reads process.argv only through the shared parser', () => {
    expect(files.flatMap((f) => argvMisuses(f.path, f.text))).toEqual([]);
  });

  it('matches no option text by hand', () => {
    expect(files.flatMap((f) => handMatches(f.path, f.text))).toEqual([]);
  });

  it('the checks catch the hand-written parsers they replaced', () => {
    const old = [
      'const arg = process.argv.slice(2).find((a) => a === "--tiny");',
      'const parsed = parse(process.argv.slice(2));',
      'const samples = Number(process.argv[2]);',
    ];
    for (const line of old) expect(argvMisuses('x.ts', line), line).toHaveLength(1);
    expect(argvMisuses('x.ts', 'const o = parseCliArgs(process.argv.slice(2));')).toEqual([]);
    for (const line of ["if (a.startsWith('--gpu-flags='))", 'const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);', "if (arg === '--help' || arg === '-h')"])
      expect(handMatches('x.ts', line), line).toHaveLength(1);
  });

  it('imports util.parseArgs in bench/args.ts alone', () => {
    const bad = files.filter((f) => /\bparseArgs\b[^;]*from\s+['"](?:node:)?util['"]/.test(f.text)).map((f) => f.path);
    expect(bad).toEqual([]);
    expect(readFileSync(join(root, PARSER), 'utf8')).toMatch(/import \{ parseArgs \} from 'node:util'/);
  });
});
