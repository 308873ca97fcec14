/**
 * A small suite for the harness tests: real GPU work through the engine, at tiny sizes, shaped like
 * the real suites' output (several cases, a compared pair of implementations, a ceiling row). What
 * it measures is not the point; that every part of the report gets exercised is.
 */
import { add, mul, scale } from '../../engine/index';
import { timeGpu, median } from '../../bench/timing';
import type { BenchRow, BenchSuite } from '../../bench/types';
import type { SuiteInfo } from '../../bench/suites/index';

/** `add` in one dispatch (impl `engine`) against mul-then-scale in two (impl `two-pass`), and a buffer copy as the ceiling. */
export const trivialSuite: BenchSuite = async (ctx) => {
  const rows: BenchRow[] = [];
  const sizes = ctx.sizes ?? [1 << 12, 1 << 14];
  for (const n of sizes) {
    const a = ctx.rt.tensor(new Float32Array(n).fill(1));
    const b = ctx.rt.tensor(new Float32Array(n).fill(2));
    const c = ctx.rt.empty([n]);
    const bytes = 12 * n;
    const gbs = (ms: number[]) => bytes / 1e6 / median(ms);
    const cases: [string, () => void][] = [
      ['engine', () => add(a, b).dispose()],
      [
        'two-pass',
        () => {
          const t = mul(a, b);
          scale(t, 1).dispose();
          t.dispose();
        },
      ],
      ['ceiling-copy', () => ctx.rt.copy(a, c)],
    ];
    for (const [impl, step] of cases) {
      ctx.log(`${impl} n=${n}`);
      const samplesMs = await timeGpu(ctx.rt, step, { samples: ctx.samples, iters: 4 });
      const work = impl === 'ceiling-copy' ? 8 * n : bytes;
      rows.push({
        suite: 'trivial',
        case: `n=${n}`,
        impl,
        unit: 'GB/s',
        value: impl === 'ceiling-copy' ? work / 1e6 / median(samplesMs) : gbs(samplesMs),
        samplesMs,
        extra: { dispatches: impl === 'two-pass' ? 2 : 1 },
      });
    }
    for (const t of [a, b, c]) t.dispose();
  }
  return rows;
};

/** A suite that always throws (the report must record it and go on). */
export const failingSuite: BenchSuite = async () => {
  throw new Error('this suite fails on purpose');
};

/** The registry the harness tests run with. */
export const TEST_REGISTRY: SuiteInfo[] = [
  { name: 'trivial', about: 'add vs mul+scale vs a copy, tiny sizes', run: trivialSuite },
  { name: 'failing', about: 'throws', run: failingSuite },
];
