/**
 * Runs the matmul suite alone in Node and prints, per case, each implementation's GFLOP/s and the
 * ratios the issue asks for: engine / naive, engine / best peer, engine / FMA ceiling.
 *
 *   npx tsx --import ./scripts/wgsl-loader.mjs bench/matmul-cli.ts [--sizes=256,1024] [--samples=7] [--tiny]
 *
 * The adapter is lavapipe unless WEBGPU_ADAPTER=swiftshader. `npm run bench` runs the same suite
 * in the full harness (report files, browser) once it is registered in bench/suites/index.ts.
 */
import { Runtime } from '../engine/index';
import { flag, integer, integerList, option, parseProcessArgs } from './args';
import { matmulSuite } from './suites/matmul';
import type { BenchRow } from './types';

const { sizes, samples, tiny } = parseProcessArgs({
  program: 'matmul-cli',
  usage:
    'npx tsx --import ./scripts/wgsl-loader.mjs bench/matmul-cli.ts [options]\n\nThe matmul suite alone in Node (WEBGPU_ADAPTER picks the adapter), with the ratios of the\nissue.',
  options: {
    sizes: option('N,M', "N of the N×N×N cases (default: the suite's sizes)", integerList(1)),
    samples: option('N', 'samples per implementation', integer(1), { default: 7 }),
    tiny: flag('tiny sizes (a quick check, not a benchmark)'),
  },
}).values;

const rt = await Runtime.create();
console.log(`adapter: ${rt.adapterName} (${rt.info.description})`);
const errors: string[] = [];
const t0 = performance.now();
const rows = await matmulSuite({ rt, samples, tiny, sizes, log: (m) => process.stderr.write(`  ${m}\n`), reportError: (m) => errors.push(m) });

const PEERS = ['tfjs-webgpu', 'jax-js'];
const cases = [...new Set(rows.map((r) => r.case))];
const fmt = (x: number | undefined, d = 2): string => (x === undefined ? '–' : x.toFixed(d));
const head = ['case', 'engine', 'naive', ...PEERS, 'ceiling-fma', 'eng/naive', 'eng/best peer', 'eng/ceiling', 'per CPU-s: eng/best peer', 'engine kernel'];
const lines: string[][] = [head];
for (const c of cases) {
  const of = (impl: string): BenchRow | undefined => rows.find((r) => r.case === c && r.impl === impl);
  const eng = of('engine')?.value;
  const naive = of('naive')?.value;
  const peerValues = PEERS.map((p) => of(p)?.value);
  const ceiling = of('ceiling-fma')?.value;
  const perCpu = (impl: string): number | undefined => {
    const v = of(impl)?.extra?.gflopPerCpuS;
    return typeof v === 'number' ? v : undefined;
  };
  const engCpu = perCpu('engine');
  const bestPeerCpu = Math.max(...PEERS.map((p) => perCpu(p) ?? 0));
  const best = Math.max(...peerValues.map((v) => v ?? 0));
  const ex = of('engine')?.extra;
  lines.push([
    c,
    fmt(eng),
    fmt(naive),
    ...peerValues.map((v) => fmt(v)),
    fmt(ceiling),
    eng && naive ? `${fmt(eng / naive, 1)}×` : '–',
    eng && best > 0 ? `${fmt(eng / best, 2)}×` : '–',
    eng && ceiling ? `${fmt((100 * eng) / ceiling, 0)}%` : '–',
    engCpu && bestPeerCpu > 0 ? `${fmt(engCpu / bestPeerCpu, 2)}×` : '–',
    ex ? `${ex.kernel} WG=${ex.WG} TM=${ex.TM}` : '',
  ]);
}
const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
console.log(`GFLOP/s, median of ${samples} samples (wall clock), implementations sampled in turn; ceiling-fma measured in the same rounds;`);
console.log('per CPU-s: the same ratio from GFLOP per second of process CPU time (less disturbed by other jobs on the CPUs)');
for (const l of lines) console.log(l.map((s, i) => (i === 0 || i === l.length - 1 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  '));
for (const e of errors) console.log(`error: ${e}`);
console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
rt.destroy();
process.exit(errors.length ? 1 : 0);
