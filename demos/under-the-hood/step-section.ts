/**
 * "One training step": the step's configuration, its dispatches and submits per step (from the
 * runtime's counters), its time, the timeline of its kernels, and a note on the clock used.
 */
import { el } from '../shared/dom';
import type { Clock } from './clock';
import type { KernelRow, StepProfile, WorkCount } from './measure';
import type { StepConfig } from './step';
import { sig, timeline } from './views';

/** What the summary shows. */
export interface StepFigures {
  config: StepConfig;
  work: WorkCount;
  stepUs: number;
  rows: readonly KernelRow[];
  profile: StepProfile['profile'];
  clock: Clock;
  /** Whether the adapter has 'timestamp-query' (the wall clock was then forced by the hash). */
  hasTimestamps: boolean;
}

/** The panel; `show` fills the summary and the clock note, `timeline` redraws the bar. */
export interface StepSection {
  readonly element: HTMLElement;
  show(f: StepFigures): void;
  timeline(rows: readonly KernelRow[], pick: (r: KernelRow) => number | null): void;
}

export function stepSection(): StepSection {
  const element = el('section', 'panel');
  const summary = el('dl', 'summary');
  const bar = el('div');
  const clockNote = el('p', 'note clock-note');
  element.append(el('h2', undefined, 'One training step'), summary, bar, clockNote);

  const items = (list: [string, string, string?][]): void => {
    summary.replaceChildren();
    for (const [k, v, id] of list) {
      const d = el('div');
      const dd = el('dd', undefined, v);
      if (id) dd.id = id;
      d.append(el('dt', undefined, k), dd);
      summary.append(d);
    }
  };

  return {
    element,
    show({ config: cfg, work, stepUs, rows, profile, clock, hasTimestamps }) {
      items([
        ['model', `${cfg.layers.join('-')}, batch ${cfg.batch}`],
        ['keep · L2 α · lr', `${cfg.keep} · ${cfg.l2} · ${cfg.lr}`],
        ['dispatches per step', String(work.dispatches), 'dispatches-per-step'],
        ['submits per step', String(work.submits), 'submits-per-step'],
        ['step time', `${sig(stepUs / 1e3)} ms`],
        ['kernels, summed', clock === 'timestamp' ? `${sig(rows.reduce((a, r) => a + (r.inStepUs ?? 0), 0) / 1e3)} ms` : '–'],
      ]);
      clockNote.textContent =
        clock === 'timestamp'
          ? `Clock: GPU timestamp queries (this adapter has 'timestamp-query'). Step time: ${sig(stepUs / 1e3)} ms from two timestamps around many steps recorded back to back. The profiler split the step into ${profile.dispatches.length} passes and counted ${profile.submits} submit(s), as unprofiled.`
          : `Clock: wall clock. ${hasTimestamps ? 'Forced by #clock=wall.' : 'This adapter does not expose \u2018timestamp-query\u2019.'} Per-kernel times are measured by syncing around submits that each hold copies of one dispatch (performance.now() to onSubmittedWorkDone, divided by the copies), so they include the submit and synchronization overhead; the step time is the wall clock around many steps.`;
    },
    timeline: (rows, pick) => timeline(bar, rows, pick),
  };
}
