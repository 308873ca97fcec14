/**
 * Matrix multiplication, the op: C = op(A)·op(B) (+ bias, ReLU, dropout, gate), op = identity or
 * transpose, on 2-D f32 tensors of any shape. The kernels and their plans are in
 * ./matmul-kernels.ts; the blocking a product runs with is the runtime's tuner's choice for the
 * matmul tunable (engine/tune/matmul.ts, imported directly: the tunable times the kernels of
 * ./matmul-kernels.ts, not this op, so there is no import cycle), or the adapter's fixed table
 * when no tuner is configured.
 */
import type { Runtime } from '../runtime/runtime';
import type { Tensor } from '../runtime/tensor';
import { matmulTunable } from '../tune/matmul';
import { chooseOn } from '../tune/tuner';
import {
  isAligned,
  matmulBatchedWith,
  matmulWith,
  planBlocking,
  type MatmulBatchedOptions,
  type MatmulOptions,
  type MatmulPlan,
  type MatmulShape,
  type MatmulTuning,
} from './matmul-kernels';

export {
  MATMUL_MASK_EPILOGUE,
  MATMUL_TUNING,
  matmulHasMaskEpilogue,
  matmulNaive,
  matmulTuning,
  type MatmulBatchedOptions,
  type MatmulBlocking,
  type MatmulKernel,
  type MatmulNaiveOptions,
  type MatmulOptions,
  type MatmulPlan,
  type MatmulShape,
  type MatmulTuning,
} from './matmul-kernels';

/**
 * The plan of an M × N × K product (M, N ≥ 1) on `rt`: with the blocking of `tuning` when given,
 * else the runtime's tuner's choice (engine/tune: `configureTuner`), else the adapter's fixed
 * table, for aligned shapes (every row the vec4 kernel reads or writes is a whole number of vec4:
 * N and K multiples of 4, and M too when A is stored transposed) or for the others. See
 * `planBlocking` (./matmul-plan.ts) for the grid rules and the epilogue fallback.
 */
export function planMatmul(rt: Runtime, shape: MatmulShape, tuning?: MatmulTuning): MatmulPlan {
  const blk = tuning ? tuning[isAligned(shape) ? 'aligned' : 'unaligned'] : chooseOn(rt, matmulTunable, shape);
  return planBlocking(shape, blk, rt.device.limits.maxComputeWorkgroupStorageSize);
}

/**
 * C = op(A)·op(B), then + bias (per column, broadcast over rows), then ReLU, then a dropout mask
 * and/or a gate, in one dispatch. A and B are 2-D f32 tensors; op(A) is M × K, op(B) is K × N, C is M × N.
 * Throws {@link ShapeError} when the inner dimensions differ, the bias is not of length N or the gate
 * not M × N, and {@link ArgumentError} for a bad dropout key.
 * `tuning` overrides the adapter's blocking (benchmarks and autotuning use it).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}, tuning?: MatmulTuning): Tensor<'f32'> {
  return matmulWith(a, b, opts, (rt, shape) => planMatmul(rt, shape, tuning));
}

/**
 * A batch of products of one shape in one dispatch: C[p] = op(A[p])·op(B[p]) (+ bias[p], ReLU,
 * dropout with key[p], gate[p]) for p < batch, A [batch, M, K] or 2-D (shared), B [batch, K, N] or
 * 2-D, bias [batch, N] or [N], gate and C [batch, M, N], `dropout` one key per product (or one for
 * all). Each C[p] is bit for bit `matmul(A[p], B[p], …)` with the same `tuning` (or the same tuner
 * choice) and key[p]: the batch runs the single product's plan, and the same kernel file (see
 * `matmulBatchedWith` in ./matmul-kernels.ts).
 */
export function matmulBatched(a: Tensor, b: Tensor, opts: MatmulBatchedOptions = {}, tuning?: MatmulTuning): Tensor<'f32'> {
  return matmulBatchedWith(a, b, opts, (rt, shape) => planMatmul(rt, shape, tuning));
}
