/**
 * The safetensors reader parses within a budget: the worst headers we know of, each as large as the
 * reader allows (100 MB), are read in a child process with a 1 GB heap (./hostile-child.ts), where
 * the process's peak memory can be measured and an abort would not take the test runner down. The
 * 100 MB nested header used to abort Node (SIGABRT inside V8's JSON parser); a flood of empty objects
 * cost tens of seconds and gigabytes. Now each is refused or read without an abort, and the peak
 * resident memory grows by at most twice the file's size plus a constant (engine/io/safetensors.ts
 * says why). The CPU time of each decode is measured and printed, not asserted: speed is never a
 * timed assertion in this project's tests (a loaded machine would make it flaky); the README's
 * "Errors, checkpoints and reproducibility" states the measured figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUDGET_CASES, type BudgetCase } from './hostile-files';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the child reports. */
interface ChildReport {
  fileBytes: number;
  result: 'accepted' | 'refused';
  error?: { name: string; code: string; message: string };
  wallMs: number;
  cpuMs: number;
  peakRssGrowth: number;
}

/** Writes the case's file and reads it in a child with a 1 GB heap; resolves with its report and exit status. */
function runChild(name: BudgetCase): Promise<{ status: number | null; signal: NodeJS.Signals | null; report?: ChildReport; stderr: string }> {
  const path = join(dir, `${name.replace(/\W+/g, '-')}.safetensors`);
  writeFileSync(path, BUDGET_CASES[name].build());
  return new Promise((done, fail) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['--max-old-space-size=1024', 'tests/io/hostile-child.ts', path], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('exit', (status, signal) => {
      rmSync(path, { force: true });
      const line = stdout.trim().split('\n').pop();
      done({ status, signal, report: line?.startsWith('{') ? (JSON.parse(line) as ChildReport) : undefined, stderr: stderr.slice(-2000) });
    });
  });
}

/** The memory budget: twice the file's size plus this constant (the bounded tables of the reader). */
const CONSTANT_BYTES = 128 * 2 ** 20;

describe('the safetensors reader within a budget (100 MB headers, 1 GB heap, a child process each)', () => {
  for (const name of Object.keys(BUDGET_CASES) as BudgetCase[]) {
    const { accept } = BUDGET_CASES[name];
    it(`${name}: ${accept ? 'read' : 'refused with a CheckpointError'}, no abort, memory within 2 × the file + 128 MiB`, async () => {
      const { status, signal, report, stderr } = await runChild(name);
      expect({ status, signal }, stderr).toEqual({ status: 0, signal: null });
      expect(report, stderr).toBeDefined();
      const r = report!;
      expect(r.fileBytes).toBeGreaterThan(10_000_000);
      if (accept) expect(r.error, r.error?.message).toBeUndefined();
      else {
        expect(r.error?.name).toBe('CheckpointError');
        expect(r.error?.code).toBe('BAD_CHECKPOINT');
        // The message quotes the file only as a short excerpt.
        expect(r.error!.message.length).toBeLessThan(300);
      }
      expect(r.result).toBe(accept ? 'accepted' : 'refused');
      console.info(`${name}: ${(r.fileBytes / 1e6).toFixed(0)} MB, decode CPU ${r.cpuMs.toFixed(0)} ms (wall ${r.wallMs.toFixed(0)} ms)`);
      expect(r.peakRssGrowth, 'growth of the peak resident memory').toBeLessThanOrEqual(2 * r.fileBytes + CONSTANT_BYTES);
    });
  }
});
