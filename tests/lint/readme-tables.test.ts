/**
 * The README's tables between `<!-- table:KIND from RECORD -->` markers are what
 * scripts/readme-tables.ts writes from the recorded JSON they name: a hand edit of such a table, a
 * record changed without `npm run readme-tables`, or a marker naming a missing record fails here.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../bench/experiment/stats';
import { TABLE_HEAD } from '../../bench/experiment/table';
import type { ExperimentReport, RunResult } from '../../bench/experiment/types';
import { readmeTables, regenerate, renderTable } from '../../scripts/readme-tables';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** A small experiment report: `configs` configurations over two seeds, from made-up runs. */
function experimentReport(model: string, configs: string[], heldOutShift = 0): ExperimentReport {
  const runs: RunResult[] = configs.flatMap((config, i) =>
    [1, 2].map((seed) => ({
      config,
      seed,
      trainAccuracy: 0.9 + 0.01 * i,
      trainLoss: 0.3,
      heldOutAccuracy: 0.8 + 0.01 * seed + heldOutShift,
      heldOutLoss: 0.5,
      gap: 0.1 - 0.01 * seed + 0.01 * i,
      zeroFraction: 0,
      maxColumnNorm: 1,
      secondsPerEpoch: 0.2 + 0.01 * seed,
      epochs: 10 + seed * i,
      stoppedBy: 'epochs',
      dispatchesPerStep: 20,
      seconds: 3,
    })),
  );
  const summaries = configs.map((c) =>
    summarize(
      { name: c, label: `${model} ${c}`, about: c, hyper: {} },
      runs.filter((r) => r.config === c),
    ),
  );
  const setup = { sizes: [784, 32, 10], train: 100, val: 50, test: 200, splitSeed: 1, seeds: [1, 2], epochs: 5, batchSize: 16 };
  return { summaries, runs, setup: model === 'CNN' ? { ...setup, cnn: { channels: [8, 16], dense: 64 } } : setup } as unknown as ExperimentReport;
}

describe('README tables generated from bench/records', () => {
  const tables = readmeTables(readme, root);

  it('finds the generated tables, each naming a record that exists and can be read', () => {
    expect(tables.length).toBeGreaterThanOrEqual(3);
    expect(tables.filter((t) => t.problem !== undefined).map((t) => `table:${t.kind} from ${t.record}: ${t.problem}`)).toEqual([]);
  });

  it('has each table exactly as its record gives it (npm run readme-tables rewrites them)', () => {
    for (const t of tables) expect(t.current, `table:${t.kind} from ${t.record}`).toBe(t.generated);
    expect(regenerate(readme, root)).toBe(readme);
  });

  it('reports a marker whose record is missing, and leaves that table as it is', () => {
    const text = '# x\n\n<!-- table:conv from bench/records/no-such-record.json target=2 -->\n| a |\n|---|\n<!-- /table -->\n\nafter\n';
    const [t] = readmeTables(text, root);
    expect(t.problem).toMatch(/no-such-record\.json: ENOENT/);
    expect(regenerate(text, root)).toBe(text);
  });

  it('writes one table per marker, two experiment records side by side included, and nothing outside the markers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-tables-'));
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records/mlp.json'), JSON.stringify(experimentReport('MLP', ['none', 'l2', 'dropout'])));
    writeFileSync(join(dir, 'records/cnn.json'), JSON.stringify(experimentReport('CNN', ['none', 'augmentation'])));
    const before =
      'intro\n\n<!-- table:experiment from records/mlp.json -->\n| stale |\n<!-- /table -->\n\nbetween\n\n<!-- table:experiment from records/cnn.json -->\n<!-- /table -->\n\nend\n';
    const after = regenerate(before, dir);
    const [mlp, cnn] = readmeTables(after, dir);
    expect(mlp.current).toBe(mlp.generated);
    expect(cnn.current).toBe(cnn.generated);
    const rows = (t: string) => t.split('\n').map((l) => l.split(' | ')[0].replace(/^\| /, ''));
    expect(rows(mlp.current)).toEqual([TABLE_HEAD[0], '---', 'MLP none', 'MLP l2', 'MLP dropout']);
    expect(rows(cnn.current)).toEqual([TABLE_HEAD[0], '---', 'CNN none', 'CNN augmentation']);
    expect(after.replace(/<!-- table:[\s\S]*?<!-- \/table -->/g, '[table]')).toBe(before.replace(/<!-- table:[\s\S]*?<!-- \/table -->/g, '[table]'));
    expect(regenerate(after, dir)).toBe(after);
  });

  it('puts two experiment records side by side: the configurations in both, each one’s held-out accuracy and gap, and the difference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-compare-'));
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records/mlp.json'), JSON.stringify(experimentReport('MLP', ['none', 'l2', 'dropout'])));
    writeFileSync(join(dir, 'records/cnn.json'), JSON.stringify(experimentReport('CNN', ['none', 'dropout', 'augmentation'], 0.025)));
    const table = renderTable(dir, 'experiment-compare', 'records/mlp.json', { with: 'records/cnn.json' });
    const lines = table.split('\n');
    expect(lines[0]).toContain('MLP 784-32-10');
    expect(lines[0]).toContain('CNN conv5×5×8');
    // Only the shared configurations, in the first report's order; held-out 81.5 and 84.0 on average.
    expect(lines.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| MLP none', '| MLP dropout']);
    expect(lines[2].split(' | ').slice(1, 4)).toEqual(['81.50 ± 0.71', '84.00 ± 0.71', '+2.50']);
    writeFileSync(
      join(dir, 'records/long.json'),
      JSON.stringify({ ...experimentReport('CNN', ['none']), setup: { ...experimentReport('CNN', ['none']).setup, epochs: 9 } }),
    );
    expect(() => renderTable(dir, 'experiment-compare', 'records/mlp.json', { with: 'records/long.json' })).toThrow(/differ in epochs \(5 vs 9\)/);
    expect(() => renderTable(dir, 'experiment-compare', 'records/mlp.json', {})).toThrow(/needs with=RECORD/);
  });

  it('adds the CNN step against the faster peer to a conv table when the record has the peers’ step', () => {
    const row = (kase: string, impl: string, median: number, speedup: Record<string, number> = {}) => ({
      suite: 'conv',
      case: kase,
      impl,
      figure: { median },
      speedup,
    });
    const record = {
      host: 'node',
      adapter: { kind: 'lavapipe', architecture: '', description: '' },
      rows: [
        row('8x8x1->2 k3 b4 forward', 'engine', 2, { 'tfjs-webgpu': 2, 'jax-js': 1.5 }),
        row('8x8x1->2 k3 b4 forward+backward', 'engine', 2, { 'tfjs-webgpu': 3, 'jax-js': 2.5 }),
        row('cnn-step b64', 'engine', 100, { 'tfjs-webgpu': 4, 'jax-js': 1.4, 'engine-conv-dropout': 1.1 }),
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'readme-conv-'));
    writeFileSync(join(dir, 'conv.json'), JSON.stringify(record));
    const lines = renderTable(dir, 'conv', 'conv.json', { target: '2' }).split('\n');
    expect(lines).toHaveLength(4);
    // The layer meets 2× (its faster peer's ratio is 2.5×); the step misses 1.5× (1.4× over jax-js).
    expect(lines[2].endsWith('| met |')).toBe(true);
    expect(lines[3]).toMatch(/^\| cnn-step b64, ms per step \(target ≥ 1\.5×\) \| {2}\| {2}\| {2}\| 100 \| 4\.00× \| 1\.40× \| \*\*missed\*\* \|$/);
    // Without the peers' step (older records), no such line.
    record.rows[2].speedup = { 'engine-conv-dropout': 1.1 };
    writeFileSync(join(dir, 'conv.json'), JSON.stringify(record));
    expect(renderTable(dir, 'conv', 'conv.json', { target: '2' }).split('\n')).toHaveLength(3);
  });

  it('judges a Node record by the Node targets: matmul 1024² against the faster peer and the FMA ceiling, the MLP step, the ensemble', () => {
    const row = (suite: string, kase: string, impl: string, median: number, speedup: Record<string, number> = {}, more: object = {}) => ({
      suite,
      case: kase,
      impl,
      figure: { median },
      speedup,
      ...more,
    });
    const record = {
      host: 'node',
      adapter: { kind: 'lavapipe', architecture: '', description: '' },
      rows: [
        // 2.2× the faster peer but 20% of the ceiling (missed); tuned: 2.1× and 26% (met).
        row('matmul', '1024x1024x1024', 'engine', 8, { 'tfjs-webgpu': 2.2, 'jax-js': 3 }, { ofCeiling: 0.2 }),
        row('matmul', '1024x1024x1024', 'engine-tuned', 10, { 'tfjs-webgpu': 2.1, 'jax-js': 4 }, { ofCeiling: 0.26 }),
        row('mlp', 'm b2', 'engine', 50, { 'tfjs-webgpu': 2.5, 'jax-js': 1.9 }),
        row('mlp', 'm b2', 'tfjs-webgpu', 125),
        row('mlp', 'm b2', 'jax-js', 95),
        row('ensemble', 'e', 'one member', 10),
        row('ensemble', 'e', '5 batched', 19, {}, { extra: { 'ratio to one member': 1.9 } }),
        row('ensemble', 'e', '5 sequential', 50),
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'readme-targets-'));
    writeFileSync(join(dir, 'node.json'), JSON.stringify(record));
    const lines = renderTable(dir, 'targets', 'node.json').split('\n');
    const verdict = (prefix: string) =>
      lines
        .find((l) => l.startsWith(`| ${prefix}`))
        ?.split(' | ')
        .at(-1);
    expect(lines[0]).toContain('lavapipe, Node');
    expect(verdict('matmul 1024²')).toBe('**met** by the tuner, missed by the fixed table |');
    expect(lines.find((l) => l.startsWith('| MLP step m b2 ≥ 2× the faster peer'))).toContain('1.90×');
    expect(verdict('MLP step')).toBe('**missed** |');
    expect(verdict('5-member ensemble')).toBe('**met** |');
    expect(verdict('standalone dropout')).toBe('— |');
  });

  it('puts the regularizers suite of two records side by side: each variant’s wall / GPU ratio in each, its added dispatches', () => {
    const row = (kase: string, ratio: number, gpu: number, added: number) => ({
      suite: 'regularizers',
      case: kase,
      impl: 'engine',
      figure: { median: 100 * ratio },
      speedup: {},
      extra: { ratio, 'ratio gpu': gpu, '+dispatches': added, submits: 1 },
    });
    const record = (kind: string, host: string, rows: object[]) => ({ host, adapter: { kind, architecture: '', description: '' }, rows });
    const dir = mkdtempSync(join(tmpdir(), 'readme-regularizers-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(record('swiftshader', 'browser', [row('baseline', 1, 1, 0), row('weight noise', 1.123, 1.131, 1)])));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(record('lavapipe', 'node', [row('weight noise', 1.04, 1.05, 1), row('only here', 1.01, 1.02, 2)])));
    const lines = renderTable(dir, 'regularizers', 'a.json', { with: 'b.json' }).split('\n');
    expect(lines[0]).toContain('SwiftShader, Chromium');
    expect(lines[0]).toContain('lavapipe, Node');
    expect(lines.slice(2)).toEqual([
      '| baseline | 1.00 / 1.00 |  | 0 | 1 |',
      '| weight noise | 1.12 / 1.13 | 1.04 / 1.05 | 1 | 1 |',
      '| only here |  | 1.01 / 1.02 | 2 | 1 |',
    ]);
  });
});
