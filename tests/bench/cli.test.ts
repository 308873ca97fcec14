/**
 * `npm run bench` itself on tiny sizes, both ways, as child processes: `--node` (Dawn, lavapipe here)
 * and the default browser run (Vite build + preview on 127.0.0.1 + headless Chromium on SwiftShader). Each must measure every registered suite without an error and
 * leave a JSON report that validates against the schema and an HTML report with charts. Nothing
 * here is timed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { validateReport } from '../../bench/report/validate';
import { SUITES } from '../../bench/suites/index';
import type { BenchReport } from '../../bench/report/types';

const run = promisify(execFile);

function expectEverySuiteMeasured(report: BenchReport): void {
  expect(report.errors).toEqual([]);
  expect(report.options.suites).toEqual(SUITES.map((s) => s.name));
  for (const s of SUITES)
    expect(
      report.rows.some((r) => r.suite === s.name),
      `rows of suite ${s.name}`,
    ).toBe(true);
  expect(validateReport(report)).toEqual([]);
}

describe('npm run bench', () => {
  it('refuses an unknown suite or a bad option before it builds the page or starts a browser or a GPU', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    // One process start (each costs seconds); every other refusal is checked in tests/bench/cli-args.test.ts.
    for (const [argv, message] of [
      [['--suites=matmul,dropuot', '--sizes=matmul=64'], `--suites: unknown suite "dropuot"; the suites are ${SUITES.map((x) => x.name).join(', ')}`],
    ] as const) {
      const failed = await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/cli.ts', ...argv, `--out=${out}`], { timeout: 120_000 }).then(
        () => null,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(failed, argv.join(' ')).not.toBeNull();
      expect(failed!.code).toBe(1);
      expect(failed!.stderr).toContain(`ArgumentError: ${message}`);
      // Nothing started: no progress line (adapter, page build, browser) and no report.
      expect(failed!.stderr).not.toMatch(/adapter:|building|browser:/);
      expect(readdirSync(out)).toEqual([]);
    }
  }, 120_000);

  it('--node --tiny prints the table and writes a valid JSON and an HTML report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    const { stdout } = await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/cli.ts', '--node', '--tiny', '--samples=5', `--out=${out}`], {
      timeout: 600_000,
      maxBuffer: 1 << 24,
      env: { ...process.env, WEBGPU_ADAPTER: 'lavapipe' },
    });
    expect(stdout).toMatch(/^adapter: {2}vendor /m);
    expect(stdout).toMatch(/^runtime: {2}Node v\d+/m);
    const report = JSON.parse(readFileSync(join(out, 'bench-node.json'), 'utf8')) as BenchReport;
    expectEverySuiteMeasured(report);
    expect(report.host).toBe('node');
    const html = readFileSync(join(out, 'bench-node.html'), 'utf8');
    expect(html).toContain('<svg');
  }, 600_000);

  it('runs the same suites in headless Chromium on the browser adapter, writing only its reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    writeFileSync(join(out, 'earlier.json'), '{}');
    const { stdout } = await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/cli.ts', '--tiny', '--samples=5', `--out=${out}`], {
      timeout: 900_000,
      maxBuffer: 1 << 24,
    });
    expect(stdout).toMatch(/^runtime: {2}.*HeadlessChrome/m);
    const report = JSON.parse(readFileSync(join(out, 'bench-chromium.json'), 'utf8')) as BenchReport;
    expectEverySuiteMeasured(report);
    expect(report.host).toBe('browser');
    expect(report.adapter.architecture).toBe('swiftshader');
    expect(readFileSync(join(out, 'bench-chromium.html'), 'utf8')).toContain('<svg');
    // The page's build goes elsewhere: the report directory keeps what it held.
    expect(readdirSync(out).sort()).toEqual(['bench-chromium.html', 'bench-chromium.json', 'earlier.json']);
  }, 900_000);
});
