/**
 * Which lines of a source file a page marks in its Source tab, found by searching the file's text
 * for markers, never by line numbers (which move whenever a comment above is edited). A marker that
 * is missing, or that matches more than one line, is an error naming the file and the marker, so an
 * edit that moves or changes the code fails loudly instead of marking the wrong lines.
 *
 * Pages declare each highlight as a `HighlightSpec` in their `highlights.ts` (plain data, no DOM):
 * tests/lint/source-highlights.test.ts checks every spec against the real file, including that the
 * marked lines still contain the identifiers the spec names.
 */

/** Text a line must contain, or a pattern it must match. */
export type Marker = string | RegExp;

/** One stretch of marked lines: from the one line matching `start` to the first line from there matching `end` (the `start` line alone without `end`). */
export interface LineSpan {
  start: Marker;
  end?: Marker;
}

/** A highlight a page shows: a file, its marked stretches, and what those lines must contain. */
export interface HighlightSpec {
  /** Repository path of the file (as the Source tab lists it). */
  path: string;
  spans: readonly LineSpan[];
  /** Identifiers or keywords the marked lines contain between them: what the highlight is about. */
  names: readonly string[];
}

const matches = (line: string, m: Marker): boolean => (typeof m === 'string' ? line.includes(m) : line.search(m) >= 0);
const show = (m: Marker): string => (typeof m === 'string' ? `\`${m}\`` : String(m));

/** The 1-based number of the one line of `text` (from line `from` on) matching `marker`; throws if none or several do. */
export function markerLine(path: string, text: string, marker: Marker, from = 1): number {
  const found: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (i + 1 >= from && matches(line, marker)) found.push(i + 1);
  });
  if (found.length === 0) throw new Error(`${path}: no line matches ${show(marker)}${from > 1 ? ` from line ${from} on` : ''}`);
  if (found.length > 1) throw new Error(`${path}: ${show(marker)} is ambiguous (lines ${found.join(', ')}); make the marker longer`);
  return found[0];
}

/** The 1-based lines from the line matching `start` through the first line from there matching `end` (or the start line alone). */
export function linesBetween(path: string, text: string, start: Marker, end?: Marker): Set<number> {
  const first = markerLine(path, text, start);
  if (end === undefined) return new Set([first]);
  const lines = text.split('\n');
  const k = lines.findIndex((line, i) => i + 1 >= first && matches(line, end));
  if (k < 0) throw new Error(`${path}: no line after ${show(start)} (line ${first}) matches the end marker ${show(end)}`);
  return new Set(Array.from({ length: k + 1 - first + 1 }, (_, i) => first + i));
}

/** Every line a spec marks, in order. */
export function highlightLines(spec: HighlightSpec, text: string): number[] {
  const all = new Set<number>();
  for (const s of spec.spans) for (const l of linesBetween(spec.path, text, s.start, s.end)) all.add(l);
  return [...all].sort((a, b) => a - b);
}
