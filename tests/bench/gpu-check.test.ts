/**
 * bench/gpu-check.sh, the one-shot real-GPU check, rehearsed with `--dry-run` on the software
 * adapter lavapipe (no GPU here): it must find the Vulkan driver it was pointed at, run one test
 * file in the `hardware` Vitest project, run a tiny Node bench whose report names the adapter, ask
 * Chromium for an adapter (SwiftShader here, so the browser bench is skipped, as on a machine
 * without a GPU), and put everything in one folder with a summary of each step.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

interface Step {
  step: string;
  status: string;
  exit?: number;
  reason?: string;
}

describe('bench/gpu-check.sh --dry-run', () => {
  it('runs the tests, the Node bench and the Chromium probe into one folder, on lavapipe', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gpu-check-'));
    try {
      const run = await promisify(execFile)('bash', [join(root, 'bench/gpu-check.sh'), '--dry-run', `--out=${out}`], { cwd: root, timeout: 300_000 }).catch(
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: `exit ${e.code}\n${e.stdout}`, stderr: e.stderr ?? '' }),
      );
      const summaryPath = join(out, 'summary.json');
      expect(existsSync(summaryPath), `no summary.json; the script said:\n${run.stdout}\n${run.stderr}`).toBe(true);
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { dryRun: boolean; icd: string; steps: Step[] };
      expect(summary.dryRun).toBe(true);
      expect(summary.icd).toMatch(/lvp_icd/);
      const byName = Object.fromEntries(summary.steps.map((s) => [s.step, s]));
      expect(byName.tests, readFileSync(join(out, 'tests.log'), 'utf8').slice(-2000)).toMatchObject({ status: 'passed', exit: 0 });
      expect(readFileSync(join(out, 'tests.log'), 'utf8')).toMatch(/hardware.*tests\/runtime\/kernels\.test\.ts/);
      expect(byName['bench-node'], readFileSync(join(out, 'bench-node.log'), 'utf8').slice(-2000)).toMatchObject({ status: 'passed', exit: 0 });
      const report = JSON.parse(readFileSync(join(out, 'bench-node.json'), 'utf8')) as { adapter: { kind: string; description: string }; rows: unknown[] };
      expect(report.adapter.kind).toBe('lavapipe');
      expect(report.rows.length).toBeGreaterThan(0);
      expect(existsSync(join(out, 'bench-node.html'))).toBe(true);
      // Chromium offers only SwiftShader here: the probe says so and the browser bench is skipped.
      const probe = JSON.parse(readFileSync(join(out, 'chromium-probe.json'), 'utf8')) as { software: boolean; architecture?: string };
      expect(probe.software).toBe(true);
      expect(byName['bench-chromium']).toMatchObject({ status: 'skipped' });
      expect(readFileSync(join(out, 'env.txt'), 'utf8')).toMatch(/node: .*v\d+/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
