/**
 * The matmul kernels given a blocking: C = op(A)·op(B) (+ bias, ReLU, dropout, gate), op =
 * identity or transpose, on 2-D f32 tensors of any shape. Kernels: shaders/matmul.wgsl
 * (register-blocked, vec4 where the shape allows), shaders/matmul_tiled.wgsl (workgroup-memory
 * tiles, 2-D blocks) and shaders/matmul_naive.wgsl (one output per invocation, the benchmark
 * baseline). Which blocking a product runs with is chosen by the op (./matmul.ts) through the
 * autotuner (engine/tune/matmul.ts), which times these kernels: both import this file, which
 * imports neither. The blockings, the fixed tables and the plan of a product are ./matmul-plan.ts
 * (re-exported here).
 *
 * Transposes never materialize: the kernel reads A or B in their stored layout, so backward passes
 * (Aᵀ·G, G·Bᵀ) cost one dispatch, like the forward pass.
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { PHILOX_ROUNDS } from '../random/philox';
import { keepThreshold, type DropoutOptions } from './dropout';
import { MAX_GROUPS, type MatmulPlan, type MatmulShape } from './matmul-plan';

export * from './matmul-plan';

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
  /**
   * Then dropout (fused): the mask of this key, bit for bit the one `dropoutForward` draws for the
   * M × N product (element (r, c) is flat element r·N + c), kept elements scaled by 1/p or 1.
   */
  dropout?: DropoutOptions;
  /**
   * Keep only the elements where this M × N tensor is > 0 (the rest are 0), after the dropout mask
   * if any: the backward epilogue dz = (G·Wᵀ) ⊙ m/p ⊙ relu'(z), with `gate` = the producer's output.
   */
  gate?: Tensor;
}

/** Options of {@link matmulNaive}: transposes only (it is a baseline, not an op of the engine). */
export type MatmulNaiveOptions = Pick<MatmulOptions, 'transA' | 'transB'>;

/** op(A) and op(B) shapes, checked: [M, K] and [K, N]. */
export function checkOperands(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): { m: number; n: number; k: number } {
  checkMatrices(op, a, b, false);
  return productDims(op, a.shape, b.shape, transA, transB);
}

/** A and B alive, f32, and 2-D (or, when `batched`, 2-D or 3-D [batch, rows, columns]). */
function checkMatrices(op: string, a: Tensor, b: Tensor, batched: boolean): void {
  for (const [name, t] of [
    ['A', a],
    ['B', b],
  ] as const) {
    t.assertAlive(op);
    if (t.dtype !== 'f32') throw new ArgumentError(`${op}: ${name} must be f32, got ${t.dtype} ${fmtShape(t.shape)}`);
    if (t.rank !== 2 && !(batched && t.rank === 3))
      throw new ShapeError(`${op}: ${name} must be ${batched ? '3-D [batch, rows, columns] or 2-D (shared)' : '2-D'}, got ${fmtShape(t.shape)}`);
  }
}

/** M, N and K of op(A)·op(B) for matrices of the stored shapes `as` and `bs` (2-D), checked. */
function productDims(op: string, as: readonly number[], bs: readonly number[], transA: boolean, transB: boolean): { m: number; n: number; k: number } {
  const [m, ka] = transA ? [as[1], as[0]] : [as[0], as[1]];
  const [kb, n] = transB ? [bs[1], bs[0]] : [bs[0], bs[1]];
  if (ka !== kb) {
    const da = `A ${fmtShape(as)}${transA ? ' transposed' : ''}`;
    const db = `B ${fmtShape(bs)}${transB ? ' transposed' : ''}`;
    throw new ShapeError(`${op}: inner dimensions differ: ${da} has ${ka} columns but ${db} has ${kb} rows`);
  }
  return { m, n, k: ka };
}

/**
 * C = op(A)·op(B), then + bias, ReLU, dropout and gate (see `matmul` in ./matmul.ts, which
 * checks the same and chooses the plan), run with the plan `planFor` gives for the product's shape.
 */
export function matmulWith(a: Tensor, b: Tensor, opts: MatmulOptions, planFor: (rt: Runtime, shape: MatmulShape) => MatmulPlan): Tensor<'f32'> {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const { m, n, k } = checkOperands('matmul', a, b, transA, transB);
  checkEpilogue('matmul', opts, m, n, []);
  const out = a.runtime.empty([m, n]);
  dispatchProducts(a, b, out, opts, { m, n, k, batch: 1, strides: NO_STRIDES }, planFor);
  return out;
}

/**
 * Options of a batched product ({@link matmulBatchedWith}): a bias is [batch, N] (or [N], shared), a
 * gate [batch, M, N], and `dropout` one key per product (each product's mask is the one its key
 * draws for that M × N product alone; every key with the same keep probability and scale) or one
 * key for all (every product draws the same mask).
 */
export type MatmulBatchedOptions = Omit<MatmulOptions, 'dropout'> & { dropout?: DropoutOptions | readonly DropoutOptions[] };

/**
 * A batch of products C[p] = op(A[p])·op(B[p]) (+ bias[p], ReLU, gate[p]) of one shape in ONE
 * dispatch: workgroup z indexes the product (shaders/matmul.wgsl, `set_product`). A is
 * [batch, M, K] ([batch, K, M] with transA) or 2-D (one A shared by every product), B likewise
 * [batch, K, N] ([batch, N, K] with transB) or 2-D; C is [batch, M, N]. The product's plan is the
 * one `planFor` gives for a single product of that shape, and the kernel is the same pipeline, so
 * each C[p] is bit for bit what the single product op(A[p])·op(B[p]) gives with that plan: the same
 * instructions in the same order, only the operands' offsets differ. With one dropout key per
 * product the kernel is the same file compiled as `matmul_keyed`, each product reading its key from
 * a small storage array (shaders/matmul.wgsl, `mask_keys`), so each C[p] is also bit for bit the
 * single product with C[p]'s key.
 */
export function matmulBatchedWith(a: Tensor, b: Tensor, opts: MatmulBatchedOptions, planFor: (rt: Runtime, shape: MatmulShape) => MatmulPlan): Tensor<'f32'> {
  const op = 'matmulBatched';
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  checkMatrices(op, a, b, true);
  if (a.rank === 2 && b.rank === 2)
    throw new ShapeError(`${op}: A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} are both 2-D: one must be 3-D [batch, …] (or call matmul)`);
  const batch = a.rank === 3 ? a.shape[0] : b.shape[0];
  if (a.rank === 3 && b.rank === 3 && a.shape[0] !== b.shape[0])
    throw new ShapeError(`${op}: A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} have different batch sizes`);
  if (batch < 1) throw new ShapeError(`${op}: the batch must hold at least one product, got A ${fmtShape(a.shape)}, B ${fmtShape(b.shape)}`);
  const { m, n, k } = productDims(op, a.shape.slice(-2), b.shape.slice(-2), transA, transB);
  const bias = opts.bias;
  const biasShared = bias !== undefined && bias.rank <= 1;
  const { dropout, ...rest } = opts;
  checkEpilogue(op, rest, m, n, [batch], biasShared);
  const keys = Array.isArray(dropout) ? productKeys(op, dropout as readonly DropoutOptions[], batch, m * n) : undefined;
  const strides = {
    stride_a: a.rank === 3 ? m * k : 0,
    stride_b: b.rank === 3 ? k * n : 0,
    stride_c: m * n,
    stride_bias: bias && !biasShared ? n : 0,
  };
  const out = a.runtime.empty([batch, m, n]);
  const single = Array.isArray(dropout) ? (dropout as readonly DropoutOptions[])[0] : (dropout as DropoutOptions | undefined);
  dispatchProducts(a, b, out, { ...rest, dropout: single }, { m, n, k, batch, strides, keys }, planFor);
  return out;
}

/**
 * One dropout key per product, checked, as the `mask_keys` array of shaders/matmul.wgsl: two vec4
 * per product, (seed_lo, seed_hi, 0, 0) and (stream, offset_lo, offset_hi, 0). Every key must have
 * the keep probability and scale of the first (the threshold and scale are uniforms).
 */
function productKeys(op: string, keys: readonly DropoutOptions[], batch: number, elements: number): Uint32Array {
  if (keys.length !== batch) throw new ArgumentError(`${op}: ${keys.length} dropout keys for ${batch} products; give one per product (or one for all)`);
  const words = new Uint32Array(8 * batch);
  const first = maskUniforms(keys[0], elements);
  for (const [p, key] of keys.entries()) {
    const u = maskUniforms(key, elements);
    if (u.threshold !== first.threshold || u.scale !== first.scale)
      throw new ArgumentError(
        `${op}: product ${p}'s dropout keeps with probability ${key.keepProb} (${key.scale ?? 'inverted'}), product 0's with ${keys[0].keepProb} (${keys[0].scale ?? 'inverted'}): the products share one keep probability and scale`,
      );
    words.set([u.seed_lo, u.seed_hi, 0, 0, u.stream, u.offset_lo, u.offset_hi, 0], 8 * p);
  }
  return words;
}

/** The batch uniforms of one product (shaders/matmul.wgsl's Params). */
const NO_STRIDES = { stride_a: 0, stride_b: 0, stride_c: 0, stride_bias: 0 };

/**
 * Checks the bias (length N: [N] or [1, N], or with `batch` = [p], [p, N]; `biasShared`: [N] for
 * every product) and the gate (f32 [...batch, M, N]).
 */
function checkEpilogue(op: string, opts: MatmulOptions, m: number, n: number, batch: readonly number[], biasShared = true): void {
  const bias = opts.bias;
  if (bias) {
    bias.assertAlive(`${op} bias`);
    if (bias.dtype !== 'f32') throw new ArgumentError(`${op}: bias must be f32, got ${bias.dtype} ${fmtShape(bias.shape)}`);
    const perProduct = batch.length > 0 && !biasShared;
    const fits = perProduct
      ? bias.rank === 2 && bias.shape[0] === batch[0] && bias.shape[1] === n
      : bias.size === n && bias.rank <= 2 && !(bias.rank === 2 && bias.shape[0] !== 1);
    if (!fits) {
      const want = batch.length > 0 ? `[${n}] or ${fmtShape([batch[0], n])}` : `the ${n} columns`;
      throw new ShapeError(`${op}: bias ${fmtShape(bias.shape)} does not fit ${want} of the product ${fmtShape([...batch, m, n])}`);
    }
  }
  const gate = opts.gate;
  if (gate) {
    gate.assertAlive(`${op} gate`);
    const want = [...batch, m, n];
    if (gate.dtype !== 'f32' || gate.rank !== want.length || want.some((d, i) => gate.shape[i] !== d)) {
      throw new ShapeError(`${op}: gate ${gate.dtype} ${fmtShape(gate.shape)} must be f32 of the product's shape ${fmtShape(want)}`);
    }
  }
}

/** Records `batch` products of one shape into `out` (checked by the caller): one dispatch. */
function dispatchProducts(
  a: Tensor,
  b: Tensor,
  out: Tensor,
  opts: MatmulOptions,
  s: { m: number; n: number; k: number; batch: number; strides: typeof NO_STRIDES; keys?: Uint32Array },
  planFor: (rt: Runtime, shape: MatmulShape) => MatmulPlan,
): void {
  const { m, n, k, batch, strides, keys } = s;
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const { bias, gate, dropout } = opts;
  const drop = dropout ? maskUniforms(dropout, m * n) : MASK_OFF;
  if (m === 0 || n === 0) return;
  const rt = a.runtime;
  const epilogue = bias ? (opts.relu ? 'bias+relu' : 'bias') : opts.relu ? 'relu' : 'none';
  const plan = planFor(rt, { m, n, k, transA, transB, epilogue, mask: !!(dropout || gate) });
  if ((dropout || gate) && !plan.maskEpilogue) throw new ArgumentError(`matmul: ${plan.entry} has no dropout or gate epilogue`);
  const [gx, gy, zRows] = plan.workgroups;
  if (zRows * batch > MAX_GROUPS) throw new ArgumentError(`matmul: ${batch} products of ${zRows} × ${MAX_GROUPS} row blocks do not fit a dispatch grid`);
  const workgroups: [number, number, number] = [gx, gy, zRows * batch];
  if (plan.entry === 'matmul_vec4' && Object.values(strides).some((v) => v % 4 !== 0))
    throw new ArgumentError(`matmul: the vec4 kernel needs every batch stride to be a multiple of 4, got ${JSON.stringify(strides)}`);
  const batchUniforms = { z_rows: zRows, ...strides };
  // Without a bias (a gate) the kernel never reads `bias` (`gate`), but every binding of its layout must be given.
  const biasBinding = bias ?? a;
  const gateBinding = gate ?? a;
  if (plan.shader === 'matmul_tiled') {
    rt.dispatch({
      shader: 'matmul_tiled',
      entry: plan.entryPoint,
      overrides: { ...plan.overrides, TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 },
      uniforms: { m, n, k, has_bias: bias ? 1 : 0, relu: opts.relu ? 1 : 0, ...batchUniforms },
      bindings: { a, b, bias: biasBinding, c: out },
      workgroups,
    });
    return;
  }
  const overrides: Record<string, number> = { WG: plan.WG, TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 };
  if (dropout) Object.assign(overrides, { DROPOUT: 1, PHILOX_ROUNDS });
  if (gate) overrides.GATE = 1;
  // With dropout, the kernel file compiled with the Philox library (see shaders/dropout_off.wgsl), whose
  // vec4 entry point is also given `a` and `b` (see `cs` in shaders/matmul.wgsl for why); with one key
  // per product, the same with the keys read from `mask_keys` (`matmul_keyed`).
  const vec4 = plan.entry === 'matmul_vec4';
  const maskKeys = dropout && keys ? rt.tensor(keys, [keys.length], 'u32') : undefined;
  try {
    rt.dispatch({
      shader: maskKeys ? 'matmul_keyed' : dropout ? 'matmul_masked' : 'matmul',
      entry: plan.entryPoint,
      overrides,
      uniforms: { m, n, k, has_bias: bias ? 1 : 0, relu: opts.relu ? 1 : 0, ...drop, ...batchUniforms },
      bindings: {
        ...(vec4 ? { a4: a, b4: b, ...(dropout ? { a, b } : {}), c4: out, gate4: gateBinding } : { a, b, cs: out, gate: gateBinding }),
        bias: biasBinding,
        ...(maskKeys ? { mask_keys: maskKeys } : {}),
      },
      workgroups,
    });
  } finally {
    // Released now (or after a failed dispatch), reused only after the submit that reads it (engine/runtime/pool.ts).
    maskKeys?.dispose();
  }
}

/** The dropout uniforms of a pipeline without the dropout epilogue (never read). */
const MASK_OFF = { threshold: 0, scale: 1, seed_lo: 0, seed_hi: 0, stream: 0, offset_lo: 0, offset_hi: 0 };

/** The dropout key as shaders/matmul.wgsl's uniforms (the layout of shaders/dropout.wgsl's), checked. */
function maskUniforms(key: DropoutOptions, elements: number): typeof MASK_OFF {
  const bad = (what: string, v: unknown, want: string) => new ArgumentError(`matmul: dropout ${what} must be ${want}, got ${String(v)}`);
  const threshold = keepThreshold(key.keepProb);
  for (const [what, v] of [
    ['seed', key.seed],
    ['offset', key.offset],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER)) throw bad(what, v, `an integer in [0, ${Number.MAX_SAFE_INTEGER}]`);
  }
  const stream = key.stream ?? 0;
  if (!(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff)) throw bad('stream', stream, 'an integer in [0, 4294967295]');
  const rule = key.scale ?? 'inverted';
  if (rule !== 'inverted' && rule !== 'none') throw bad('scale', rule, "'inverted' or 'none'");
  // Flat element indices are u32 in the kernel, as in the standalone kernel.
  if (elements > 0xffffffff) throw new ArgumentError(`matmul: dropout needs at most 2^32 - 1 elements, the product has ${elements}`);
  const TWO_32 = 2 ** 32;
  return {
    threshold,
    scale: rule === 'inverted' ? Math.fround(1 / key.keepProb) : 1,
    seed_lo: key.seed >>> 0,
    seed_hi: Math.floor(key.seed / TWO_32),
    stream,
    offset_lo: key.offset >>> 0,
    offset_hi: Math.floor(key.offset / TWO_32),
  };
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
