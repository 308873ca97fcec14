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
 * asks for), `targets` (the issue targets measured by a default `npm run bench` run, browser or Node: scripts/readme-targets.ts)
 * and `regularizers` (the regularizers suite's step ratios; `with=` puts a second record beside it).
 * `--check` writes nothing and exits 1 when a table differs from what its record gives
 * (tests/lint/readme-tables.test.ts does the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, option, parseProcessArgs, text } from '../bench/args';
import { fmtSpread, tableCells } from '../bench/experiment/table';
import { modelLabel, type ExperimentReport } from '../bench/experiment/types';
import { fmtNum, fmtRatio } from '../bench/report/format';
import type { BenchReport, ReportRow } from '../bench/report/types';
import { casesOf, hostLabel, markdown, overFasterPeer, PEERS, pretty, rowOf } from './readme-cells';
import { targetsTable } from './readme-targets';

/** A marker, its table and the closing marker. */
const BLOCK = /^<!-- table:([\w-]+) from (\S+)((?: [\w-]+=\S+)*) -->\n([\s\S]*?)^<!-- \/table -->$/gm;

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

/**
 * The regularizers suite of one or more bench reports side by side (`with=` names a second record):
 * per variant, the step's ratio to the plain step on the wall clock and on the GPU clock (each the
 * median over rounds of the ratio within a round), the dispatches it adds and the submits per step.
 */
function regularizersTable(report: BenchReport, root: string, params: Record<string, string>): string {
  const reports = [report, ...(params.with ? [readRecord(root, params.with) as BenchReport] : [])];
  const rowsOf = (r: BenchReport) => new Map(r.rows.filter((x) => x.suite === 'regularizers' && typeof x.extra?.ratio === 'number').map((x) => [x.case, x]));
  const all = reports.map(rowsOf);
  if (all[0].size === 0) throw new Error('table:regularizers: the record has no regularizers rows');
  const num = (x: unknown) => (typeof x === 'number' ? x : undefined);
  const ratios = (row: ReportRow | undefined) => {
    const wall = num(row?.extra?.ratio);
    const gpu = num(row?.extra?.['ratio gpu']);
    return wall === undefined ? '' : `${wall.toFixed(2)}${gpu === undefined ? '' : ` / ${gpu.toFixed(2)}`}`;
  };
  const head = ['variant', ...reports.map((r) => `${hostLabel(r)}: step ÷ plain step (wall / GPU)`), 'dispatches added per step', 'submits per step'];
  // Every variant of any record, in the order they first appear; the counts from the first record that has it.
  const cases = [...new Set(all.flatMap((m) => [...m.keys()]))];
  const body = cases.map((kase) => {
    const first = all.find((m) => m.has(kase))?.get(kase);
    return [kase, ...all.map((m) => ratios(m.get(kase))), String(first?.extra?.['+dispatches'] ?? ''), String(first?.extra?.submits ?? '')];
  });
  return markdown([head, ...body], (c) => c > 0);
}

/** A table kind: how its record's JSON becomes Markdown. */
const KINDS: Record<string, (record: unknown, params: Record<string, string>, root: string) => string> = {
  experiment: (record) => experimentTable(record as ExperimentReport),
  'experiment-compare': (record, params, root) => experimentCompareTable(record as ExperimentReport, root, params),
  conv: (record, params) => convTable(record as BenchReport, params),
  targets: (record) => targetsTable(record as BenchReport),
  regularizers: (record, params, root) => regularizersTable(record as BenchReport, root, params),
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
