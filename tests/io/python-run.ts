/**
 * Runs one of the Python halves of the io tests (scripts next to this file, using the `safetensors`
 * and `numpy` packages that scripts/setup-system.sh installs) and parses what it prints as JSON.
 * A failure says which command failed and what Python wrote to stderr, with the remedy.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The interpreter: $PYTHON, else python3. */
export const python = process.env.PYTHON ?? 'python3';

/** Runs `python tests/io/<script> ...args` and returns its stdout parsed as JSON. */
export function runPythonJson<T>(script: string, ...args: string[]): T {
  const path = resolve(import.meta.dirname, script);
  let out: string;
  try {
    out = execFileSync(python, [path, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `${python} ${path} ${args.join(' ')} failed (are numpy and safetensors installed? run bash scripts/setup-system.sh):\n${err.stderr ?? err.message}`,
    );
  }
  return JSON.parse(out) as T;
}
