/**
 * The registry of WGSL files. Each file is imported as text (`?raw`): Vite and Vitest do this
 * natively, and Node CLIs get the same through scripts/wgsl-loader.mjs. Adding a shader means
 * adding its import and one entry here. A runtime compiles an entry when it is first used (or when
 * `rt.prepare` asks for it), never the whole registry at start-up.
 *
 * A kernel may `use` library files (shared WGSL functions without entry points, e.g. a random
 * number generator): WGSL has no include, so the runtime prepends them and maps error lines back.
 */
import elementwise from './elementwise.wgsl?raw';
import reduceSum from './reduce_sum.wgsl?raw';
import matmulTemplate from './matmul.wgsl?raw';
import matmulTiledTemplate from './matmul_tiled.wgsl?raw';
import { generateMatmulSource } from './matmul-gen';
import broadcast from './broadcast.wgsl?raw';
import reduceAxes from './reduce_axes.wgsl?raw';
import unary from './unary.wgsl?raw';
import gather from './gather.wgsl?raw';
import softmaxXent from './softmax_xent.wgsl?raw';
import updateChain from './update_chain.wgsl?raw';
import softThreshold from './soft_threshold.wgsl?raw';
import philox from './philox.wgsl?raw';
import dropoutOff from './dropout_off.wgsl?raw';
import dropout from './dropout.wgsl?raw';
import normal from './normal.wgsl?raw';
import noise from './noise.wgsl?raw';
import augment from './augment.wgsl?raw';
import colnorm from './colnorm.wgsl?raw';
import grid from './grid.wgsl?raw';
import arena from './arena.wgsl?raw';
import guard from './guard.wgsl?raw';
import metrics from './metrics.wgsl?raw';
import conv from './conv.wgsl?raw';
import pool from './pool.wgsl?raw';
import batchnorm from './batchnorm.wgsl?raw';

// The matmul files are templates whose entry points (one per layout and rows per invocation, loops
// unrolled) are generated from TypeScript: see shaders/matmul-gen.ts for why.
const matmul = generateMatmulSource(matmulTemplate, 'matmul');
const matmulKeyed = generateMatmulSource(matmulTemplate, 'matmul', 'keyed');
const matmulTiled = generateMatmulSource(matmulTiledTemplate, 'matmul_tiled');

/** Library files: WGSL functions shared by several kernels. */
export const shaderLibraries = { philox, dropout_off: dropoutOff, grid, normal, arena } as const satisfies Record<string, string>;

/** The name of a library file. */
export type LibraryName = keyof typeof shaderLibraries;

/** A kernel file and the libraries it uses. */
export interface ShaderEntry {
  source: string;
  uses?: readonly LibraryName[];
}

/** Every kernel file, by name (the file is `shaders/<name>.wgsl`). */
export const shaders = {
  elementwise: { source: elementwise, uses: ['grid'] },
  reduce_sum: { source: reduceSum },
  // The same file twice: with the Philox library for a dropout epilogue, with stubs for everything else (see shaders/dropout_off.wgsl).
  matmul: { source: matmul, uses: ['dropout_off'] },
  matmul_masked: { source: matmul, uses: ['philox'] },
  // And once more with each product's own dropout key (a batched ensemble's members; see `mask_keys` in shaders/matmul.wgsl).
  matmul_keyed: { source: matmulKeyed, uses: ['philox'] },
  matmul_tiled: { source: matmulTiled },
  broadcast: { source: broadcast, uses: ['grid'] },
  reduce_axes: { source: reduceAxes, uses: ['grid'] },
  unary: { source: unary, uses: ['grid'] },
  gather: { source: gather, uses: ['grid'] },
  softmax_xent: { source: softmaxXent },
  update_chain: { source: updateChain, uses: ['arena'] },
  soft_threshold: { source: softThreshold, uses: ['grid'] },
  dropout: { source: dropout, uses: ['philox'] },
  noise: { source: noise, uses: ['philox', 'normal', 'grid'] },
  augment: { source: augment, uses: ['philox', 'normal', 'grid'] },
  colnorm: { source: colnorm, uses: ['grid'] },
  guard: { source: guard, uses: ['grid'] },
  metrics: { source: metrics },
  conv: { source: conv, uses: ['grid'] },
  pool: { source: pool, uses: ['grid'] },
  batchnorm: { source: batchnorm, uses: ['grid'] },
} as const satisfies Record<string, ShaderEntry>;

/** The name of a registered kernel file. */
export type ShaderName = keyof typeof shaders;

/**
 * Kernels the library does not ship: the benchmark's baseline and ceilings (shaders/matmul_naive.wgsl,
 * fma_peak.wgsl, bandwidth.wgsl). A runtime knows them once their source is registered with
 * `rt.registerShaders` (bench/kernels.ts does it for the bench, the kernel lab and the pages that
 * measure ceilings); a dispatch of one before that names the remedy.
 */
export type OnDemandShaderName = 'matmul_naive' | 'fma_peak' | 'bandwidth';

/** The file a shader lives in, relative to the repository root (for errors and DEBUG output). */
export function shaderFile(name: string): string {
  return `shaders/${name === 'matmul_masked' || name === 'matmul_keyed' ? 'matmul' : name}.wgsl`;
}
