/**
 * Summaries over seeds: mean, sample standard deviation and range, and the per-configuration rows
 * of the report built from the runs.
 */
import type { ConfigSummary, Hyper, RunResult, Spread } from './types';

/** Mean, sample standard deviation (n − 1; 0 for a single value), min and max of `xs`. */
export function spreadOf(xs: readonly number[]): Spread {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...xs), max: Math.max(...xs), n };
}

/** Median of a non-empty list. */
export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A configuration's row: each figure over the configuration's runs (one per seed). */
export function summarize(config: { name: string; label: string; short?: string; about: string; hyper: Hyper }, runs: readonly RunResult[]): ConfigSummary {
  const mine = runs.filter((r) => r.config === config.name);
  const of = (f: (r: RunResult) => number) => spreadOf(mine.map(f));
  return {
    config: config.name,
    label: config.label,
    short: config.short ?? config.label,
    about: config.about,
    hyper: config.hyper,
    trainAccuracy: of((r) => r.trainAccuracy),
    heldOutAccuracy: of((r) => r.heldOutAccuracy),
    gap: of((r) => r.gap),
    zeroFraction: of((r) => r.zeroFraction),
    secondsPerEpoch: of((r) => r.secondsPerEpoch),
    epochs: of((r) => r.epochs),
    heldOutLoss: of((r) => r.heldOutLoss),
  };
}
