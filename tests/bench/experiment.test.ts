/**
 * `npm run experiment` on a tiny run (2 configurations × 1 seed × 1 epoch on 64 digits, a
 * 784-32-10 MLP), as a child process on lavapipe: it must print the table and write the JSON (every
 * field of the report, one run per configuration and seed, figures in range), the Markdown table
 * and a self-contained HTML report with its charts and the same JSON embedded; `--from` writes the
 * same reports again without measuring. The bagging row in-process: its members trained at once
 * (batched) give the run that one member after another gives, to the last bit of every figure. Plus the pure parts:
 * the spread over seeds against hand-computed values, and the argument checks. Nothing is timed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseExperimentArgs } from '../../bench/experiment/args';
import { CONFIGS, selectConfigs } from '../../bench/experiment/configs';
import { loadExperimentData, runOne } from '../../bench/experiment/run';
import { spreadOf } from '../../bench/experiment/stats';
import { legendLine } from '../../bench/experiment/table';
import type { ExperimentReport, ExperimentSetup, PartialExperiment } from '../../bench/experiment/types';
import { useRuntime } from '../helpers/gpu';

const run = promisify(execFile);

describe('npm run experiment', () => {
  it('a tiny run prints the table and writes JSON, Markdown and HTML with the expected fields', async () => {
    const out = mkdtempSync(join(tmpdir(), 'experiment-'));
    const args = ['--configs=none,l1', '--seeds=1', '--epochs=1', '--train=64', '--val=32', '--test=64', '--hidden=32', `--out=${out}`];
    const { stdout, stderr } = await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/experiment.ts', ...args], {
      timeout: 120_000,
      maxBuffer: 1 << 24,
      env: { ...process.env, WEBGPU_ADAPTER: 'lavapipe' },
    });
    expect(stderr).toMatch(/\[1\/2\] none seed 1: train /);
    expect(stderr).toMatch(/\[2\/2\] l1 seed 1: train /);
    expect(stdout).toMatch(/^configuration +train acc % +held-out acc % +gap \(pts\) +zero weights % +s \/ epoch +epochs$/m);
    expect(stdout).toMatch(/^none +\d+\.\d\d ± 0\.00 /m);

    const report = JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')) as ExperimentReport;
    expect(report.schemaVersion).toBe(1);
    expect(report.spread).toBe('std');
    expect(report.adapter.host).toBe('node');
    expect(report.setup).toMatchObject({ sizes: [784, 32, 10], train: 64, val: 32, test: 64, seeds: [1], epochs: 1 });
    expect(report.durationSeconds).toBeGreaterThan(0);
    expect(report.runs.map((r) => [r.config, r.seed])).toEqual([
      ['none', 1],
      ['l1', 1],
    ]);
    for (const r of report.runs) {
      for (const k of ['trainAccuracy', 'heldOutAccuracy', 'zeroFraction'] as const) {
        expect(r[k]).toBeGreaterThanOrEqual(0);
        expect(r[k]).toBeLessThanOrEqual(1);
      }
      expect(r.gap).toBeCloseTo(r.trainAccuracy - r.heldOutAccuracy, 12);
      expect(r.secondsPerEpoch).toBeGreaterThan(0);
      expect(r.maxColumnNorm).toBeGreaterThan(0);
      expect(r.epochs).toBe(1);
      expect(r.stoppedBy).toBe('epochs');
    }
    expect(report.summaries.map((s) => s.config)).toEqual(['none', 'l1']);
    for (const s of report.summaries) {
      for (const k of ['trainAccuracy', 'heldOutAccuracy', 'gap', 'zeroFraction', 'secondsPerEpoch', 'epochs', 'heldOutLoss'] as const) {
        expect(s[k], `${s.config}.${k}`).toMatchObject({ n: 1, std: 0 });
        expect(s[k].min).toBe(s[k].max);
      }
    }
    // No penalty: no weight is exactly zero; the summary is the single run.
    expect(report.runs[0].zeroFraction).toBe(0);
    expect(report.summaries[1].heldOutAccuracy.mean).toBe(report.runs[1].heldOutAccuracy);

    const html = readFileSync(join(out, 'experiment.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('chart-error');
    expect(html).toContain('held-out acc %');
    const embedded = /<script type="application\/json" id="experiment-report">(.*?)<\/script>/s.exec(html);
    expect(JSON.parse(embedded![1])).toEqual(report);
    const md = readFileSync(join(out, 'experiment.md'), 'utf8');
    expect(md).toMatch(/^\| configuration \| train acc % \|/m);
    expect(md).toMatch(/^\| L1 \(proximal\) \| alpha /m);

    // --from measures nothing: the same report, written again elsewhere.
    const again = mkdtempSync(join(tmpdir(), 'experiment-from-'));
    await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/experiment.ts', `--from=${join(out, 'experiment.json')}`, `--out=${again}`], {
      timeout: 60_000,
    });
    expect(JSON.parse(readFileSync(join(again, 'experiment.json'), 'utf8'))).toEqual(report);
    expect(readFileSync(join(again, 'experiment.html'), 'utf8')).toBe(html);

    // Every finished run was also written to experiment.partial.json; --resume takes them as they are
    // (their own timings included, which a new training could not reproduce) and trains nothing.
    const partial = JSON.parse(readFileSync(join(out, 'experiment.partial.json'), 'utf8')) as PartialExperiment;
    expect(partial.runs).toEqual(report.runs);
    expect(partial.setup).toEqual(report.setup);
    const resumed = await run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/experiment.ts', ...args, '--resume'], {
      timeout: 120_000,
      maxBuffer: 1 << 24,
      env: { ...process.env, WEBGPU_ADAPTER: 'lavapipe' },
    });
    expect(resumed.stderr).toMatch(/resuming: 2 finished runs/);
    expect(resumed.stderr).toMatch(/\[2\/2\] l1 seed 1: .* \(resumed\)/);
    const second = JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')) as ExperimentReport;
    expect(second.runs).toEqual(report.runs);
    expect(second.resumedRuns).toBe(2);
    // Another setup does not mix with those runs.
    await expect(
      run('npx', ['tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/experiment.ts', ...args, '--epochs=2', '--resume'], { timeout: 60_000 }),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/written with another setup/) });
  }, 240_000);
});

describe('the bagging row', () => {
  const rt = useRuntime();

  it('trains its members at once (batched), with the figures of the members trained one after another, bit for bit', async () => {
    const setup: ExperimentSetup = {
      sizes: [784, 24, 10],
      train: 80,
      val: 16,
      test: 48,
      splitSeed: 1,
      seeds: [2],
      epochs: 3,
      batchSize: 16,
      optimizer: { rule: 'momentum', lr: 0.02, momentum: 0.9 },
    };
    const config = CONFIGS.find((c) => c.name === 'bagging')!;
    const data = await loadExperimentData(rt(), setup);
    try {
      const alone = await runOne(rt(), data, setup, config, 2, false);
      const batched = await runOne(rt(), data, setup, config, 2);
      expect(batched.batched).toBe(true);
      expect(alone.batched).toBeUndefined();
      // Everything the members' weights decide is equal; only the clocks and the work per step differ.
      const { seconds: _a, secondsPerEpoch: aloneEpoch, dispatchesPerStep: aloneDispatches, ...aloneFigures } = alone;
      const { seconds: _b, secondsPerEpoch: batchedEpoch, dispatchesPerStep: batchedDispatches, batched: _c, ...batchedFigures } = batched;
      expect(batchedFigures).toEqual(aloneFigures);
      expect(aloneFigures.heldOutLoss).toBeGreaterThan(0);
      expect(aloneFigures.maxColumnNorm).toBeGreaterThan(0);
      // Both clocks hold the epoch of all three members (batched: one clock, one after another: three summed).
      expect(batchedEpoch).toBeGreaterThan(0);
      expect(aloneEpoch).toBeGreaterThan(0);
      expect(aloneDispatches).toBeGreaterThan(0);
      expect(batchedDispatches).toBeGreaterThan(0);
      const report = (runs: (typeof alone)[]) => ({ runs, summaries: [], setup }) as unknown as ExperimentReport;
      expect(legendLine(report([batched]))).toContain('bagging: the epoch of all its members trained at once, batched');
      expect(legendLine(report([alone]))).toContain("bagging: its members' epochs one after another, summed");
    } finally {
      data.dispose();
    }
  });
});

describe('experiment pieces', () => {
  it('spreadOf: mean, sample standard deviation (n − 1), min and max', () => {
    // 1, 2, 6: mean 3, squared deviations 4 + 1 + 9 = 14, sample variance 7.
    expect(spreadOf([1, 2, 6])).toEqual({ mean: 3, std: Math.sqrt(7), min: 1, max: 6, n: 3 });
    expect(spreadOf([0.5])).toEqual({ mean: 0.5, std: 0, min: 0.5, max: 0.5, n: 1 });
  });

  it('parses the options and refuses bad ones', () => {
    expect(parseExperimentArgs(['--seeds=4', '--epochs=2']).seeds).toEqual([1, 2, 3, 4]);
    expect(parseExperimentArgs(['--seeds=7,9']).seeds).toEqual([7, 9]);
    expect(parseExperimentArgs(['--configs=l2,dropout']).configs).toEqual(['l2', 'dropout']);
    expect(() => parseExperimentArgs(['--epochs=0'])).toThrow(/--epochs/);
    expect(() => parseExperimentArgs(['--train=9000', '--test=2000'])).toThrow(/10,000/);
    expect(() => parseExperimentArgs(['--bogus'])).toThrow(/unknown option/);
    expect(() => selectConfigs(['nope'])).toThrow(/unknown configuration/);
    expect(new Set(CONFIGS.map((c) => c.name)).size).toBe(CONFIGS.length);
  });
});
