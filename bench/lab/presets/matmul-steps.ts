/**
 * A naive-to-tiled matmul sequence for teaching, each step a preset of its own: the same product,
 * C = A·B (row-major, M × K times K × N), written three ways before the engine's own kernel, so
 * that the page can show what each idea buys on the visitor's GPU. Each step's WGSL says what it
 * changes and why; the measured speeds are the page's and the README's, not written here.
 */
import type { KernelSpec } from '../spec';
import { matmulInputs, matmulOutputs, matmulReference, matmulTolerance, matmulWork } from './matmul-ref';

const PARAMS = `struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
`;

/** Step 1: one invocation per element of C, every operand read from memory. */
export const NAIVE_WGSL = `// Step 1: naive. One invocation per element of C: a dot product of a row of A and a column
// of B, every operand loaded from global memory (2 loads per FMA).
${PARAMS}@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override WG: u32 = 8;

@compute @workgroup_size(WG, WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= params.m || col >= params.n) { return; }
  var acc = 0.0;
  for (var i = 0u; i < params.k; i++) {
    acc = fma(a[row * params.k + i], b[i * params.n + col], acc);
  }
  c[row * params.n + col] = acc;
}
`;

/** Step 2: a 4 × 4 block of C per invocation, in registers. */
export const BLOCKED_WGSL = `// Step 2: register blocking. Each invocation computes a 4 × 4 block of C: four rows, and four
// columns as one vec4. A loaded value of B serves four rows and one of A four columns, so there
// are 5 loads per 16 FMAs instead of 2 per FMA. The accumulators are four named variables, not an
// array: an array indexed by a loop variable is kept in memory by many compilers.
// Needs M and N multiples of 4.
${PARAMS}@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c4: array<vec4<f32>>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n4 = params.n / 4u;
  let col4 = gid.x;
  let row0 = 4u * gid.y;
  if (col4 >= n4 || row0 >= params.m) { return; }
  let k = params.k;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < k; i++) {
    let bv = b4[i * n4 + col4];
    acc0 = fma(vec4<f32>(a[row0 * k + i]), bv, acc0);
    acc1 = fma(vec4<f32>(a[(row0 + 1u) * k + i]), bv, acc1);
    acc2 = fma(vec4<f32>(a[(row0 + 2u) * k + i]), bv, acc2);
    acc3 = fma(vec4<f32>(a[(row0 + 3u) * k + i]), bv, acc3);
  }
  c4[row0 * n4 + col4] = acc0;
  c4[(row0 + 1u) * n4 + col4] = acc1;
  c4[(row0 + 2u) * n4 + col4] = acc2;
  c4[(row0 + 3u) * n4 + col4] = acc3;
}
`;

/** Step 3: 16 × 16 tiles of A and B staged in workgroup memory. */
export const TILED_WGSL = `// Step 3: workgroup-memory tiling. A workgroup of 16 × 16 invocations computes a 16 × 16 tile
// of C. For each step of 16 along k, every invocation loads ONE element of A and one of B into
// var<workgroup> tiles, the workgroup waits at a barrier, and each invocation then reads its 16
// operands from the shared tiles: global loads fall from 2 per FMA to 2 per 16 FMAs. On a real GPU
// workgroup memory is on-chip; on a CPU-based adapter it is not, and the barriers cost.
${PARAMS}@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const T = 16u;
var<workgroup> tile_a: array<f32, 256>;
var<workgroup> tile_b: array<f32, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = gid.y;
  let col = gid.x;
  var acc = 0.0;
  let steps = (params.k + T - 1u) / T;
  for (var t = 0u; t < steps; t++) {
    let ka = t * T + lid.x;
    let kb = t * T + lid.y;
    tile_a[lid.y * T + lid.x] = select(0.0, a[row * params.k + ka], row < params.m && ka < params.k);
    tile_b[lid.y * T + lid.x] = select(0.0, b[kb * params.n + col], kb < params.k && col < params.n);
    workgroupBarrier();
    for (var i = 0u; i < T; i++) {
      acc = fma(tile_a[lid.y * T + i], tile_b[i * T + lid.x], acc);
    }
    workgroupBarrier();
  }
  if (row < params.m && col < params.n) { c[row * params.n + col] = acc; }
}
`;

const common = {
  op: 'matmul' as const,
  entry: 'main',
  uniforms: (p: Record<string, number>) => ({ m: p.m, n: p.n, k: p.k }),
  inputs: matmulInputs,
  outputs: matmulOutputs,
  reference: matmulReference,
  tolerance: matmulTolerance,
  work: matmulWork,
};

/** The three hand-written steps; the fourth is the engine's kernel (./matmul-engine.ts). */
export const MATMUL_STEPS: readonly KernelSpec[] = [
  {
    ...common,
    name: 'matmul step 1: naive',
    about: 'One invocation per element of C, two loads per FMA.',
    wgsl: NAIVE_WGSL,
    params: { m: 256, n: 256, k: 256, WG: 8 },
    overrides: (p) => ({ WG: p.WG }),
    grid: (p) => [Math.ceil(p.n / p.WG), Math.ceil(p.m / p.WG), 1],
  },
  {
    ...common,
    name: 'matmul step 2: register-blocked',
    about: 'A 4 × 4 block of C per invocation in named accumulators: 5 loads per 16 FMAs.',
    wgsl: BLOCKED_WGSL,
    params: { m: 256, n: 256, k: 256, WG: 64 },
    overrides: (p) => ({ WG: p.WG }),
    bind: () => ({ a: 'a', b4: 'b', c4: 'c' }),
    grid: (p) => [Math.ceil(p.n / 4 / p.WG), Math.ceil(p.m / 4), 1],
  },
  {
    ...common,
    name: 'matmul step 3: workgroup tiles',
    about: '16 × 16 tiles of A and B staged in workgroup memory, a barrier per tile.',
    wgsl: TILED_WGSL,
    params: { m: 256, n: 256, k: 256 },
    grid: (p) => [Math.ceil(p.n / 16), Math.ceil(p.m / 16), 1],
  },
];
