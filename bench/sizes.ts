/**
 * Sizes per suite, as `npm run bench -- --sizes=...` and the bench page's `?sizes=` give them.
 * Nothing Node-only: the page and bench/run-suites.ts use it too.
 */
import { integerList } from './arg-checks';

/** Sizes per suite name (`*`: every suite without its own entry); what a size means is the suite's choice. */
export type SizeSpec = Record<string, number[]>;

/**
 * Parses `256,1024` (every suite) or `matmul=256,1024` (one suite) into `into`; several such
 * parts may be joined with `;`.
 */
export function parseSizes(text: string, into: SizeSpec = {}): SizeSpec {
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p)) {
    const m = /^(?:([\w-]+)=)?(.*)$/.exec(part)!;
    into[m[1] ?? '*'] = integerList(1)(m[2], 'sizes');
  }
  return into;
}

/** The sizes of one suite under a spec. */
export function sizesFor(spec: SizeSpec | undefined, suite: string): number[] | undefined {
  return spec?.[suite] ?? spec?.['*'];
}
