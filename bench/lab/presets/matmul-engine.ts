/**
 * The engine's matmul kernels as lab specs: one per layout of shaders/matmul.wgsl (vec4, scalar,
 * strided: register-blocked, TM rows × 4 columns per invocation) and shaders/matmul_tiled.wgsl
 * (tiled: workgroup-memory tiles; block: 2-D blocks), each the generated entry point of one TM
 * (shaders/matmul-gen.ts), with the uniforms, bindings and grid engine/ops/matmul.ts gives it.
 */
import type { KernelSpec, LabParams } from '../spec';
import { matmulInputs, matmulOutputs, matmulReference, matmulTolerance, matmulWork } from './matmul-ref';

/** The batch uniforms of one product (shaders/matmul.wgsl and matmul_tiled.wgsl): the grid's z is row overflow only, every stride 0. */
const ONE_PRODUCT = { z_rows: 1, stride_a: 0, stride_b: 0, stride_c: 0, stride_bias: 0 };

/** The uniforms of shaders/matmul.wgsl with no bias, ReLU or dropout (the mask words are never read). */
const PLAIN = { has_bias: 0, relu: 0, threshold: 0, scale: 1, seed_lo: 0, seed_hi: 0, stream: 0, offset_lo: 0, offset_hi: 0, ...ONE_PRODUCT };

/** A register-blocked layout of shaders/matmul.wgsl with `tm` rows per invocation. */
function registerBlocked(layout: 'vec4' | 'scalar' | 'strided', tm: number): KernelSpec {
  const vec4 = layout === 'vec4';
  return {
    name: `matmul ${layout} TM${tm} (engine)`,
    about: `The engine's ${layout} matmul: each invocation computes ${tm} rows × 4 columns of C in named accumulators (acc0 …), generated per TM by shaders/matmul-gen.ts.`,
    op: 'matmul',
    wgsl: { shader: 'matmul' },
    entry: `matmul_${layout}_tm${tm}`,
    params: { m: 256, n: 256, k: 256, WG: 64 },
    overrides: (p) => ({ WG: p.WG, TRANS_A: 0, TRANS_B: 0 }),
    uniforms: (p) => ({ m: p.m, n: p.n, k: p.k, ...PLAIN }),
    inputs: matmulInputs,
    outputs: matmulOutputs,
    // Unused bindings of the layout (bias, gate) still need a buffer: the engine binds A there too.
    bind: (): Record<string, string> => (vec4 ? { a4: 'a', b4: 'b', bias: 'a', c4: 'c', gate4: 'a' } : { a: 'a', b: 'b', bias: 'a', cs: 'c', gate: 'a' }),
    grid: (p: LabParams) => [Math.ceil(Math.ceil(p.n / 4) / p.WG), Math.ceil(p.m / tm), 1],
    reference: matmulReference,
    tolerance: matmulTolerance,
    work: matmulWork,
  };
}

/** A layout of shaders/matmul_tiled.wgsl (the real-GPU kernels). */
function tiled(layout: 'tiled' | 'block', tm: number): KernelSpec {
  return {
    name: `matmul ${layout} TM${tm} (engine)`,
    about:
      layout === 'tiled'
        ? "The engine's workgroup-memory tiled matmul: tiles of A and B staged in var<workgroup>, a barrier per tile."
        : "The engine's 2-D block matmul: 4×4 blocks of C per invocation, k unrolled by 4, no workgroup memory.",
    op: 'matmul',
    wgsl: { shader: 'matmul_tiled' },
    entry: `matmul_${layout}_tm${tm}`,
    params: { m: 256, n: 256, k: 256, WG_X: 16, WG_Y: 16, BK: 16 },
    overrides: (p) => ({ WG_X: p.WG_X, WG_Y: p.WG_Y, TRANS_A: 0, TRANS_B: 0, ...(layout === 'tiled' ? { BK: p.BK, TM: tm } : {}) }),
    uniforms: (p) => ({ m: p.m, n: p.n, k: p.k, has_bias: 0, relu: 0, ...ONE_PRODUCT }),
    inputs: matmulInputs,
    outputs: matmulOutputs,
    bind: () => ({ bias: 'a' }),
    grid: (p) => [Math.ceil(p.n / (4 * p.WG_X)), Math.ceil(p.m / (p.WG_Y * tm)), 1],
    reference: matmulReference,
    tolerance: matmulTolerance,
    work: matmulWork,
  };
}

/** Every layout of the engine's matmul, at the TM the adapters' tables use most. */
export const ENGINE_MATMULS: readonly KernelSpec[] = [
  registerBlocked('vec4', 4),
  registerBlocked('scalar', 4),
  registerBlocked('strided', 16),
  tiled('tiled', 4),
  tiled('block', 4),
];
