/**
 * `npm run smoke`: prints the adapter and runs the first kernels on it, checking each result
 * against a CPU computation. Exit code 1 if any result is wrong.
 */
import { Runtime, add, mul, relu, scale, fill, sum } from '../engine/index';

const rt = await Runtime.create();
console.log(`adapter: ${rt.adapterName}`);
console.log(`  ${rt.info.description} (${rt.info.host})`);

const n = (1 << 20) + 3;
const a = new Float32Array(n).map((_, i) => Math.sin(i));
const b = new Float32Array(n).map((_, i) => Math.cos(i * 0.5));
const ta = rt.tensor(a);
const tb = rt.tensor(b);
let failures = 0;

function check(name: string, got: Float32Array, want: (i: number) => number, tol = 1e-6): void {
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want(i)));
  const ok = worst <= tol;
  if (!ok) failures++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(8)} n=${got.length}  max |error| ${worst.toExponential(2)}`);
}

const t0 = performance.now();
check('add', await add(ta, tb).toArray(), (i) => Math.fround(a[i] + b[i]));
check('mul', await mul(ta, tb).toArray(), (i) => Math.fround(a[i] * b[i]));
check('scale', await scale(ta, 0.5).toArray(), (i) => Math.fround(0.5 * a[i]));
check('relu', await relu(ta).toArray(), (i) => Math.max(a[i], 0));
check('fill', await fill(rt.empty([n]), 3).toArray(), () => 3);
let ref = 0;
for (let i = 0; i < n; i++) ref += a[i];
const got = await sum(ta).item();
const sumTol = 1e-6 * n;
const sumOk = Math.abs(got - ref) <= sumTol;
if (!sumOk) failures++;
console.log(`  ${sumOk ? 'ok  ' : 'FAIL'} sum      n=${n}  GPU ${got.toFixed(4)} vs CPU (f64) ${ref.toFixed(4)}`);
const w = rt.workStats();
console.log(`${w.dispatches} dispatches, ${w.submits} submits, ${w.pipelines} pipelines in ${(performance.now() - t0).toFixed(0)} ms`);
rt.destroy();
process.exit(failures ? 1 : 0);
