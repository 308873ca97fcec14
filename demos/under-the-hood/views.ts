/**
 * The page's tables and the step's timeline, as plain DOM. Numbers are formatted for reading, not
 * for copying: µs to three significant figures, rates to three.
 */
import { el } from '../shared/dom';
import { FAMILY_COLOR, type Family } from './costs';
import type { Ceilings, Comparison, KernelRow } from './measure';

/** A number to three significant figures, without exponent for everyday magnitudes. */
export function sig(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  if (a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(digits)));
}

/** The time a row's rates use: alone when measured, else in the step. */
export function rowUs(r: KernelRow): number | null {
  return r.aloneUs ?? r.inStepUs;
}

/** Attained GFLOP/s and GB/s of a row (from {@link rowUs}), and its share of the roof. */
export function rates(r: KernelRow, c: Ceilings | null): { gflops: number | null; gbs: number | null; ai: number; roof: number | null } {
  const us = rowUs(r);
  const ai = r.bytes > 0 ? r.flops / r.bytes : 0;
  if (us === null || us <= 0) return { gflops: null, gbs: null, ai, roof: null };
  const gflops = r.flops / us / 1e3;
  const gbs = r.bytes / us / 1e3;
  // Share of the roof: the binding ceiling at this intensity (bandwidth alone for zero-FLOP kernels).
  const roof = c ? (r.flops > 0 ? gflops / Math.min(c.peakGflops, c.bandwidthGBs * ai) : gbs / c.bandwidthGBs) : null;
  return { gflops, gbs, ai, roof };
}

/** Handlers of the kernel table. */
export interface TableHandlers {
  /** A kernel's name was clicked: show its WGSL. */
  onSource(r: KernelRow): void;
  /** A row was hovered or clicked (null: left). */
  onSelect(n: number | null): void;
}

const HEAD = ['#', 'phase', 'kernel', 'what it computes', 'grid', 'in step µs', 'alone µs', 'GFLOP/s', 'GB/s', 'FLOP/B', 'of roof'];

/** The per-kernel table; returns a function that refreshes its numbers. */
export function kernelTable(parent: HTMLElement, rows: readonly KernelRow[], h: TableHandlers): (c: Ceilings | null, selected: number | null) => void {
  const table = el('table', 'kernels');
  const thead = el('thead');
  const hr = el('tr');
  for (const t of HEAD) hr.append(el('th', undefined, t));
  thead.append(hr);
  const tbody = el('tbody');
  const cells: HTMLTableCellElement[][] = [];
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.n = String(r.n);
    const fam = el('span', 'swatch');
    fam.style.background = FAMILY_COLOR[r.family];
    const name = el('a', 'kernel', `${r.dispatch.file.replace(/^shaders\//, '').replace(/\.wgsl$/, '')} · ${r.dispatch.entry}`);
    name.href = '#';
    name.title = `show ${r.dispatch.file} @compute ${r.dispatch.entry}`;
    name.addEventListener('click', (ev) => {
      ev.preventDefault();
      h.onSource(r);
    });
    const kernelCell = el('td');
    kernelCell.append(fam, name);
    const row = [
      el('td', undefined, String(r.n)),
      el('td', 'phase', r.phase),
      kernelCell,
      el('td', 'what', r.label + (r.estimated ? ' ≈' : '')),
      el('td', 'grid', r.dispatch.grid.filter((g, i) => i === 0 || g > 1).join('×')),
    ];
    const nums = Array.from({ length: 6 }, () => el('td'));
    tr.append(...row, ...nums);
    cells.push(nums);
    tr.addEventListener('mouseenter', () => h.onSelect(r.n));
    tr.addEventListener('mouseleave', () => h.onSelect(null));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  parent.append(table);
  return (c, selected) => {
    rows.forEach((r, i) => {
      const q = rates(r, c);
      const [inStep, alone, gf, gb, ai, roof] = cells[i];
      inStep.textContent = sig(r.inStepUs);
      alone.textContent = sig(r.aloneUs);
      gf.textContent = r.flops > 0 ? sig(q.gflops) : '–';
      gb.textContent = sig(q.gbs);
      ai.textContent = sig(q.ai, 2);
      roof.textContent = q.roof === null ? '–' : `${Math.round(q.roof * 100)}%`;
      (roof.parentElement as HTMLTableRowElement).classList.toggle('selected', r.n === selected);
    });
  };
}

/** The step as a bar: one segment per dispatch, width ∝ its time, coloured by family; and a legend with each family's share. */
export function timeline(parent: HTMLElement, rows: readonly KernelRow[], pick: (r: KernelRow) => number | null): void {
  parent.replaceChildren();
  const total = rows.reduce((s, r) => s + (pick(r) ?? 0), 0);
  if (total <= 0) return;
  const bar = el('div', 'timeline');
  for (const r of rows) {
    const t = pick(r) ?? 0;
    const seg = el('span');
    seg.style.flexGrow = String(t);
    seg.style.background = FAMILY_COLOR[r.family];
    seg.title = `#${r.n} ${r.dispatch.entry} (${r.phase}): ${sig(t)} µs`;
    bar.append(seg);
  }
  const byFamily = new Map<Family, number>();
  for (const r of rows) byFamily.set(r.family, (byFamily.get(r.family) ?? 0) + (pick(r) ?? 0));
  const legend = el('div', 'legend');
  for (const [f, t] of [...byFamily].sort((a, b) => b[1] - a[1])) {
    const item = el('span', 'item');
    const sw = el('span', 'swatch');
    sw.style.background = FAMILY_COLOR[f];
    item.append(sw, `${f} ${Math.round((100 * t) / total)}%`);
    legend.append(item);
  }
  const caption = el('p', 'note', 'The step in recording order: one segment per dispatch, its width its time (hover for the kernel).');
  parent.append(bar, legend, caption);
}

/** The fused-against-unfused table (rows appended as they are measured). */
export function comparisonTable(parent: HTMLElement): (c: Comparison) => void {
  const table = el('table', 'fusion');
  const hr = el('tr');
  for (const t of ['', 'fused', 'dispatches', 'µs', 'unfused', 'dispatches', 'µs', 'unfused ÷ fused']) hr.append(el('th', undefined, t));
  const thead = el('thead');
  thead.append(hr);
  const tbody = el('tbody');
  table.append(thead, tbody);
  parent.append(table);
  return (c) => {
    const tr = el('tr');
    const ratio = c.unfused.us / c.fused.us;
    // Above 1 fusion won; within ±5 % the machine's noise could decide either way.
    const ratioCell = el('td', ratio >= 1.05 ? 'win' : ratio <= 0.95 ? 'loss' : 'even', `${ratio.toFixed(2)}×`);
    tr.append(
      el('th', undefined, c.what),
      el('td', 'name', c.fusedName),
      el('td', undefined, sig(c.fused.dispatches)),
      el('td', undefined, sig(c.fused.us)),
      el('td', 'name', c.unfusedName),
      el('td', undefined, sig(c.unfused.dispatches)),
      el('td', undefined, sig(c.unfused.us)),
      ratioCell,
    );
    tbody.append(tr);
  };
}
