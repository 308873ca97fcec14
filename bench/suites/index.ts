/**
 * The registry of benchmark suites: `npm run bench -- --suites=a,b` selects from it by name, in this
 * order, in Node and on the browser page alike. Adding a suite means adding one entry here.
 */
import { ArgumentError } from '../../engine/index';
import type { BenchSuite } from '../types';
import { convSuite } from './conv';
import { dropoutSuite } from './dropout';
import { ensembleSuite } from './ensemble';
import { matmulSuite } from './matmul';
import { mlpSuite } from './mlp';
import { proxSuite } from './prox';
import { regularizersSuite } from './regularizers';
import { updateSuite } from './update';

/** What a run's size depends on, for a suite's {@link SuiteInfo.cost}. */
export interface RunScale {
  tiny: boolean;
  full: boolean;
  samples: number;
}

/** A registered suite. */
export interface SuiteInfo {
  /** The name used on the command line and in the rows' `suite` field. */
  name: string;
  /** One line on what it measures (printed by `--list`). */
  about: string;
  run: BenchSuite;
  /** What one of its `--sizes` means (e.g. `N of N×N×N`); absent: the suite takes no sizes. */
  sizes?: string;
  /**
   * Its rough share of a run's time (default 1), from a recorded default run in headless Chromium
   * on SwiftShader: only the ratios between suites matter, for the estimate of the time left before
   * a suite has reported progress.
   */
  cost?(scale: RunScale): number;
}

/** A cost proportional to the samples (7 is the default), for {@link SuiteInfo.cost}. */
const perSample = (quick: number, full: number) => (s: RunScale) => (s.tiny ? 1 : (s.full ? full : quick) * (s.samples / 7));

/** Every suite, in the order a full run measures them. */
export const SUITES: readonly SuiteInfo[] = [
  {
    name: 'matmul',
    about: 'C = op(A)·op(B): square sizes, odd and transposed shapes; engine, naive, tfjs-webgpu, jax-js, FMA ceiling (GFLOP/s)',
    run: matmulSuite,
    sizes: 'N of an N×N×N product (default 256,512,1024; --full adds 2048)',
    cost: perSample(870, 3500),
  },
  {
    name: 'prox',
    about: 'soft-threshold (L1 proximal) step w ← prox(w − ε·g) in place: engine (one dispatch), tfjs-webgpu and jax-js (GB/s)',
    run: proxSuite,
    sizes: 'elements of the weight tensor',
    cost: perSample(25, 25),
  },
  {
    name: 'dropout',
    about:
      'dropout forward + backward: fused engine kernel (mask drawn in the shader, none stored), the mask-writing variant, tfjs and jax-js as their docs do it, vs copy and axpy ceilings (GB/s)',
    run: dropoutSuite,
    sizes: 'elements',
    cost: perSample(40, 40),
  },
  {
    name: 'update',
    about: 'one optimizer update of every parameter of a 784-512-512-10 MLP: fused arena vs per-tensor vs tfjs (ms)',
    run: updateSuite,
    cost: perSample(40, 40),
  },
  {
    name: 'mlp',
    about: 'one training step of a 784-512-512-10 MLP, batch 128, dropout 0.5, L2 1e-4, SGD (ms per step)',
    run: mlpSuite,
    cost: perSample(250, 250),
  },
  {
    name: 'regularizers',
    about: 'the 784-512-512-10 training step (batch 128) with each regularizer and each optimizer chain vs the plain SGD step (ms per step, ratio, dispatches)',
    run: regularizersSuite,
    cost: perSample(330, 500),
  },
  {
    name: 'ensemble',
    about:
      'k = 5 MLP members (784-256-256-10, batch 64, momentum) trained at once (stacked, one matmul per layer) vs one member and vs 5 one after another (ms per step, ratio)',
    run: ensembleSuite,
    sizes: 'the minibatch of each member',
    cost: perSample(60, 60),
  },
  {
    name: 'conv',
    about:
      'conv2d forward and forward + backward at MNIST and CIFAR-like shapes (batch 64): engine (im2col + matmul), tfjs-webgpu, jax-js, FMA ceiling (GFLOP/s); the MNIST CNN training step with and without dropout in the conv epilogues (ms)',
    run: convSuite,
    cost: perSample(300, 300),
  },
];

/** The suites named in `names` (all when undefined or empty), in registry order; unknown names throw. */
export function selectSuites(names?: readonly string[], registry: readonly SuiteInfo[] = SUITES): SuiteInfo[] {
  if (!names || names.length === 0) return [...registry];
  const known = new Set(registry.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new ArgumentError(`bench: unknown suite(s) ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...known].join(', ')})`);
  return registry.filter((s) => names.includes(s.name));
}
