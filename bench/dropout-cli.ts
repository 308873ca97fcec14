/**
 * Runs the dropout suite (bench/suites/dropout.ts) alone in Node and prints, per size, each
 * implementation's GB/s and its ratio to the streaming ceilings measured in the same run:
 *
 *   npx tsx --import ./scripts/wgsl-loader.mjs bench/dropout-cli.ts [--sizes=4194304] [--samples=9] [--tiny] [--peers]
 *
 * `--peers` adds the tfjs-webgpu and jax-js rows (`npm run bench` always has them).
 * The adapter is lavapipe unless WEBGPU_ADAPTER=swiftshader. The target is fused dropout
 * (forward + backward, no mask stored) at ≥ 80% of ceiling-copy, the kernel with the same traffic
 * per element and no arithmetic. Ratios are of medians of wall-clock samples taken in interleaved
 * rounds, so a change in the load of the shared CPUs hits every implementation alike.
 */
import { Runtime } from '../engine/index';
import { flag, integer, integerList, option, parseProcessArgs } from './args';
import { makeDropoutSuite } from './suites/dropout';
import { median } from './timing';
import type { BenchRow } from './types';

const { values: args } = parseProcessArgs({
  program: 'dropout-cli',
  usage:
    'npx tsx --import ./scripts/wgsl-loader.mjs bench/dropout-cli.ts [options]\n\nThe dropout suite alone in Node (WEBGPU_ADAPTER picks the adapter), with its ratios to the\nstreaming ceilings.',
  options: {
    sizes: option('N,M', "elements per case (default: the suite's sizes)", integerList(1)),
    samples: option('N', 'samples per implementation (at least 5 are taken)', integer(1), { default: 9 }),
    tiny: flag('tiny sizes (a quick check, not a benchmark)'),
    peers: flag('add the tfjs-webgpu and jax-js rows'),
  },
});
const { sizes, tiny, peers } = args;
const samples = Math.max(5, args.samples);

const rt = await Runtime.create();
console.log(`adapter: ${rt.adapterName} (${rt.info.description})`);
const errors: string[] = [];
const t0 = performance.now();
let rows: BenchRow[] = [];
try {
  rows = await makeDropoutSuite({ peers })({ rt, samples, tiny, sizes, log: (m) => process.stderr.write(`  ${m}\n`), reportError: (m) => errors.push(m) });
} finally {
  rt.destroy();
}

/** GB/s of a row by its GPU timestamps (same bytes as `value`), where the adapter has them. */
function gpuGBs(r: BenchRow): number | undefined {
  if (!r.gpuSamplesMs || r.gpuSamplesMs.length === 0) return undefined;
  return (r.value * median(r.samplesMs)) / median(r.gpuSamplesMs);
}

/**
 * The row's throughput over the ceiling's, round by round (sample k of every implementation was
 * taken in round k, back to back), then the median: a load change between rounds cancels out of
 * each ratio, which makes this steadier than the ratio of the two medians on a busy machine.
 */
function pairedRatio(r: BenchRow, ceiling: BenchRow | undefined): number | undefined {
  if (!ceiling || ceiling.samplesMs.length !== r.samplesMs.length) return undefined;
  const bytes = (x: BenchRow): number => Number(x.extra?.['bytes/element'] ?? Number.NaN);
  const ratios = r.samplesMs.map((ms, k) => bytes(r) / ms / (bytes(ceiling) / ceiling.samplesMs[k]));
  return Number.isFinite(ratios[0]) ? median(ratios) : undefined;
}

const fmt = (x: number | undefined, d = 2): string => (x === undefined ? '–' : x.toFixed(d));
const pct = (x: number | undefined): string => (x === undefined ? '–' : `${fmt(100 * x, 0)}%`);
const head = ['case', 'impl', 'bytes/elem', 'GB/s', 'min–max ms', 'GPU GB/s', 'vs copy', 'vs copy paired', 'vs axpy', 'mask bytes stored'];
const lines: string[][] = [head];
for (const c of [...new Set(rows.map((r) => r.case))]) {
  const of = rows.filter((r) => r.case === c);
  const copyRow = of.find((r) => r.impl === 'ceiling-copy');
  const copy = copyRow?.value;
  const axpy = of.find((r) => r.impl === 'ceiling-axpy')?.value;
  for (const r of of) {
    lines.push([
      c,
      r.impl,
      String(r.extra?.['bytes/element'] ?? '–'),
      fmt(r.value),
      `${fmt(Math.min(...r.samplesMs), 3)}–${fmt(Math.max(...r.samplesMs), 3)}`,
      fmt(gpuGBs(r)),
      pct(copy ? r.value / copy : undefined),
      pct(pairedRatio(r, copyRow)),
      pct(axpy ? r.value / axpy : undefined),
      String(r.extra?.['mask bytes stored'] ?? '–'),
    ]);
  }
}
const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
console.log(
  `dropout forward + backward, keep 0.5, inverted: GB/s of the minimum traffic, median of ${samples} samples (wall clock), sampled in interleaved rounds`,
);
for (const l of lines) console.log(l.map((s, i) => (i < 2 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  '));
console.log('"vs copy" / "vs axpy": the row\'s GB/s ÷ the ceiling kernel\'s, both measured in this run (target for engine: ≥ 80% of copy).');
console.log('"vs copy paired": the same ratio taken round by round (samples taken back to back), then the median: steadier under load.');
console.log('"ms" is per iteration: engine rows do forward + backward (two dispatches), ceilings one dispatch.');
for (const e of errors) console.log(`error: ${e}`);
console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(errors.length ? 1 : 0);
