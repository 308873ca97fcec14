/**
 * The history of runs: every edit that was run, with its outcome and times, newest first in a
 * table (each with a button that brings its source and params back) and every timed run on the
 * roofline. Kept in sessionStorage without the read-back buffers, so that a reload of the page
 * (a shared link opened again, say) keeps the history of this tab.
 */
import type { Ceilings } from './run';
import { type HistoryEntry, renderHistory, renderRoofline } from './views';

const KEY = 'kernel-lab-history';

/** The runs of this tab. */
export class RunHistory {
  readonly entries: HistoryEntry[];

  constructor() {
    let saved: HistoryEntry[] = [];
    try {
      saved = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as HistoryEntry[];
    } catch {
      saved = [];
    }
    this.entries = Array.isArray(saved) ? saved : [];
  }

  /** The number the next run gets. */
  get next(): number {
    return (this.entries.at(-1)?.n ?? 0) + 1;
  }

  /** Adds a run and saves the history (the buffers read back stay out of storage). */
  add(e: HistoryEntry): void {
    this.entries.push(e);
    const stored = this.entries.map((x) => ({ ...x, result: { ...x.result, got: undefined } }));
    try {
      sessionStorage.setItem(KEY, JSON.stringify(stored));
    } catch {
      // Storage full or disabled: the history lives on in memory.
    }
  }

  /** Draws the table and, once the ceilings are known, the roofline; returns the roofline's dots. */
  render(table: HTMLElement, canvas: HTMLCanvasElement, ceilings: Ceilings | null, load: (e: HistoryEntry) => void): number {
    renderHistory(table, this.entries, load);
    return ceilings ? renderRoofline(canvas, this.entries, ceilings) : 0;
  }
}
