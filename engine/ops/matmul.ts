/**
 * Matrix multiplication: C = op(A)·op(B) (+ bias, ReLU), op = identity or transpose, on 2-D f32
 * tensors of any shape. Kernels: shaders/matmul.wgsl (register-blocked, vec4 where the shape
 * allows) and shaders/matmul_naive.wgsl (one output per invocation, the benchmark baseline).
 *
 * Transposes never materialize: the kernel reads A or B in their stored layout, so backward passes
 * (Aᵀ·G, G·Bᵀ) cost one dispatch, like the forward pass.
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { AdapterKind } from '../runtime/device';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ: A is stored K × M. */
  transA?: boolean;
  /** Use Bᵀ: B is stored N × K. */
  transB?: boolean;
  /** Length-N vector added to every row of the product (fused into the same dispatch). */
  bias?: Tensor;
  /** Apply max(·, 0) after the bias (fused). */
  relu?: boolean;
}

/** Options of {@link matmulNaive}: transposes only (it is a baseline, not an op of the engine). */
export type MatmulNaiveOptions = Pick<MatmulOptions, 'transA' | 'transB'>;

/**
 * The entry points of shaders/matmul.wgsl, all with the same register blocking (TM rows × 4
 * columns per invocation) and different layouts: `vec4` (vec4 loads and stores; rows must be whole
 * vec4s), `scalar` (the four columns adjacent, scalar loads; any shape), `strided` (the four
 * columns WG apart, so neighbouring invocations read neighbouring addresses; any shape).
 */
export type MatmulKernel = 'vec4' | 'scalar' | 'strided';

/** An entry point, its workgroup size (invocations, all on the same rows) and rows of C per invocation. */
export interface MatmulBlocking {
  kernel: MatmulKernel;
  WG: number;
  TM: number;
}

/** What one kind of adapter runs. */
export interface MatmulTuning {
  /** Shapes whose rows are whole vec4s: N and K multiples of 4, and M too when A is stored transposed. */
  aligned: MatmulBlocking;
  /** Every other shape (not `vec4`). */
  unaligned: MatmulBlocking;
}


/**
 * Measured side by side at 512³–1024³ and 777×513×1025, every transpose combination (the comment at
 * the top of shaders/matmul.wgsl has the numbers). lavapipe loads every vector component
 * separately whatever the layout (Mesa's gallivm), so the vec4 layout with 8 rows wins; on
 * SwiftShader the strided layout, where neighbouring invocations read neighbouring addresses, ran
 * about 2× faster than the others (consistent with it merging such loads into vector loads).
 * `other` (real GPUs, untested here) gets the vec4 layout with the smallest block.
 */
export const MATMUL_TUNING: Readonly<Record<AdapterKind, MatmulTuning>> = {
  lavapipe: { aligned: { kernel: 'vec4', WG: 32, TM: 8 }, unaligned: { kernel: 'scalar', WG: 64, TM: 8 } },
  swiftshader: { aligned: { kernel: 'strided', WG: 32, TM: 16 }, unaligned: { kernel: 'strided', WG: 32, TM: 16 } },
  other: { aligned: { kernel: 'vec4', WG: 64, TM: 4 }, unaligned: { kernel: 'scalar', WG: 64, TM: 4 } },
};

/** TM_MAX of shaders/matmul.wgsl: the accumulator array's length. */
const TM_MAX = 16;

/** Most workgroups in one grid dimension (WebGPU's default limit). */
const MAX_GROUPS = 65535;

/** op(A) and op(B) shapes, checked: [M, K] and [K, N]. */
function checkOperands(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): { m: number; n: number; k: number } {
  for (const [name, t] of [['A', a], ['B', b]] as const) {
    t.assertAlive(op);
    if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype} ${fmtShape(t.shape)}`);
    if (t.rank !== 2) throw new ShapeError(`${op}: ${name} must be 2-D, got ${fmtShape(t.shape)}`);
  }
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) {
    const da = `A ${fmtShape(a.shape)}${transA ? ' transposed' : ''}`;
    const db = `B ${fmtShape(b.shape)}${transB ? ' transposed' : ''}`;
    throw new ShapeError(`${op}: inner dimensions differ: ${da} has ${ka} columns but ${db} has ${kb} rows`);
  }
  return { m, n, k: ka };
}

/** Row blocks spread over y (and z when they exceed one dimension's limit). */
function rowGrid(op: string, rowBlocks: number): [number, number] {
  if (rowBlocks <= MAX_GROUPS) return [rowBlocks, 1];
  const z = Math.ceil(rowBlocks / MAX_GROUPS);
  if (z > MAX_GROUPS) throw new ArgumentError(`${op}: ${rowBlocks} row blocks do not fit a dispatch grid`);
  return [Math.ceil(rowBlocks / z), z];
}

/** Invocations per workgroup: the table's, or fewer when C has fewer column groups (small N). */
function workgroupSize(table: number, columns: number): number {
  let wg = 8;
  while (wg < table && wg < columns) wg *= 2;
  return wg;
}

const tuningCache = new WeakMap<Runtime, MatmulTuning>();

/** The blocking `matmul` uses on `rt` (from {@link MATMUL_TUNING} by the adapter's `kind`). */
export function matmulTuning(rt: Runtime): MatmulTuning {
  let t = tuningCache.get(rt);
  if (!t) {
    t = MATMUL_TUNING[rt.info.kind];
    tuningCache.set(rt, t);
  }
  return t;
}

/** How {@link matmul} runs one product: the entry point, its blocking and its grid. */
export interface MatmulPlan {
  entry: 'matmul_vec4' | 'matmul_scalar' | 'matmul_strided';
  WG: number;
  TM: number;
  workgroups: [number, number, number];
}

/**
 * The plan of an M × N × K product (M, N ≥ 1) on `rt`: the adapter's blocking for aligned shapes
 * (every row the vec4 kernel reads or writes is a whole number of vec4: N and K multiples of 4,
 * and M too when A is stored transposed) or for the others; fewer invocations per workgroup when C
 * has few columns.
 */
export function planMatmul(rt: Runtime, shape: { m: number; n: number; k: number; transA: boolean }, tuning?: MatmulTuning): MatmulPlan {
  const { m, n, k, transA } = shape;
  const aligned = k > 0 && k % 4 === 0 && n % 4 === 0 && (!transA || m % 4 === 0);
  const blk = (tuning ?? matmulTuning(rt))[aligned ? 'aligned' : 'unaligned'];
  const where = `matmul: ${aligned ? 'aligned' : 'unaligned'} blocking ${JSON.stringify(blk)}`;
  if (blk.kernel === 'vec4' && !aligned) throw new ArgumentError(`${where}: the vec4 kernel needs an aligned shape`);
  if (!Number.isInteger(blk.TM) || blk.TM < 1 || blk.TM > TM_MAX || (blk.kernel === 'vec4' && blk.TM % 4 !== 0)) {
    throw new ArgumentError(`${where}: TM must be 1..${TM_MAX} (a multiple of 4 for the vec4 kernel)`);
  }
  if (!Number.isInteger(Math.log2(blk.WG)) || blk.WG < 8 || blk.WG > 256) throw new ArgumentError(`${where}: WG must be a power of two in 8..256`);
  const columns = Math.ceil(n / 4);
  const wg = workgroupSize(blk.WG, columns);
  const [gy, gz] = rowGrid('matmul', Math.ceil(m / blk.TM));
  return { entry: `matmul_${blk.kernel}`, WG: wg, TM: blk.TM, workgroups: [Math.ceil(columns / wg), gy, gz] };
}

/**
 * C = op(A)·op(B), then + bias (per column, broadcast over rows), then ReLU, in one dispatch.
 * A and B are 2-D f32 tensors; op(A) is M × K, op(B) is K × N, C is M × N.
 * Throws {@link ShapeError} when the inner dimensions differ or the bias is not of length N.
 * `tuning` overrides the adapter's blocking (benchmarks and autotuning use it).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}, tuning?: MatmulTuning): Tensor<'f32'> {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const { m, n, k } = checkOperands('matmul', a, b, transA, transB);
  const bias = opts.bias;
  if (bias) {
    bias.assertAlive('matmul bias');
    if (bias.dtype !== 'f32') throw new ArgumentError(`matmul: bias must be f32, got ${bias.dtype} ${fmtShape(bias.shape)}`);
    if (bias.size !== n || bias.rank > 2 || (bias.rank === 2 && bias.shape[0] !== 1)) {
      throw new ShapeError(`matmul: bias ${fmtShape(bias.shape)} does not fit the ${n} columns of the product ${fmtShape([m, n])}`);
    }
  }
  const rt = a.runtime;
  const out = rt.empty([m, n]);
  if (m === 0 || n === 0) return out;
  const plan = planMatmul(rt, { m, n, k, transA }, tuning);
  // Without a bias the kernel never reads `bias`, but every binding of its layout must be given.
  const biasBinding = bias ?? a;
  rt.dispatch({
    shader: 'matmul',
    entry: plan.entry,
    overrides: { WG: plan.WG, TM: plan.TM, TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 },
    uniforms: { m, n, k, has_bias: bias ? 1 : 0, relu: opts.relu ? 1 : 0 },
    bindings: plan.entry === 'matmul_vec4' ? { a4: a, b4: b, bias: biasBinding, c4: out } : { a, b, bias: biasBinding, c: out },
    workgroups: plan.workgroups,
  });
  return out;
}

/** The naive kernel's workgroup: 16 × 16 outputs. */
const NAIVE_WG = 16;

/**
 * C = op(A)·op(B) with one invocation per output and no blocking (shaders/matmul_naive.wgsl): the
 * baseline the benchmarks compare {@link matmul} to. Same shapes and errors as `matmul`.
 */
export function matmulNaive(a: Tensor, b: Tensor, opts: MatmulNaiveOptions = {}): Tensor<'f32'> {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const { m, n, k } = checkOperands('matmulNaive', a, b, transA, transB);
  const rt = a.runtime;
  const out = rt.empty([m, n]);
  if (m === 0 || n === 0) return out;
  const gy = Math.ceil(m / NAIVE_WG);
  if (gy > MAX_GROUPS) throw new ArgumentError(`matmulNaive: ${m} rows need ${gy} workgroups, more than ${MAX_GROUPS}`);
  rt.dispatch({
    shader: 'matmul_naive',
    entry: 'matmul_naive',
    overrides: { WG_X: NAIVE_WG, WG_Y: NAIVE_WG, TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 },
    uniforms: { m, n, k },
    bindings: { a, b, c: out },
    workgroups: [Math.ceil(n / NAIVE_WG), gy, 1],
  });
  return out;
}
