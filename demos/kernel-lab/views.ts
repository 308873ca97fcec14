/**
 * The results of the lab page: the correctness line, the table of times (the kernel and the
 * engine's kernel), the history of runs (each edit's time, with a button to bring its source
 * back) and the roofline with the current run, the engine's kernel and the previous runs.
 * Every text from the user (sources, messages) is set with textContent.
 */
import { describeCheck } from '../../bench/lab/check';
import { el } from '../shared/dom';
import { drawRoofline, type RooflinePoint } from '../under-the-hood/roofline';
import type { Ceilings, RunResult } from './run';

/** The page's areas below the controls. */
export interface Layout {
  about: HTMLElement;
  /** The editor's column (the editor goes first, the diff below it). */
  left: HTMLElement;
  diffBox: HTMLElement;
  result: HTMLElement;
  canvas: HTMLCanvasElement;
  maskBox: HTMLElement;
  historyBox: HTMLElement;
}

/** Builds the areas into `root`: what the preset does above the controls, editor and results side by side, the history below. */
export function buildLayout(root: HTMLElement): Layout {
  const about = el('p', 'about');
  const grid = el('div', 'lab-grid');
  const left = el('div');
  const right = el('div');
  const diffBox = el('div', 'diff');
  diffBox.hidden = true;
  const result = el('div', 'result');
  const canvas = el('canvas', 'roofline');
  const legend = el(
    'p',
    'muted',
    'Roofline: each dot is a run, by its number in the history (blue: the latest; grey: earlier; red: wrong); 0 is the engine’s kernel of the same op.',
  );
  const maskBox = el('div', 'mask-box');
  const historyBox = el('div', 'history-box');
  root.prepend(about);
  left.append(diffBox);
  right.append(result, canvas, legend, maskBox);
  grid.append(left, right);
  root.append(grid, el('h3', undefined, 'History'), historyBox);
  return { about, left, diffBox, result, canvas, maskBox, historyBox };
}

/** One run in the history. */
export interface HistoryEntry {
  n: number;
  preset: string;
  /** Lines changed from the preset. */
  changed: number;
  source: string;
  params: Record<string, number>;
  result: RunResult;
}

/** A time (ms) or a rate (GFLOP/s, GB/s) for reading: whole from 100, two decimals from 1, else three figures. */
const measureText = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** The outcome of the last run: correctness, then the timings with both ceilings' fractions. */
export function renderResult(parent: HTMLElement, r: RunResult, c: Ceilings | null): void {
  parent.replaceChildren();
  if (r.compileErrors) {
    parent.append(el('p', 'verdict bad', `Does not compile: ${r.compileErrors.length} message(s), shown at their lines in the editor.`));
    for (const m of r.compileErrors) parent.append(el('div', 'compile-error', `line ${m.line}:${m.column}: ${m.message}`));
    return;
  }
  if (r.stopped) return void parent.append(el('p', 'verdict bad stopped', r.stopped));
  if (r.error) return void parent.append(el('p', 'verdict bad', r.error));
  if (!r.check) return;
  parent.append(el('p', `verdict ${r.check.correct ? 'good' : 'bad'}`, describeCheck(r.check)));
  const table = el('table', 'timings');
  const head = el('tr');
  for (const h of ['', 'median', 'best … worst', 'GFLOP/s', 'GB/s', '% of FMA', '% of copy']) head.append(el('th', undefined, h));
  table.append(head);
  for (const t of r.timed) {
    const row = el('tr');
    row.dataset.impl = t.impl;
    const cells = [
      t.impl === 'lab' ? 'yours' : 'engine',
      measureText(t.medianMs),
      `${measureText(t.bestMs)} … ${measureText(t.worstMs)}`,
      measureText(t.gflops),
      measureText(t.gbps),
      c ? (100 * (t.gflops / c.gflops)).toFixed(1) : '–',
      c ? (100 * (t.gbps / c.gbps)).toFixed(1) : '–',
    ];
    for (const x of cells) row.append(el('td', undefined, x));
    table.append(row);
  }
  parent.append(table);
  const clock = r.timed[0]?.clock === 'gpu' ? 'GPU timestamp queries' : 'the wall clock (submit to onSubmittedWorkDone)';
  parent.append(
    el(
      'p',
      'muted',
      `Times per dispatch in ms on ${clock}, samples taken in turn; % of the FMA and copy ceilings measured on this GPU at the first run; “engine” is the engine's kernel of the same op.`,
    ),
  );
}

/** The history table; `restore` brings an entry's source and params back. */
export function renderHistory(parent: HTMLElement, entries: readonly HistoryEntry[], restore: (e: HistoryEntry) => void): void {
  parent.replaceChildren();
  if (entries.length === 0) return void parent.append(el('p', 'muted', 'Runs appear here, newest first.'));
  const table = el('table', 'history');
  const head = el('tr');
  for (const h of ['#', 'preset', 'edit', 'result', 'median', 'GFLOP/s', 'GB/s', '']) head.append(el('th', undefined, h));
  table.append(head);
  for (const e of [...entries].reverse()) {
    const lab = e.result.timed.find((t) => t.impl === 'lab');
    const verdict = e.result.compileErrors
      ? 'compile error'
      : e.result.stopped
        ? 'stopped'
        : e.result.error
          ? 'error'
          : e.result.check?.correct
            ? 'correct'
            : 'WRONG';
    const row = el('tr');
    for (const x of [
      String(e.n),
      e.preset,
      e.changed ? `${e.changed} line(s) changed` : 'as preset',
      verdict,
      lab ? `${measureText(lab.medianMs)} ms` : '–',
      lab ? measureText(lab.gflops) : '–',
      lab ? measureText(lab.gbps) : '–',
    ])
      row.append(el('td', undefined, x));
    const b = el('button', undefined, 'load');
    b.addEventListener('click', () => restore(e));
    const td = el('td');
    td.append(b);
    row.append(td);
    table.append(row);
  }
  parent.append(table);
}

/** The roofline: every timed run (the latest in blue, wrong ones in red), and the engine's kernel of the latest (0). */
export function renderRoofline(canvas: HTMLCanvasElement, entries: readonly HistoryEntry[], c: Ceilings): number {
  const points: RooflinePoint[] = [];
  for (const [i, e] of entries.entries()) {
    const work = e.result.work;
    const lab = e.result.timed.find((t) => t.impl === 'lab');
    if (!work || !lab || work.bytes === 0) continue;
    const latest = i === entries.length - 1;
    points.push({
      id: e.n,
      intensity: work.flops / work.bytes,
      gflops: lab.gflops,
      color: e.result.check?.correct ? (latest ? '#1f6feb' : '#8c959f') : '#b42318',
    });
    const engine = e.result.timed.find((t) => t.impl === 'engine');
    if (latest && engine) points.push({ id: 0, intensity: work.flops / work.bytes, gflops: engine.gflops, color: '#1a7f37' });
  }
  drawRoofline(canvas, { peakGflops: c.gflops, bandwidthGBs: c.gbps, points });
  return points.length;
}
