/**
 * The browser half of the end-to-end test: the same kernels as tests/runtime/kernels.test.ts, run
 * through navigator.gpu in a page built by Vite. It reports a digest of every output (FNV-1a of
 * the bytes) and the sums; the Node half computes the CPU references and compares.
 */
import { Runtime, add, fill, mul, relu, scale, sum } from '../../engine/index';
import { fnv1a, randomArray } from '../helpers/random';
import { E2E_LENGTHS, type E2eReport } from './e2e-contract';

async function run(): Promise<E2eReport> {
  const rt = await Runtime.create();
  const report: E2eReport = { adapter: rt.info, userAgent: navigator.userAgent, results: [] };
  for (const n of E2E_LENGTHS) {
    const a = rt.tensor(randomArray(n, 1 + n));
    const b = rt.tensor(randomArray(n, 2 + n));
    const outputs: [string, Float32Array][] = [
      ['add', await add(a, b).toArray()],
      ['mul', await mul(a, b).toArray()],
      ['scale', await scale(a, -0.75).toArray()],
      ['relu', await relu(a).toArray()],
      ['fill', await fill(rt.empty([n]), 2.5).toArray()],
    ];
    for (const [kernel, out] of outputs) report.results.push({ kernel, n, digest: fnv1a(out), length: out.length });
    report.results.push({ kernel: 'sum', n, value: await sum(a).item(), length: 1 });
  }
  rt.destroy();
  return report;
}

const el = document.getElementById('out')!;
const w = window as unknown as { __e2e?: E2eReport | { error: string } };
run().then(
  (r) => {
    w.__e2e = r;
    el.textContent = JSON.stringify(r, null, 1);
  },
  (e: unknown) => {
    w.__e2e = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    el.textContent = w.__e2e.error;
  },
);
