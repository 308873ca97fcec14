/**
 * Loading a spec file in Node (the CLI runs under tsx, so a `.ts` file anywhere imports as it is)
 * and saying where a problem is: every error the lab reports about a spec names the spec file,
 * the line and the column. A syntax error comes with esbuild's position; a missing or mistyped
 * field is found in the file's text; an exception thrown by the spec's own code is located by its
 * stack; a WGSL compile error in WGSL written inside the spec file is moved to the file's line.
 * Node only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ShaderCompileError } from '../../engine/index';
import { checkSpec, type KernelSpec, LabSpecError } from './spec';

/** A spec loaded from a file, with the file's path and text (for locating errors). */
export interface LoadedSpec {
  spec: KernelSpec;
  path: string;
  text: string;
}

/** `file:line:column` of a character offset in `text`. */
function at(path: string, text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${path}:${line}:${column}`;
}

/** Where `field:` is written in the spec's text, or the file's first line. */
function fieldAt(path: string, text: string, field: string): string {
  const top = field.split('.')[0];
  const m = new RegExp(`\\b${top}\\s*[:(]`).exec(text);
  return at(path, text, m ? m.index : 0);
}

/** Imports the spec file and checks its shape; a {@link LabSpecError} with file:line:column otherwise. */
export async function loadSpecFile(file: string): Promise<LoadedSpec> {
  const path = resolve(file);
  if (!existsSync(path)) throw new LabSpecError(`${file}: no such spec file`);
  const text = readFileSync(path, 'utf8');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new LabSpecError(locate(e, path, text));
  }
  // `export default` of a file outside any "type": "module" package arrives wrapped once more.
  let value = mod.default ?? mod.spec;
  if (value && typeof value === 'object' && 'default' in value && !('name' in value)) value = (value as { default: unknown }).default;
  if (value === undefined) throw new LabSpecError(`${path}:1:1: the file exports no spec (export default { name, wgsl, entry, … })`);
  try {
    return { spec: checkSpec(value, path), path, text };
  } catch (e) {
    const m = e instanceof LabSpecError ? /spec\.([\w.]+) must/.exec(e.message) : null;
    if (!m) throw e;
    throw new LabSpecError(`${fieldAt(path, text, m[1])}: ${e instanceof Error ? e.message.slice(path.length + 2) : ''}`);
  }
}

/**
 * The message of an error raised while loading or running a spec, with the spec file's
 * `file:line:column` in front when it can be found: esbuild's position of a syntax error, the
 * spec's own frame of a stack, or the WGSL line inside the spec file.
 */
export function locate(e: unknown, path: string, text: string, wgsl?: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const esbuild = /(\S+?):(\d+):(\d+): ERROR: (.*)/.exec(msg);
  if (esbuild && resolve(esbuild[1]) === path) return `${path}:${esbuild[2]}:${esbuild[3]}: ${esbuild[4]}`;
  if (e instanceof ShaderCompileError && wgsl) {
    const first = text.indexOf(wgsl.split('\n').find((l) => l.trim().length > 0) ?? '\u0000');
    if (first >= 0) {
      const base = text.slice(0, first).split('\n').length;
      const lines = e.messages.filter((m) => m.type === 'error').map((m) => `${path}:${base + m.line - 1}:${m.column}: WGSL line ${m.line}: ${m.message}`);
      return `WGSL compilation failed\n${lines.join('\n')}`;
    }
    return msg;
  }
  const frame = e instanceof Error && e.stack ? new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(e.stack) : null;
  if (frame) return `${path}:${frame[1]}:${frame[2]}: ${e instanceof Error ? `${e.name}: ` : ''}${msg}`;
  return e instanceof Error && e.name !== 'Error' && e.name !== 'LabSpecError' ? `${e.name}: ${msg}` : msg;
}
