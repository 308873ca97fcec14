/**
 * What the README's generated tables share (scripts/readme-tables.ts, scripts/readme-targets.ts):
 * Markdown rows, verdicts, and how a bench report's rows are looked up and named.
 */
import type { BenchReport, ReportRow } from '../bench/report/types';

/** Markdown rows from cells, header first; `right`: which columns are right-aligned. */
export function markdown(cells: readonly string[][], right: (column: number) => boolean = () => false): string {
  const row = (r: readonly string[]) => `| ${r.join(' | ')} |`;
  return [row(cells[0]), row(cells[0].map((_, c) => (right(c) ? '---:' : '---'))), ...cells.slice(1).map(row)].join('\n');
}

export const met = (ok: boolean): string => (ok ? '**met**' : '**missed**');

/** Where a bench report ran, for a table's first column. */
export function hostLabel(report: BenchReport): string {
  const names: Record<string, string> = { swiftshader: 'SwiftShader', lavapipe: 'lavapipe' };
  const a = report.adapter;
  const adapter = names[a.kind] ?? names[a.architecture] ?? (a.description || a.architecture || a.kind);
  return `${adapter}, ${report.host === 'node' ? 'Node' : 'Chromium'}`;
}

/** A case name as the README writes it: `28x28x1` as `28×28×1`. */
export const pretty = (kase: string): string => kase.replace(/(\d)x(?=\d)/g, '$1×');

export function rowOf(report: BenchReport, suite: string, kase: string, impl: string): ReportRow | undefined {
  return report.rows.find((r) => r.suite === suite && r.case === kase && r.impl === impl);
}

/** The speed-up of `row` over the faster of `peers` (the smallest of its speed-ups over them). */
export function overFasterPeer(row: ReportRow | undefined, peers: readonly string[]): number | undefined {
  const ratios = peers.map((p) => row?.speedup[p]).filter((x): x is number => x !== undefined);
  return ratios.length > 0 ? Math.min(...ratios) : undefined;
}

/** The peers every suite compares the engine with. */
export const PEERS = ['tfjs-webgpu', 'jax-js'];

/** The distinct cases of `suite` in the report, in order. */
export const casesOf = (report: BenchReport, suite: string): string[] => [...new Set(report.rows.filter((r) => r.suite === suite).map((r) => r.case))];
