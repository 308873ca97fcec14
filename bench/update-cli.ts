/**
 * `npx tsx --import ./scripts/wgsl-loader.mjs bench/update-cli.ts [--samples=N] [--tiny]`: runs the
 * optimizer-update suite (bench/suites/update.ts) on the default adapter (WEBGPU_ADAPTER=swiftshader
 * for SwiftShader) and prints, per rule, each implementation's ms per update, its GB/s of parameter
 * traffic, and how many times slower it is than the engine's fused update, measured in this run
 * (the implementations are sampled in turn, so a change in the machine's load hits all alike).
 */
import { Runtime } from '../engine/index';
import { flag, integer, option, parseProcessArgs } from './args';
import { updateSuite } from './suites/update';
import { median } from './timing';
import type { BenchRow } from './types';

const args = parseProcessArgs({
  program: 'update-cli',
  usage:
    'npx tsx --import ./scripts/wgsl-loader.mjs bench/update-cli.ts [options]\n\nThe optimizer-update suite alone on the default adapter (WEBGPU_ADAPTER picks it).',
  options: {
    samples: option('N', 'samples per implementation (at least 5 are taken)', integer(1), { default: 9 }),
    tiny: flag('tiny sizes (a quick check, not a benchmark)'),
  },
}).values;
const samples = Math.max(5, args.samples);
const { tiny } = args;

const rt = await Runtime.create();
const errors: string[] = [];
let rows: BenchRow[] = [];
try {
  rows = await updateSuite({ rt, samples, tiny, log: (m) => console.error(m), reportError: (m) => errors.push(m) });
} finally {
  rt.destroy();
}

console.log(`\noptimizer update of all parameters, ${rows[0]?.extra?.params ?? '?'} numbers — adapter: ${rt.adapterName}`);
console.log(
  `${'rule'.padEnd(8)} ${'impl'.padEnd(12)} ${'ms/update'.padStart(10)} ${'min–max'.padStart(17)} ${'GPU ms'.padStart(8)} ${'GB/s'.padStart(7)} ${'dispatches'.padStart(10)} ${'vs engine'.padStart(10)}`,
);
for (const rule of [...new Set(rows.map((r) => r.case))]) {
  const of = rows.filter((r) => r.case === rule);
  const engine = of.find((r) => r.impl === 'engine');
  for (const r of of) {
    const ratio = engine ? `${(r.value / engine.value).toFixed(2)}×` : '–';
    const range = `${Math.min(...r.samplesMs).toFixed(3)}–${Math.max(...r.samplesMs).toFixed(3)}`;
    const gpu = r.gpuSamplesMs ? median(r.gpuSamplesMs).toFixed(3) : '–';
    console.log(
      `${rule.padEnd(8)} ${r.impl.padEnd(12)} ${r.value.toFixed(3).padStart(10)} ${range.padStart(17)} ${gpu.padStart(8)} ${String(r.extra?.['GB/s']).padStart(7)} ${String(r.extra?.dispatches).padStart(10)} ${ratio.padStart(10)}`,
    );
  }
}
console.log('"vs engine": wall-clock ms of the row ÷ that of the fused engine update (above 1: the engine is that many times faster).');
console.log('"GPU ms": timestamp-query time of the same samples (engine rows only, where the adapter has timestamps).');
for (const e of errors) console.log(`error: ${e}`);
process.exit(errors.length > 0 ? 1 : 0);
