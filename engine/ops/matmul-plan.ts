/**
 * How a matmul runs: the kernels and their blockings, the fixed table per kind of adapter, and the
 * plan of one product (entry point, pipeline constants, grid) for a blocking. Pure planning, no
 * dispatch: the kernels that run the plans are ./matmul-kernels.ts, and the autotuner
 * (engine/tune/matmul.ts) fingerprints {@link planBlocking} on probe shapes.
 */
import { ArgumentError } from '../runtime/errors';
import type { AdapterKind } from '../runtime/device';
import type { Runtime } from '../runtime/runtime';
import { MATMUL_TMS, hasMatmulEntry, matmulEntryName, matmulTemplateOf } from '../../shaders/matmul-gen';

/**
 * The entry points of shaders/matmul.wgsl, all with the same register blocking (TM rows × 4
 * columns per invocation) and different layouts: `vec4` (vec4 loads and stores; rows must be whole
 * vec4s), `scalar` (the four columns adjacent, scalar loads; any shape), `strided` (the four
 * columns WG apart, so neighbouring invocations read neighbouring addresses; any shape); and the
 * entry points of shaders/matmul_tiled.wgsl: `tiled` (workgroup-memory tiles, WG × WG_Y
 * invocations, BK values of k per tile) and `block` (WG × WG_Y invocations, TM rows × 4 adjacent
 * columns each, no workgroup memory), both for any shape.
 */
export type MatmulKernel = 'vec4' | 'scalar' | 'strided' | 'tiled' | 'block';

/**
 * An entry point, its workgroup size and rows of C per invocation. For shaders/matmul.wgsl `WG`
 * invocations all on the same rows; for `tiled` and `block`, `WG` (columns) × `WG_Y` (rows)
 * invocations, `BK` values of k per tile (`tiled`), and `spec`: the product's sizes become
 * pipeline constants (one pipeline per shape).
 */
export interface MatmulBlocking {
  kernel: MatmulKernel;
  WG: number;
  TM: number;
  WG_Y?: number;
  BK?: number;
  spec?: boolean;
}

/** Which kernels implement the dropout and gate epilogue ({@link MatmulOptions.dropout}, `gate`). */
export const MATMUL_MASK_EPILOGUE: Readonly<Record<MatmulKernel, boolean>> = { vec4: true, scalar: true, strided: true, tiled: false, block: false };

/** What one kind of adapter runs. */
export interface MatmulTuning {
  /** Shapes whose rows are whole vec4s: N and K multiples of 4, and M too when A is stored transposed. */
  aligned: MatmulBlocking;
  /** Every other shape (not `vec4`). */
  unaligned: MatmulBlocking;
}

/**
 * Measured side by side at 512³–1024³ and 777×513×1025, every transpose combination (the comment at
 * the top of shaders/matmul.wgsl says why). lavapipe loads every vector component
 * separately whatever the layout (Mesa's gallivm), so the vec4 layout with 8 rows wins. On
 * SwiftShader, with the generated entry points (every row's accumulator its own variable), the
 * vec4 layout with 8 rows led where it applies (the autotuner chose it for both transposed
 * products, and the MLP step ran faster with it); unaligned shapes keep the strided layout, where
 * neighbouring invocations read neighbouring addresses, in workgroups of 8 with 8 rows each: the
 * autotuner's choice for unaligned shapes there, which beat 32 × 16 rows on 777×513×1025 side by
 * side (the quiet default runs in bench/records, quoted in the README).
 * `other` (real GPUs; untested here, only checked for correctness on the software adapters) gets
 * the classic workgroup-memory tiling, 64 × 64 blocks of C from 16 × 16 invocations of 4 × 4
 * outputs, 16 values of k per tile. These are the fixed-mode defaults of the autotuner
 * (engine/tune/matmul.ts), which may choose others per adapter and shape class.
 */
export const MATMUL_TUNING: Readonly<Record<AdapterKind, MatmulTuning>> = {
  lavapipe: { aligned: { kernel: 'vec4', WG: 32, TM: 8 }, unaligned: { kernel: 'scalar', WG: 64, TM: 8 } },
  swiftshader: { aligned: { kernel: 'vec4', WG: 32, TM: 8 }, unaligned: { kernel: 'strided', WG: 8, TM: 8 } },
  other: { aligned: { kernel: 'tiled', WG: 16, WG_Y: 16, TM: 4, BK: 16 }, unaligned: { kernel: 'tiled', WG: 16, WG_Y: 16, TM: 4, BK: 16 } },
};

/** Most workgroups in one grid dimension (WebGPU's default limit). */
export const MAX_GROUPS = 65535;

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

/** The fixed blocking of `matmul` on `rt` (from {@link MATMUL_TUNING} by the adapter's `kind`). */
export function matmulTuning(rt: Runtime): MatmulTuning {
  return MATMUL_TUNING[rt.info.kind];
}

/** Whether every row of op(A) and op(B) is a whole number of vec4 (the vec4 kernel's condition): N and K multiples of 4, and M too when A is stored transposed. */
export function isAligned(s: Pick<MatmulShape, 'm' | 'n' | 'k' | 'transA'>): boolean {
  return s.k > 0 && s.k % 4 === 0 && s.n % 4 === 0 && (!s.transA || s.m % 4 === 0);
}

/** Whether the kernels of the adapter's fixed table (aligned and unaligned) have the dropout/gate epilogue. */
export function matmulHasMaskEpilogue(rt: Runtime): boolean {
  const t = matmulTuning(rt);
  return MATMUL_MASK_EPILOGUE[t.aligned.kernel] && MATMUL_MASK_EPILOGUE[t.unaligned.kernel];
}

/** How {@link matmul} runs one product: the entry point, its blocking and its grid. */
export interface MatmulPlan {
  /** The layout (the kernel of the blocking). */
  entry: 'matmul_vec4' | 'matmul_scalar' | 'matmul_strided' | 'matmul_tiled' | 'matmul_block';
  /** The generated entry point that runs it: the layout and TM, e.g. `matmul_strided_tm16` (shaders/matmul-gen.ts). */
  entryPoint: string;
  /** The file: shaders/matmul.wgsl or shaders/matmul_tiled.wgsl (`tiled`, `block`). */
  shader: 'matmul' | 'matmul_tiled';
  /** Pipeline constants besides WG, TM and the transposes (WG_X, WG_Y, BK, SPEC_* of matmul_tiled.wgsl). */
  overrides: Record<string, number>;
  WG: number;
  TM: number;
  workgroups: [number, number, number];
  /** Whether the entry point implements the dropout and gate epilogue ({@link MATMUL_MASK_EPILOGUE}). */
  maskEpilogue: boolean;
}

/** The shape of a product as {@link planMatmul} takes it; `epilogue` and `mask` only steer the choice of kernel. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB?: boolean;
  /** The fused epilogue (part of the autotuner's case key). */
  epilogue?: 'none' | 'bias' | 'relu' | 'bias+relu';
  /** The product needs the dropout or gate epilogue: only kernels of {@link MATMUL_MASK_EPILOGUE} qualify. */
  mask?: boolean;
}

/** Invocations per workgroup of shaders/matmul_tiled.wgsl at most (WebGPU's default limit). */
const TILED_MAX_INVOCATIONS = 256;

/**
 * The plan of an M × N × K product (M, N ≥ 1) with the blocking `blocking`: its entry point,
 * pipeline constants and grid; fewer invocations per workgroup when C has few columns
 * (shaders/matmul.wgsl). A product that needs the dropout or gate epilogue and was given a kernel
 * without it runs the vec4 or scalar kernel instead. `maxWorkgroupStorage`: the device's
 * `maxComputeWorkgroupStorageSize`. Pure: the autotuner fingerprints it (engine/tune/matmul.ts).
 */
export function planBlocking(shape: MatmulShape, blocking: MatmulBlocking, maxWorkgroupStorage: number): MatmulPlan {
  const { m, n, k } = shape;
  const aligned = isAligned(shape);
  let blk = blocking;
  if (shape.mask && !MATMUL_MASK_EPILOGUE[blk.kernel]) blk = { kernel: aligned ? 'vec4' : 'scalar', WG: 64, TM: 4 };
  const where = `matmul: ${aligned ? 'aligned' : 'unaligned'} blocking ${JSON.stringify(blk)}`;
  if (!(blk.kernel in MATMUL_MASK_EPILOGUE))
    throw new ArgumentError(`${where}: unknown kernel (expected one of ${Object.keys(MATMUL_MASK_EPILOGUE).join(', ')})`);
  if (blk.kernel === 'vec4' && !aligned) throw new ArgumentError(`${where}: the vec4 kernel needs an aligned shape`);
  if (!hasMatmulEntry(blk.kernel, blk.TM)) {
    const tms = MATMUL_TMS[matmulTemplateOf(blk.kernel)].filter((tm) => hasMatmulEntry(blk.kernel, tm));
    throw new ArgumentError(`${where}: TM must be one of ${tms.join(', ')} for the ${blk.kernel} kernel (its generated entry points)`);
  }
  if (blk.kernel === 'tiled' || blk.kernel === 'block') {
    const wy = blk.WG_Y ?? 1;
    const bk = blk.BK ?? 16;
    for (const [what, v] of [
      ['WG', blk.WG],
      ['WG_Y', wy],
      ['BK', bk],
    ] as const) {
      if (!Number.isInteger(Math.log2(v)) || v < 1 || v > 64) throw new ArgumentError(`${where}: ${what} must be a power of two in 1..64`);
    }
    if (blk.WG * wy > TILED_MAX_INVOCATIONS) throw new ArgumentError(`${where}: WG × WG_Y must be at most ${TILED_MAX_INVOCATIONS}`);
    const tileBytes = blk.kernel === 'tiled' ? 4 * bk * (wy * blk.TM + 4 * blk.WG) : 0;
    if (tileBytes > maxWorkgroupStorage)
      throw new ArgumentError(`${where}: its tiles need ${tileBytes} bytes of workgroup memory, the device allows ${maxWorkgroupStorage}`);
    const overrides: Record<string, number> = { WG_X: blk.WG, WG_Y: wy };
    // The tiled entry point's TM override sizes its tile of A (it must equal the TM of its name).
    if (blk.kernel === 'tiled') Object.assign(overrides, { BK: bk, TM: blk.TM });
    if (blk.spec) Object.assign(overrides, { SPEC_M: m, SPEC_N: n, SPEC_K: k });
    const [gy, gz] = rowGrid('matmul', Math.ceil(m / (wy * blk.TM)));
    const workgroups: [number, number, number] = [Math.ceil(n / (4 * blk.WG)), gy, gz];
    const entryPoint = matmulEntryName(blk.kernel, blk.TM);
    return { entry: `matmul_${blk.kernel}`, entryPoint, shader: 'matmul_tiled', overrides, WG: blk.WG, TM: blk.TM, workgroups, maskEpilogue: false };
  }
  if (blk.spec) throw new ArgumentError(`${where}: spec needs the tiled or block kernel`);
  if (!Number.isInteger(Math.log2(blk.WG)) || blk.WG < 8 || blk.WG > 256) throw new ArgumentError(`${where}: WG must be a power of two in 8..256`);
  const columns = Math.ceil(n / 4);
  const wg = workgroupSize(blk.WG, columns);
  const [gy, gz] = rowGrid('matmul', Math.ceil(m / blk.TM));
  const workgroups: [number, number, number] = [Math.ceil(columns / wg), gy, gz];
  const entryPoint = matmulEntryName(blk.kernel, blk.TM);
  return {
    entry: `matmul_${blk.kernel}`,
    entryPoint,
    shader: 'matmul',
    overrides: {},
    WG: wg,
    TM: blk.TM,
    workgroups,
    maskEpilogue: MATMUL_MASK_EPILOGUE[blk.kernel],
  };
}
