/**
 * What the batch-norm op tests share (./batchnorm.test.ts, ./batchnorm-relu.test.ts): the test
 * columns, the reference with running statistics, and `run`, one pass of the op (or of the op and a
 * ReLU) with its gradients, running statistics and the work of each pass.
 */
import { ag } from '../../engine/index';
import type { BatchNormMode } from '../../engine/ops/batchnorm';
import type { Runtime } from '../../engine/runtime/runtime';
import { randomArray } from '../helpers/gpu';
import type { BatchNormRef } from '../regularizers/reference';

export const EPS = 1e-5;

/** x [rows, features] with per-feature offsets in [−4, 4) and spreads in [0.5, 3). */
export function columns(rows: number, features: number, seed: number): Float32Array {
  const offset = randomArray(features, seed + 1, -4, 4);
  const spread = randomArray(features, seed + 2, 0.5, 3);
  return randomArray(rows * features, seed, -1, 1).map((v, i) => v * spread[i % features] + offset[i % features]);
}

/** The reference of normalizing with given (running) statistics instead of the batch's. */
export function runningRef(
  x: ArrayLike<number>,
  features: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  rm: Float32Array,
  rv: Float32Array,
): BatchNormRef {
  const mean = Float64Array.from(rm);
  const variance = Float64Array.from(rv);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % features]) * invStd[i % features]);
  const y = xhat.map((v, i) => gamma[i % features] * v + beta[i % features]);
  return { y, xhat, mean, variance, invStd };
}

/** How a ReLU follows the op in {@link run}: none, fused into it (`relu: true`), or the `relu` op after it. */
export type ReluAfter = 'none' | 'fused' | 'op';

/**
 * L = Σ f(x) ⊙ g, f = batchNorm(x) or its ReLU (`relu`): the output, the gradients (γ and β
 * constants with `dxOnly`), the running statistics, and the dispatches and submits of each pass.
 */
export async function run(
  rt: Runtime,
  x: Float32Array,
  rows: number,
  features: number,
  mode: BatchNormMode,
  seed: number,
  relu: ReluAfter = 'none',
  dxOnly = false,
) {
  const gamma = randomArray(features, seed + 3, 0.5, 1.5);
  const beta = randomArray(features, seed + 4, -0.5, 0.5);
  const rmHost = randomArray(features, seed + 5, -1, 1);
  const rvHost = randomArray(features, seed + 6, 0.5, 2);
  const g = randomArray(rows * features, seed + 7, -1, 1);
  const [xt, gt, bt, rm, rv, gr] = [
    rt.tensor(x, [rows, features]),
    rt.tensor(gamma, [features]),
    rt.tensor(beta, [features]),
    rt.tensor(rmHost, [features]),
    rt.tensor(rvHost, [features]),
    rt.tensor(g, [rows, features]),
  ];
  // What the rest of the graph costs backward (sum's seed and mul's rule), measured on a plain leaf in y's
  // place; the second time, once autodiff's cached seed exists.
  let rest = 0;
  for (let k = 0; k < 2; k++) {
    const plain = ag.variable(xt);
    const other = ag.sum(ag.mul(plain, gr));
    const p0 = rt.workStats().dispatches;
    ag.backward(other);
    rest = rt.workStats().dispatches - p0;
    other.dispose();
    plain.dispose();
  }
  const vars = [xt, gt, bt].map((t, i) => ag.variable(t, { requiresGrad: i === 0 || !dxOnly }));
  const w0 = rt.workStats();
  const bn = ag.batchNorm(vars[0], vars[1], vars[2], rm, rv, { mode, eps: EPS, momentum: 0.1, relu: relu === 'fused' });
  const y = relu === 'op' ? ag.relu(bn) : bn;
  const w1 = rt.workStats();
  // Read now: backward frees the graph's intermediate results.
  const yHost = await y.data.toArray();
  const loss = ag.sum(ag.mul(y, gr));
  const w2 = rt.workStats();
  ag.backward(loss);
  const w3 = rt.workStats();
  loss.dispose();
  const out = {
    y: yHost,
    dx: await vars[0].grad!.toArray(),
    dgamma: await vars[1].grad?.toArray(),
    dbeta: await vars[2].grad?.toArray(),
    running: [await rm.toArray(), await rv.toArray()],
    gamma,
    beta,
    g,
    rmHost,
    rvHost,
    forward: { dispatches: w1.dispatches - w0.dispatches, submits: w1.submits - w0.submits },
    backward: { dispatches: w3.dispatches - w2.dispatches - rest, submits: w3.submits - w2.submits },
  };
  vars.forEach((v) => v.dispose());
  [xt, gt, bt, rm, rv, gr].forEach((t) => t.dispose());
  return out;
}

// One level up to 255 rows; two levels with 2, 4 and 7 slices.
export const SHAPES: [number, number][] = [
  [2, 1],
  [2, 5],
  [3, 7],
  [7, 3],
  [64, 33],
  [255, 5],
  [300, 5],
  [520, 33],
  [1000, 3],
];
