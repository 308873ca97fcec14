/**
 * The matmul kernel family as a {@link Tunable}: the register-blocked entry points of
 * shaders/matmul.wgsl (vec4, scalar, strided) and the workgroup-memory tiled and 2-D block entry
 * points of shaders/matmul_tiled.wgsl, with a few blockings each. A case is (shape class,
 * transposes, epilogue, whether rows are whole vec4s); the fixed choice is the adapter's row of
 * `MATMUL_TUNING` (engine/ops/matmul-plan.ts).
 *
 * Shape classes: each of M, N, K rounded up to a power of two (sizes up to 16 share one class), so
 * 1000³ and 1024³ share a choice while 512³ and 1024³ do not. A choice is timed on the shape that
 * first met the class. Products with the dropout or gate epilogue are timed without the mask
 * (its cost is the same for every kernel that has it) and choose among the kernels that have it.
 */
import { shaderLibraries, shaders, type ShaderName } from '../../shaders/index';
import {
  isAligned,
  MATMUL_MASK_EPILOGUE,
  MATMUL_TUNING,
  matmulTuning,
  matmulWith,
  planBlocking,
  type MatmulBlocking,
  type MatmulPlan,
  type MatmulShape,
} from '../ops/matmul-kernels';
import { SeededRng } from '../data/rng';
import type { Runtime } from '../runtime/runtime';
import type { Tensor } from '../runtime/tensor';
import { registerTunable, tunerOf, type PreparedCase, type Tunable, type TuneResult } from './tuner';

/** A size's class: the next power of two, at least 16. */
function sizeClass(x: number): number {
  return Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, x))));
}

/**
 * Every candidate, in the order they are timed after the adapter's fixed choice: register
 * blockings around the fixed tables' (vec4 with 4 or 8 rows, scalar, strided), the classic
 * workgroup-memory tiling in two sizes (the larger one is the discrete-GPU default), and 2-D
 * blocks of 4 × 4 outputs per invocation. Left out: shape-specialized pipelines (`spec`: they
 * compile once per shape and measured no faster on the software adapters) and 2-D blocks of 8 or
 * 16 rows per invocation (no faster, and lavapipe took tens of seconds to compile them: timing
 * must fit a budget of seconds, compilation included).
 */
export const MATMUL_CANDIDATES: readonly MatmulBlocking[] = [
  { kernel: 'vec4', WG: 32, TM: 8 },
  { kernel: 'vec4', WG: 64, TM: 4 },
  { kernel: 'scalar', WG: 64, TM: 8 },
  { kernel: 'strided', WG: 32, TM: 16 },
  { kernel: 'strided', WG: 8, TM: 8 },
  { kernel: 'block', WG: 8, WG_Y: 8, TM: 4 },
  { kernel: 'block', WG: 16, WG_Y: 16, TM: 4 },
  { kernel: 'tiled', WG: 16, WG_Y: 16, TM: 4, BK: 16 },
  { kernel: 'tiled', WG: 8, WG_Y: 8, TM: 4, BK: 8 },
];

const same = (a: MatmulBlocking, b: MatmulBlocking): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Deterministic values in [-1, 1) (timing needs numbers, not statistics). */
function fill(n: number, seed: number): Float32Array<ArrayBuffer> {
  const rng = new SeededRng(seed);
  return Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
}

/** The WebGPU default of `maxComputeWorkgroupStorageSize`: the limit the plans are fingerprinted under. */
const DEFAULT_WORKGROUP_STORAGE = 16384;

/**
 * The shapes the plan code is fingerprinted on: aligned and unaligned, every transpose, few columns
 * (smaller workgroups), a mask (the epilogue fallback), a bias, and more row blocks than one grid
 * dimension holds (the grid's z split).
 */
const PLAN_PROBES: readonly MatmulShape[] = [
  { m: 64, n: 64, k: 64, transA: false, transB: false },
  { m: 1024, n: 1024, k: 1024, transA: true, transB: true, epilogue: 'bias+relu' },
  { m: 777, n: 513, k: 1025, transA: false, transB: true, epilogue: 'bias' },
  { m: 17, n: 31, k: 13, transA: true, transB: false, epilogue: 'relu' },
  { m: 6, n: 4, k: 8, transA: true, transB: false },
  { m: 100, n: 12, k: 4, transA: false, transB: false, mask: true },
  { m: 33, n: 9, k: 7, transA: false, transB: true, mask: true },
  { m: 2_000_000, n: 8, k: 4, transA: false, transB: false },
];

/** The kernel files a matmul plan runs, with the libraries each is compiled with. */
const MATMUL_SHADERS: readonly ShaderName[] = ['matmul', 'matmul_masked', 'matmul_keyed', 'matmul_tiled'];

/** The WGSL of the matmul kernels as the runtime compiles them: the generated files (shaders/matmul-gen.ts) and their libraries. */
export const MATMUL_WGSL: string = MATMUL_SHADERS.map((name) => {
  const entry: { source: string; uses?: readonly (keyof typeof shaderLibraries)[] } = shaders[name];
  return [name, ...(entry.uses ?? []).map((lib) => shaderLibraries[lib]), entry.source].join('\n');
}).join('\n');

/**
 * The code a cached matmul choice depends on, as text to hash: `wgsl` (default: the kernels'
 * generated WGSL) and what `plan` (default: `planBlocking`, the TypeScript that turns a blocking
 * into an entry point, constants and a grid) makes of every candidate and fixed-table blocking on
 * a set of probe shapes, its refusals included. A change of the kernels or of the planning that
 * shows on any probe changes the text, so the cache entry goes stale without a hand-kept version.
 */
export function matmulPlanSource(
  plan: (shape: MatmulShape, blocking: MatmulBlocking, maxWorkgroupStorage: number) => MatmulPlan = planBlocking,
  wgsl: string = MATMUL_WGSL,
): string {
  const blockings = [...MATMUL_CANDIDATES, ...Object.values(MATMUL_TUNING).flatMap((t) => [t.aligned, t.unaligned])];
  const lines = blockings.flatMap((blk) =>
    PLAN_PROBES.map((shape) => {
      try {
        return JSON.stringify(plan(shape, blk, DEFAULT_WORKGROUP_STORAGE));
      } catch (e) {
        return `refused: ${e instanceof Error ? e.message : String(e)}`;
      }
    }),
  );
  return `${lines.join('\n')}\n${wgsl}`;
}

/** The matmul tunable, registered under `matmul` here where it is defined; `matmul` (engine/ops/matmul.ts) imports it. */
export const matmulTunable: Tunable<MatmulShape, MatmulBlocking> = registerTunable<MatmulShape, MatmulBlocking>({
  name: 'matmul',
  // The generated kernels and the plans made of them (a change of either re-times).
  source: matmulPlanSource(),
  allCandidates: MATMUL_CANDIDATES,
  key(_rt: Runtime, s: MatmulShape): string {
    const t = `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
    return `${t} ${s.epilogue ?? 'none'}${s.mask ? '+mask' : ''} ${sizeClass(s.m)}x${sizeClass(s.n)}x${sizeClass(s.k)} ${isAligned(s) ? 'aligned' : 'unaligned'}`;
  },
  fixed(rt: Runtime, s: MatmulShape): MatmulBlocking {
    return matmulTuning(rt)[isAligned(s) ? 'aligned' : 'unaligned'];
  },
  candidates(rt: Runtime, s: MatmulShape): MatmulBlocking[] {
    const fixed = this.fixed(rt, s);
    const ok = (c: MatmulBlocking): boolean => (c.kernel !== 'vec4' || isAligned(s)) && (!s.mask || MATMUL_MASK_EPILOGUE[c.kernel]);
    const rest = MATMUL_CANDIDATES.filter((c) => ok(c) && !same(c, fixed));
    return ok(fixed) ? [fixed, ...rest] : rest;
  },
  prepare(rt: Runtime, s: MatmulShape): PreparedCase<MatmulBlocking> {
    const a = rt.tensor(fill(s.m * s.k, 1), s.transA ? [s.k, s.m] : [s.m, s.k]);
    const b = rt.tensor(fill(s.k * s.n, 2), s.transB ? [s.n, s.k] : [s.k, s.n]);
    const epi = s.epilogue ?? 'none';
    const bias: Tensor | undefined = epi === 'bias' || epi === 'bias+relu' ? rt.tensor(fill(s.n, 3)) : undefined;
    const opts = { transA: s.transA, transB: !!s.transB, bias, relu: epi === 'relu' || epi === 'bias+relu' };
    return {
      run: (c) => matmulWith(a, b, opts, (r, shape) => planBlocking(shape, c, r.device.limits.maxComputeWorkgroupStorageSize)).dispose(),
      dispose: () => {
        a.dispose();
        b.dispose();
        bias?.dispose();
      },
    };
  },
});

/**
 * Chooses the matmul kernel for a product of this shape on `rt` ahead of use: with a tuner in
 * `auto` mode (`configureTuner`), times the candidates unless a valid cached choice exists; in
 * `cache` mode returns the cached or fixed choice; without a tuner or in `fixed` mode, the fixed
 * table's. Later `matmul` calls of the same case use the result.
 */
export async function tuneMatmul(rt: Runtime, shape: MatmulShape): Promise<TuneResult<MatmulBlocking>> {
  const tuner = tunerOf(rt);
  if (!tuner) return { key: matmulTunable.key(rt, shape), choice: matmulTunable.fixed(rt, shape), source: 'fixed' };
  return tuner.tune(matmulTunable, shape);
}
