/**
 * The demo landing page: opens the engine on the visitor's GPU and runs the first kernels,
 * printing the adapter and each kernel's result against a CPU computation.
 */
import { Runtime, add, relu, scale, sum } from '../engine/index';

const out = document.getElementById('out')!;
const log = (line: string) => (out.textContent += `${line}\n`);

async function check(): Promise<void> {
  out.textContent = '';
  const rt = await Runtime.create();
  log(`adapter: ${rt.adapterName}`);
  const n = 1 << 20;
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
  const ta = rt.tensor(a);
  const tb = rt.tensor(b);
  const t0 = performance.now();
  const s = await add(ta, tb).toArray();
  log(`add   ${n} elements: ${s.every((x, i) => x === Math.fround(a[i] + b[i])) ? 'matches the CPU' : 'MISMATCH'}`);
  const r = await relu(scale(ta, 2)).toArray();
  log(`relu(2a): ${r.every((x, i) => x === Math.max(Math.fround(2 * a[i]), 0)) ? 'matches the CPU' : 'MISMATCH'}`);
  let ref = 0;
  for (const x of a) ref += x;
  log(`sum(a) = ${(await sum(ta).item()).toFixed(4)} (CPU f64: ${ref.toFixed(4)})`);
  log(`${(performance.now() - t0).toFixed(0)} ms, ${rt.workStats().dispatches} dispatches`);
  rt.destroy();
}

document.getElementById('run')!.addEventListener('click', () => {
  check().catch((e: unknown) => log(`error: ${e instanceof Error ? e.message : String(e)}`));
});
