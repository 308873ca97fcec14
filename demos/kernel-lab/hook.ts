/**
 * The lab page's test hook (`window.__demo`), declared once: what tests/browser/kernel-lab.test.ts
 * reads, and the summary of a run it reads it from.
 */
import type { FirstBad } from '../../bench/lab/check';
import type { MaskStats } from './dropout-view';
import type { RunResult } from './run';

/** What the hook reports of the last run. */
export interface LastRun {
  preset: string;
  correct: boolean;
  firstBad: FirstBad | null;
  compileErrors: NonNullable<RunResult['compileErrors']>;
  stopped: string | null;
  error: string | null;
  medianMs: number | null;
  gflops: number | null;
  engineMs: number | null;
  rooflineDots: number;
  mask: MaskStats | null;
}

/** The hook's fields. */
export interface LabHook {
  presets: string[];
  /** Runs finished so far; `busy` while one runs. */
  runs: number;
  busy: boolean;
  last: LastRun;
  /** Lines of the editor marked as deciding keep or drop (dropout presets). */
  marked: number[];
  /** The editor's text. */
  source(): string;
  /** Puts the cursor at the end of a line, scrolled into view (the editor draws only what is visible). */
  cursorAt(line: number): void;
}

/** The summary of run `r` of preset `preset`, with the roofline's dot count and the mask's statistics. */
export function lastRun(preset: string, r: RunResult, rooflineDots: number, mask: MaskStats | null): LastRun {
  const lab = r.timed.find((t) => t.impl === 'lab');
  return {
    preset,
    correct: r.check?.correct ?? false,
    firstBad: r.check?.firstBad ?? null,
    compileErrors: r.compileErrors ?? [],
    stopped: r.stopped ?? null,
    error: r.error ?? null,
    medianMs: lab?.medianMs ?? null,
    gflops: lab?.gflops ?? null,
    engineMs: r.timed.find((t) => t.impl === 'engine')?.medianMs ?? null,
    rooflineDots,
    mask,
  };
}
