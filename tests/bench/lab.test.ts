/**
 * `npm run lab` as a performance engineer uses it: a spec file written in a temporary directory
 * outside the repository, run from that directory as a child process, in Node (Dawn, lavapipe)
 * and in headless Chromium (SwiftShader). The spec is a soft-threshold kernel of its own (a
 * branchy variant of the engine's), so its report must hold the engine's kernel of the op and both
 * peers beside it. Checked: the exit code, the printed correctness line, and the JSON report's
 * fields (correctness with max error and tolerance; per implementation the median time, its
 * spread, GFLOP/s, GB/s and both ceiling fractions; the bench's report part valid against its
 * schema) and the HTML report. Invalid specs must fail with the spec file's line and column, a
 * wrong binding by its name, a wrong result with its first differing element (checked in this
 * process, through the CLI's own functions). Nothing is timed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeCheck } from '../../bench/lab/check';
import { loadSpecFile, locate } from '../../bench/lab/load';
import { checkLab, prepareLab } from '../../bench/lab/runner';
import { benchPart, type LabReport } from '../../bench/lab/suite';
import { Runtime } from '../../engine/index';
import { validateReport } from '../../bench/report/validate';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** A soft-threshold kernel written as a user would: one element per invocation, with a branch. */
const SPEC = `// A user's spec, outside the repository: no imports needed.
export default {
  name: 'my soft-threshold',
  op: 'soft-threshold',
  wgsl: \`struct Params { n: u32, tau: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let v = x[i];
  if (v > params.tau) { y[i] = v - params.tau; } else if (v < -params.tau) { y[i] = v + params.tau; } else { y[i] = 0.0; }
}
\`,
  entry: 'main',
  params: { n: 4096, tau: 0.25 },
  uniforms: (p) => ({ n: p.n, tau: p.tau }),
  inputs: (p, r) => ({ x: r.floats(p.n) }),
  outputs: (p) => ({ y: p.n }),
  grid: (p) => [Math.ceil(p.n / 64)],
  reference: (i, p) => ({ y: Array.from(i.x, (v) => (v > p.tau ? Math.fround(v - Math.fround(p.tau)) : v < -p.tau ? Math.fround(v + Math.fround(p.tau)) : 0)) }),
  tolerance: () => ({ abs: 0 }),
  work: (p) => ({ flops: 2 * p.n, bytes: 8 * p.n }),
};
`;

/**
 * Runs the lab CLI from `cwd` as `npm --prefix <repository> run lab -- …` started there would: tsx
 * with the WGSL loader, and INIT_CWD (where npm was started, which relative paths follow) = `cwd`.
 */
function lab(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec(TSX, ['--import', join(ROOT, 'scripts/wgsl-loader.mjs'), join(ROOT, 'bench/lab/cli.ts'), ...args], {
    cwd,
    timeout: 300_000,
    maxBuffer: 1 << 24,
    env: { ...process.env, INIT_CWD: cwd, WEBGPU_ADAPTER: 'lavapipe' },
  });
}

/** The checks common to both hosts. */
function expectReport(report: LabReport, dir: string, host: string): void {
  expect(report.lab.spec).toMatchObject({ name: 'my soft-threshold', file: join(dir, 'my-kernel.ts'), entry: 'main', op: 'soft-threshold' });
  expect(report.lab.check).toMatchObject({ correct: true, maxError: 0, tolerance: { abs: 0 }, checked: 4096, mismatches: 0 });
  expect(report.lab.work).toEqual({ flops: 8192, bytes: 32768 });
  expect(report.lab.figures.map((f) => f.impl)).toEqual(['lab', 'engine', 'tfjs-webgpu', 'jax-js']);
  for (const f of report.lab.figures) {
    expect(f.medianMs, f.impl).toBeGreaterThan(0);
    expect(f.wallMedianMs, f.impl).toBeGreaterThan(0);
    expect(f.bestMs).toBeLessThanOrEqual(f.medianMs);
    expect(f.worstMs).toBeGreaterThanOrEqual(f.medianMs);
    // Both throughputs follow from the spec's work and the median time.
    expect(f.gflops).toBeCloseTo(8192 / (f.medianMs * 1e6), 9);
    expect(f.gbps).toBeCloseTo(32768 / (f.medianMs * 1e6), 9);
    expect(f.ofFma).toBeCloseTo(f.gflops / (report.ceilings['GFLOP/s'] as number), 9);
    expect(f.ofCopy).toBeCloseTo(f.gbps / (report.ceilings['GB/s'] as number), 9);
    expect(f.dispatchesPerCall, f.impl).toBeGreaterThan(0);
  }
  expect(report.rows.map((r) => r.impl).sort()).toEqual(['ceiling-copy', 'ceiling-fma', 'engine', 'jax-js', 'lab', 'tfjs-webgpu']);
  expect(report.errors).toEqual([]);
  expect(validateReport(benchPart(report))).toEqual([]);
  const html = readFileSync(join(dir, 'out/lab', `lab-${host}.html`), 'utf8');
  expect(html).toContain('Kernel lab: my soft-threshold');
}

describe('npm run lab', () => {
  it('runs a spec from a temporary directory in Node and in Chromium, and writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
    writeFileSync(join(dir, 'my-kernel.ts'), SPEC);
    for (const [host, flags] of [
      ['node', ['--node']],
      ['chromium', []],
    ] as const) {
      const { stdout } = await lab(dir, ['my-kernel.ts', ...flags, '--tiny', '--samples=5']);
      expect(stdout).toMatch(/^correct: max error 0\.00 within 0 \(4096 elements\)$/m);
      expect(stdout).toMatch(/^engine {2,}/m);
      const report = JSON.parse(readFileSync(join(dir, 'out/lab', `lab-${host}.json`), 'utf8')) as LabReport;
      expect(report.host).toBe(host === 'node' ? 'node' : 'browser');
      expectReport(report, dir, host);
    }
  }, 300_000);

  it('names the spec file, line and column of a bad field or a WGSL error, the binding of a wrong binding, and the first bad element', async () => {
    // In this process (the CLI's own steps: load the file, prepare, check), which spares three process starts.
    const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
    const lines = SPEC.split('\n');
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const noGrid = write('no-grid.ts', SPEC.replace('  grid: (p) => [Math.ceil(p.n / 64)],\n', '  grid: 64,\n'));
    const gridLine = lines.findIndex((l) => l.startsWith('  grid:')) + 1;
    await expect(loadSpecFile(noGrid)).rejects.toThrow(`${noGrid}:${gridLine}:3: spec.grid must be a function of the params`);

    const rt = await Runtime.create();
    try {
      const badBinding = await loadSpecFile(write('bad-binding.ts', SPEC.replace('outputs: (p) => ({ y: p.n })', 'outputs: (p) => ({ out: p.n })')));
      await expect(prepareLab(rt, badBinding.spec)).rejects.toThrow(
        'binding "y" (@binding(2), storage) has no buffer: spec.inputs and spec.outputs give no "y" (buffers: x, out)',
      );

      const bad = await loadSpecFile(write('wgsl-error.ts', SPEC.replace('let v = x[i];', 'let v = x[i] + missing;')));
      const compile = await prepareLab(rt, bad.spec).then(
        () => null,
        (e: unknown) => e,
      );
      const wgslLine = lines.findIndex((l) => l.includes('let v = x[i];')) + 1;
      expect(locate(compile, bad.path, bad.text, bad.spec.wgsl as string)).toMatch(new RegExp(`^${bad.path}:${wgslLine}:\\d+: WGSL line 9: .*missing`, 'm'));

      const wrong = await loadSpecFile(write('wrong.ts', SPEC.replace('let i = gid.x;', 'let i = gid.x;\n  if (i == 1000u) { y[i] = 5.0; return; }')));
      const lab = await prepareLab(rt, wrong.spec);
      const { check } = await checkLab(rt, lab);
      lab.dispose();
      expect(check).toMatchObject({ correct: false, mismatches: 1, firstBad: { buffer: 'y', index: 1000, got: 5 } });
      expect(describeCheck(check)).toMatch(/^WRONG: first differing element y\[1000\] = 5 \(want .+\); 1 of 4096 elements outside 0/);
    } finally {
      rt.destroy();
    }
  }, 120_000);
});
