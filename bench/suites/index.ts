/**
 * The registry of benchmark suites: `npm run bench -- --suites=a,b` selects from it by name, in this
 * order, in Node and on the browser page alike. Adding a suite means adding one entry here.
 */
import { ArgumentError } from '../../engine/index';
import type { BenchSuite } from '../types';
import { dropoutSuite } from './dropout';
import { matmulSuite } from './matmul';
import { mlpSuite } from './mlp';
import { proxSuite } from './prox';
import { regularizersSuite } from './regularizers';
import { updateSuite } from './update';

/** A registered suite. */
export interface SuiteInfo {
  /** The name used on the command line and in the rows' `suite` field. */
  name: string;
  /** One line on what it measures (printed by `--list`). */
  about: string;
  run: BenchSuite;
}

/** Every suite, in the order a full run measures them. */
export const SUITES: readonly SuiteInfo[] = [
  { name: 'matmul', about: 'C = op(A)·op(B): square sizes, odd and transposed shapes; engine, naive, tfjs-webgpu, jax-js, FMA ceiling (GFLOP/s)', run: matmulSuite },
  { name: 'prox', about: 'soft-threshold (L1 proximal) step w ← prox(w − ε·g) in place: engine (one dispatch), tfjs-webgpu and jax-js (GB/s)', run: proxSuite },
  { name: 'dropout', about: 'fused dropout forward + backward (mask drawn in the shader, none stored) and the mask-writing variant vs copy and axpy ceilings (GB/s)', run: dropoutSuite },
  { name: 'update', about: 'one optimizer update of every parameter of a 784-512-512-10 MLP: fused arena vs per-tensor vs tfjs (ms)', run: updateSuite },
  { name: 'mlp', about: 'one training step of a 784-512-512-10 MLP, batch 128, dropout 0.5, L2 1e-4, SGD (ms per step)', run: mlpSuite },
  { name: 'regularizers', about: 'the 784-512-512-10 training step (batch 128) with each regularizer and each optimizer chain vs the plain SGD step (ms per step, ratio, dispatches)', run: regularizersSuite },
];

/** The suites named in `names` (all when undefined or empty), in registry order; unknown names throw. */
export function selectSuites(names?: readonly string[], registry: readonly SuiteInfo[] = SUITES): SuiteInfo[] {
  if (!names || names.length === 0) return [...registry];
  const known = new Set(registry.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new ArgumentError(`bench: unknown suite(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return registry.filter((s) => names.includes(s.name));
}
