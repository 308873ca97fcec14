/**
 * `npm run readme-tables`: writes each table of README.md that sits between markers from the
 * recorded report the marker names, and leaves everything else as it is:
 *
 *   <!-- table:conv from bench/records/2026-12-07-node-lavapipe-conv.json target=2 -->
 *   | ... the generated table ... |
 *   <!-- /table -->
 *
 * Kinds: `experiment` (the table of an `npm run experiment` report: one marker per report, e.g. the
 * MLP's and the CNN's), `conv` (the conv suite of an `npm run bench` report, each case's engine
 * figures and ratios to the peers; `target=X`: the fwd + bwd ratio to the faster peer the issue
 * asks for) and `targets` (the issue targets measured by a default browser `npm run bench` run).
 * `--check` writes nothing and exits 1 when a table differs from what its record gives
 * (tests/lint/readme-tables.test.ts does the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, option, parseProcessArgs, text } from '../bench/args';
import { fmtSpread, tableCells } from '../bench/experiment/table';
import { modelLabel, type ExperimentReport } from '../bench/experiment/types';
import { fmtNum, fmtPercent, fmtRatio } from '../bench/report/format';
import type { BenchReport, ReportRow } from '../bench/report/types';

/** A marker, its table and the closing marker. */
const BLOCK = /^<!-- table:([\w-]+) from (\S+)((?: [\w-]+=\S+)*) -->\n([\s\S]*?)^<!-- \/table -->$/gm;

/** Markdown rows from cells, header first; `right`: which columns are right-aligned. */
function markdown(cells: readonly string[][], right: (column: number) => boolean = () => false): string {
  const row = (r: readonly string[]) => `| ${r.join(' | ')} |`;
  return [row(cells[0]), row(cells[0].map((_, c) => (right(c) ? '---:' : '---'))), ...cells.slice(1).map(row)].join('\n');
}

const met = (ok: boolean): string => (ok ? '**met**' : '**missed**');

/** The experiment's table, with the cells the experiment's own Markdown and HTML reports use. */
function experimentTable(report: ExperimentReport): string {
  return markdown(tableCells(report), (c) => c > 0);
}

/**
 * Two experiment reports side by side (`with=` names the second record): per configuration present
 * in both, the held-out accuracy and the gap of each, and the second's held-out accuracy minus the
 * first's, in points. The two must share the digits, the seeds and the epochs, or the comparison says
 * nothing about the networks.
 */
function experimentCompareTable(a: ExperimentReport, root: string, params: Record<string, string>): string {
  if (!params.with) throw new Error('table:experiment-compare needs with=RECORD (the second experiment report)');
  const b = readRecord(root, params.with) as ExperimentReport;
  for (const key of ['train', 'val', 'test', 'splitSeed', 'epochs', 'batchSize'] as const)
    if (a.setup[key] !== b.setup[key]) throw new Error(`table:experiment-compare: the reports differ in ${key} (${a.setup[key]} vs ${b.setup[key]})`);
  if (a.setup.seeds.join() !== b.setup.seeds.join()) throw new Error('table:experiment-compare: the reports have different seeds');
  const [na, nb] = [a, b].map((r) => (r.setup.cnn ? 'CNN' : 'MLP'));
  const second = new Map(b.summaries.map((s) => [s.config, s]));
  const body = a.summaries.flatMap((sa) => {
    const sb = second.get(sa.config);
    if (!sb) return [];
    const delta = 100 * (sb.heldOutAccuracy.mean - sa.heldOutAccuracy.mean);
    return [
      [
        sa.label,
        fmtSpread(sa.heldOutAccuracy, 2, 100),
        fmtSpread(sb.heldOutAccuracy, 2, 100),
        `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)}`,
        fmtSpread(sa.gap, 2, 100),
        fmtSpread(sb.gap, 2, 100),
      ],
    ];
  });
  if (body.length === 0) throw new Error('table:experiment-compare: no configuration is in both reports');
  const head = [
    `configuration (${modelLabel(a.setup)} · ${modelLabel(b.setup)})`,
    `${na} held-out %`,
    `${nb} held-out %`,
    `${nb} − ${na} (pts)`,
    `${na} gap (pts)`,
    `${nb} gap (pts)`,
  ];
  return markdown([head, ...body], (c) => c > 0);
}

/** Where a bench report ran, for a table's first column. */
function hostLabel(report: BenchReport): string {
  const names: Record<string, string> = { swiftshader: 'SwiftShader', lavapipe: 'lavapipe' };
  const a = report.adapter;
  const adapter = names[a.kind] ?? names[a.architecture] ?? (a.description || a.architecture || a.kind);
  return `${adapter}, ${report.host === 'node' ? 'Node' : 'Chromium'}`;
}

/** A case name as the README writes it: `28x28x1` as `28×28×1`. */
const pretty = (kase: string): string => kase.replace(/(\d)x(?=\d)/g, '$1×');

function rowOf(report: BenchReport, suite: string, kase: string, impl: string): ReportRow | undefined {
  return report.rows.find((r) => r.suite === suite && r.case === kase && r.impl === impl);
}

/** The speed-up of `row` over the faster of `peers` (the smallest of its speed-ups over them). */
function overFasterPeer(row: ReportRow | undefined, peers: readonly string[]): number | undefined {
  const ratios = peers.map((p) => row?.speedup[p]).filter((x): x is number => x !== undefined);
  return ratios.length > 0 ? Math.min(...ratios) : undefined;
}

const PEERS = ['tfjs-webgpu', 'jax-js'];

/** The conv suite: per case, the engine's GFLOP/s and its ratio to each peer, forward and forward + backward. */
function convTable(report: BenchReport, params: Record<string, string>): string {
  const target = Number(params.target);
  if (!(target > 0)) throw new Error('table:conv needs target=X (the fwd + bwd ratio to the faster peer the issue asks for)');
  const layers = [...new Set(report.rows.filter((r) => r.suite === 'conv' && r.case.endsWith(' forward')).map((r) => r.case.slice(0, -' forward'.length)))];
  if (layers.length === 0) throw new Error('table:conv: the record has no conv rows');
  const head = [
    `case (${hostLabel(report)})`,
    'engine fwd',
    'vs tfjs',
    'vs jax-js',
    'engine fwd + bwd',
    'vs tfjs',
    'vs jax-js',
    `target fwd + bwd ≥ ${target}× the faster peer`,
  ];
  const body = layers.map((layer) => {
    const fwd = rowOf(report, 'conv', `${layer} forward`, 'engine');
    const both = rowOf(report, 'conv', `${layer} forward+backward`, 'engine');
    const ratios = (r: ReportRow | undefined) => PEERS.map((p) => fmtRatio(r?.speedup[p]));
    const faster = overFasterPeer(both, PEERS);
    return [
      pretty(layer),
      fwd ? fmtNum(fwd.figure.median) : '',
      ...ratios(fwd),
      both ? fmtNum(both.figure.median) : '',
      ...ratios(both),
      faster === undefined ? '' : faster >= target ? 'met' : '**missed**',
    ];
  });
  // The CNN training step against the peers' same step (records from before the peers' step have
  // only the engine's rows, and no such line): ms per step, the issue's target 1.5× in both hosts.
  const step = casesOf(report, 'conv').find((c) => c.startsWith('cnn-step'));
  const engineStep = step === undefined ? undefined : rowOf(report, 'conv', step, 'engine');
  const stepFaster = overFasterPeer(engineStep, PEERS);
  if (step !== undefined && engineStep && stepFaster !== undefined) {
    body.push([
      `${pretty(step)}, ms per step (target ≥ ${CNN_STEP_TARGET}×)`,
      '',
      '',
      '',
      fmtNum(engineStep.figure.median),
      ...PEERS.map((p) => fmtRatio(engineStep.speedup[p])),
      stepFaster >= CNN_STEP_TARGET ? 'met' : '**missed**',
    ]);
  }
  return markdown([head, ...body]);
}

/** Issue 18: the CNN training step ≥ 1.5× the faster peer, in Chromium and in Node. */
const CNN_STEP_TARGET = 1.5;

/** One target of the issues: its first cell, and what the record measured of it (undefined: nothing). */
interface Target {
  name: (report: BenchReport) => string;
  measure: (report: BenchReport) => { measured: string; verdict: string } | undefined;
}

const casesOf = (report: BenchReport, suite: string): string[] => [...new Set(report.rows.filter((r) => r.suite === suite).map((r) => r.case))];

/** The targets of issues 9, 18 and 20 for a browser run (SwiftShader or a GPU in Chromium). */
const BROWSER_TARGETS: Target[] = [
  {
    name: (r) => `matmul ≥ 1.5× jax-js: ${casesOf(r, 'matmul').map(pretty).join(', ')}`,
    measure: (r) => {
      const cases = casesOf(r, 'matmul');
      if (cases.length === 0) return undefined;
      const ratio = (impl: string) => cases.map((c) => rowOf(r, 'matmul', c, impl)?.speedup['jax-js']);
      const fixed = ratio('engine');
      const tuned = ratio('engine-tuned');
      const missed = cases.filter((_, i) => !((fixed[i] ?? 0) >= 1.5));
      const ceiling = Math.max(...cases.map((c) => rowOf(r, 'matmul', c, 'engine')?.ofCeiling ?? 0));
      return {
        measured: `${fixed.map(fmtRatio).join(', ')}${tuned.some((x) => x !== undefined) ? ` (tuned ${tuned.map(fmtRatio).join(', ')})` : ''}; the engine at up to ${fmtPercent(ceiling)} of the FMA ceiling`,
        verdict:
          missed.length === 0 ? met(true) : `${met(false)} for ${missed.map(pretty).join(', ')} (${cases.length - missed.length} of ${cases.length} met)`,
      };
    },
  },
  {
    name: (r) => `MLP step ${casesOf(r, 'mlp')[0] ?? ''} ≥ 1.5× jax-js`,
    measure: (r) => {
      const kase = casesOf(r, 'mlp')[0];
      const engine = kase === undefined ? undefined : rowOf(r, 'mlp', kase, 'engine');
      const jax = kase === undefined ? undefined : rowOf(r, 'mlp', kase, 'jax-js');
      if (!engine || !jax) return undefined;
      const ratio = engine.speedup['jax-js'];
      return {
        measured: `${fmtNum(engine.figure.median)} ms vs ${fmtNum(jax.figure.median)} ms: ${fmtRatio(ratio)} (${fmtRatio(engine.speedup['tfjs-webgpu'])} tfjs)`,
        verdict: met(ratio >= 1.5),
      };
    },
  },
  {
    name: () => 'standalone dropout forward + backward ≥ 80% of copy',
    measure: (r) => {
      const kase = casesOf(r, 'dropout')[0];
      const engine = kase === undefined ? undefined : rowOf(r, 'dropout', kase, 'engine');
      const copy = kase === undefined ? undefined : rowOf(r, 'dropout', kase, 'ceiling-copy');
      if (!engine || !copy) return undefined;
      const of = engine.figure.median / copy.figure.median;
      return {
        measured: `${fmtNum(engine.figure.median)} GB/s of ${fmtNum(copy.figure.median)}: ${fmtPercent(of)} (${fmtRatio(engine.speedup['jax-js'])} jax-js)`,
        verdict: met(of >= 0.8),
      };
    },
  },
  {
    name: () => "each regularizer's step ≤ 1.05× the plain step (wall-clock ratio, paired by round)",
    measure: (r) => {
      // The baseline and its rebuilt control ('chain sgd') are the reference, not regularizers.
      const variants = r.rows.filter(
        (x) => x.suite === 'regularizers' && typeof x.extra?.ratio === 'number' && x.case !== 'chain sgd' && !x.case.startsWith('baseline'),
      );
      if (variants.length === 0) return undefined;
      const ratio = (x: ReportRow) => x.extra?.ratio as number;
      const over = variants.filter((x) => ratio(x) > 1.05);
      return {
        measured: variants.map((x) => `${x.case} ${ratio(x).toFixed(2)}`).join(', '),
        verdict: over.length === 0 ? met(true) : `${met(false)} for ${over.map((x) => x.case).join(', ')}`,
      };
    },
  },
  {
    name: () => 'conv2d forward + backward ≥ 1.5× the faster peer',
    measure: (r) => {
      const cases = casesOf(r, 'conv').filter((c) => c.endsWith(' forward+backward'));
      if (cases.length === 0) return undefined;
      const ratios = cases.map((c) => overFasterPeer(rowOf(r, 'conv', c, 'engine'), PEERS));
      const missed = cases.filter((_, i) => !((ratios[i] ?? 0) >= 1.5));
      return {
        measured: cases.map((c, i) => `${pretty(c.slice(0, -' forward+backward'.length))}: ${fmtRatio(ratios[i])}`).join(', '),
        verdict: missed.length === 0 ? `${met(true)} for all ${cases.length}` : `${met(false)} for ${missed.map(pretty).join(', ')}`,
      };
    },
  },
  {
    name: () => 'dropout in the conv epilogues ≤ 1.05× the CNN step without',
    measure: (r) => {
      const kase = casesOf(r, 'conv').find((c) => c.startsWith('cnn-step'));
      const plain = kase === undefined ? undefined : rowOf(r, 'conv', kase, 'engine');
      const masked = kase === undefined ? undefined : rowOf(r, 'conv', kase, 'engine-conv-dropout');
      if (!plain || !masked) return undefined;
      const ratio = plain.speedup['engine-conv-dropout'];
      return { measured: `${fmtNum(masked.figure.median)} vs ${fmtNum(plain.figure.median)} ms: ${fmtRatio(ratio)}`, verdict: met(ratio <= 1.05) };
    },
  },
  { name: () => '5-member ensemble ≤ 2× one member', measure: () => undefined },
];

/** The issue targets a default browser run measures, each met or missed by its record. */
function targetsTable(report: BenchReport): string {
  if (report.host !== 'browser') throw new Error('table:targets: the targets known here are those of the browser run (a report with host "browser")');
  const body = BROWSER_TARGETS.map((t) => {
    const m = t.measure(report);
    return [t.name(report), m?.measured ?? 'not in this record', m?.verdict ?? '—'];
  });
  return markdown([['target', `measured (${hostLabel(report)})`, 'verdict'], ...body]);
}

/** A table kind: how its record's JSON becomes Markdown. */
const KINDS: Record<string, (record: unknown, params: Record<string, string>, root: string) => string> = {
  experiment: (record) => experimentTable(record as ExperimentReport),
  'experiment-compare': (record, params, root) => experimentCompareTable(record as ExperimentReport, root, params),
  conv: (record, params) => convTable(record as BenchReport, params),
  targets: (record) => targetsTable(record as BenchReport),
};

/** One table between markers. */
export interface TableBlock {
  kind: string;
  record: string;
  params: Record<string, string>;
  /** The table as the README has it. */
  current: string;
  /** The table its record gives; undefined when it could not be made (see `problem`). */
  generated?: string;
  /** Why not: an unknown kind, a missing or unreadable record. */
  problem?: string;
}

/** The table a marker asks for, from the record at `root/<record>`. */
export function renderTable(root: string, kind: string, record: string, params: Record<string, string> = {}): string {
  const render = KINDS[kind];
  if (!render) throw new Error(`unknown table kind "${kind}" (kinds: ${Object.keys(KINDS).join(', ')})`);
  return render(readRecord(root, record), params, root);
}

/** The JSON of the record at `root/<record>`. */
function readRecord(root: string, record: string): unknown {
  try {
    return JSON.parse(readFileSync(resolve(root, record), 'utf8'));
  } catch (e) {
    throw new Error(`${record}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Every table between markers in `readme`, with what its record gives. */
export function readmeTables(readme: string, root: string): TableBlock[] {
  return [...readme.matchAll(BLOCK)].map((m) => {
    const params = Object.fromEntries(
      m[3]
        .trim()
        .split(' ')
        .filter((p) => p)
        .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
    );
    const block: TableBlock = { kind: m[1], record: m[2], params, current: m[4].replace(/\n$/, '') };
    try {
      block.generated = renderTable(root, block.kind, block.record, params);
    } catch (e) {
      block.problem = e instanceof Error ? e.message : String(e);
    }
    return block;
  });
}

/** `readme` with every table between markers replaced by what its record gives (a table that cannot be made is left as it is). */
export function regenerate(readme: string, root: string): string {
  const tables = readmeTables(readme, root);
  let i = 0;
  return readme.replace(BLOCK, (whole, kind: string, record: string, params: string) => {
    const t = tables[i++];
    return t.generated === undefined ? whole : `<!-- table:${kind} from ${record}${params} -->\n${t.generated}\n<!-- /table -->`;
  });
}

function main(): number {
  const { values } = parseProcessArgs({
    program: 'readme-tables',
    usage: 'npm run readme-tables -- [options]\n\nRewrites the tables of the README that sit between <!-- table:... --> markers from the records they name.',
    options: {
      readme: option('PATH', 'the Markdown file', text, { default: 'README.md' }),
      check: flag('write nothing; exit 1 when a table differs from its record'),
    },
  });
  const path = resolve(values.readme);
  const root = resolve(path, '..');
  const readme = readFileSync(path, 'utf8');
  const tables = readmeTables(readme, root);
  const problems = tables.filter((t) => t.problem !== undefined).map((t) => `table:${t.kind} from ${t.record}: ${t.problem}`);
  const stale = tables.filter((t) => t.generated !== undefined && t.generated !== t.current).map((t) => `table:${t.kind} from ${t.record}`);
  for (const p of problems) console.error(p);
  if (values.check) {
    for (const s of stale) console.error(`${s}: differs from its record (npm run readme-tables rewrites it)`);
    console.log(`${tables.length} tables, ${stale.length} stale, ${problems.length} with problems`);
    return stale.length > 0 || problems.length > 0 ? 1 : 0;
  }
  const next = regenerate(readme, root);
  if (next !== readme) writeFileSync(path, next);
  console.log(`${tables.length} tables: ${stale.length} rewritten${stale.length ? ` (${stale.join('; ')})` : ''}, ${problems.length} with problems`);
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith('readme-tables.ts')) process.exitCode = main();
