/**
 * The kernel lab's spec: one plain TypeScript object describes a compute kernel well enough to run
 * it, check it against a CPU reference and place it on the roofline. The same object drives the
 * CLI (`npm run lab -- my-kernel.ts`, bench/lab/cli.ts) and the page (demos/kernel-lab/).
 *
 * A spec file may live anywhere: it needs no import (a type-only import of {@link KernelSpec} is
 * erased when it is loaded), so a performance engineer can keep specs outside this repository.
 * Everything that depends on the run's sizes is a function of the spec's `params`, so the CLI's
 * `--param n=4096` and the page's size controls change a case without editing it.
 *
 * Nothing here imports Node or the GPU: the page bundles it.
 */

/** The run's sizes and knobs, by name (`n`, `m`, `k`, `keep`, …): numbers only, so a URL or a flag can carry them. */
export type LabParams = Record<string, number>;

/** What a buffer holds when the kernel starts. */
export type LabArray = Float32Array | Uint32Array | Int32Array;

/** Deterministic pseudo-random numbers for input makers (the same inputs on every run and host). */
export interface LabRandom {
  /** Uniform in [lo, hi). */
  uniform(lo?: number, hi?: number): number;
  /** `n` uniforms in [lo, hi) as f32. */
  floats(n: number, lo?: number, hi?: number): Float32Array;
}

/** The op a kernel computes: it picks the engine's kernel and the peers the lab compares with. */
export type LabOp = 'matmul' | 'dropout' | 'soft-threshold' | 'update-sgd' | 'custom';

/** What the reference is compared with: an absolute and a relative part, `|got − want| ≤ abs + rel·|want|`. */
export interface LabTolerance {
  abs: number;
  rel?: number;
}

/** A shader of the engine's registry (shaders/index.ts), with the libraries it declares. */
export interface RegistryShader {
  shader: string;
}

/**
 * One kernel case. Every function receives the run's params (the spec's defaults with the
 * caller's values over them).
 */
export interface KernelSpec {
  /** A short name: the report's case and the page's preset. */
  name: string;
  /** One or two sentences: what the kernel computes and how. */
  about?: string;
  /** The op (default `custom`: no engine row, no peers). */
  op?: LabOp;
  /** WGSL text, or `{ shader: 'dropout' }` for a file of shaders/ as the engine loads it. */
  wgsl: string | RegistryShader;
  /** Library files of shaders/ (e.g. `philox`) prepended to WGSL text, as a registry kernel's `uses`. */
  uses?: readonly string[];
  /** The `@compute` entry point. */
  entry: string;
  /** Default params; the CLI and the page may change any of them. */
  params: LabParams;
  /** The `override` constants of the pipeline (names checked against the WGSL). */
  overrides?(p: LabParams): Record<string, number>;
  /** The uniform struct's members by name (checked against the WGSL like the engine's own calls). */
  uniforms?(p: LabParams): Record<string, number | readonly number[]>;
  /** The buffers that hold data at the start, by buffer name. */
  inputs(p: LabParams, random: LabRandom): Record<string, LabArray>;
  /** Buffers that start zeroed, by name: their length in 4-byte elements. */
  outputs?(p: LabParams): Record<string, number>;
  /**
   * Which buffer each WGSL binding gets, by binding name. Default: every binding gets the buffer of
   * its own name. Several bindings may share a buffer (an `array<f32>` and an `array<vec4<f32>>` view).
   */
  bind?(p: LabParams): Record<string, string>;
  /** The dispatch grid: workgroups in x, y, z. */
  grid(p: LabParams): readonly [number, number?, number?];
  /** The expected contents of the buffers to check after one dispatch, by buffer name, computed on the CPU. */
  reference(inputs: Readonly<Record<string, LabArray>>, p: LabParams): Record<string, ArrayLike<number>>;
  /** How close a result must be to the reference (default exact). */
  tolerance?(p: LabParams): LabTolerance;
  /** The work of one dispatch, for GFLOP/s, GB/s and the roofline: FLOPs and bytes moved to and from memory. */
  work(p: LabParams): { flops: number; bytes: number };
}

/** A spec that does not have the shape of {@link KernelSpec}: names the field. */
export class LabSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabSpecError';
  }
}

const FUNCTIONS = ['inputs', 'grid', 'reference', 'work'] as const;
const OPTIONAL_FUNCTIONS = ['overrides', 'uniforms', 'outputs', 'bind', 'tolerance'] as const;
const OPS: readonly LabOp[] = ['matmul', 'dropout', 'soft-threshold', 'update-sgd', 'custom'];

/**
 * Checks the shape of a spec loaded from a file (`where` names the file): every required field
 * present with its type, params numbers. Throws {@link LabSpecError} naming the first bad field.
 */
export function checkSpec(value: unknown, where: string): KernelSpec {
  if (typeof value !== 'object' || value === null) throw new LabSpecError(`${where}: the spec must be an object (export default { name, wgsl, entry, … })`);
  const s = value as Record<string, unknown>;
  const need = (cond: boolean, field: string, what: string): void => {
    if (!cond) throw new LabSpecError(`${where}: spec.${field} must be ${what}`);
  };
  need(typeof s.name === 'string' && s.name.length > 0, 'name', 'a non-empty string');
  need(
    typeof s.wgsl === 'string' || (typeof s.wgsl === 'object' && s.wgsl !== null && typeof (s.wgsl as RegistryShader).shader === 'string'),
    'wgsl',
    "WGSL text or { shader: '<file of shaders/>' }",
  );
  need(typeof s.entry === 'string' && s.entry.length > 0, 'entry', 'the name of a @compute entry point');
  need(s.op === undefined || OPS.includes(s.op as LabOp), 'op', `one of ${OPS.join(', ')}`);
  need(s.uses === undefined || (Array.isArray(s.uses) && s.uses.every((u) => typeof u === 'string')), 'uses', 'an array of library names');
  need(typeof s.params === 'object' && s.params !== null, 'params', 'an object of numbers');
  for (const [k, v] of Object.entries(s.params as object)) need(typeof v === 'number' && Number.isFinite(v), `params.${k}`, 'a finite number');
  for (const f of FUNCTIONS) need(typeof s[f] === 'function', f, 'a function of the params');
  for (const f of OPTIONAL_FUNCTIONS) need(s[f] === undefined || typeof s[f] === 'function', f, 'a function of the params (or left out)');
  return value as KernelSpec;
}

/** The spec's params with `given` over them; an unknown name is an error (a typo would otherwise be ignored). */
export function resolveParams(spec: KernelSpec, given: LabParams = {}): LabParams {
  for (const k of Object.keys(given)) {
    if (!(k in spec.params)) throw new LabSpecError(`${spec.name}: no param "${k}" (it has: ${Object.keys(spec.params).join(', ')})`);
  }
  return { ...spec.params, ...given };
}

/** A {@link LabRandom} from a seed (mulberry32: small, fast and the same everywhere). */
export function labRandom(seed = 1): LabRandom {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform: (lo = 0, hi = 1) => lo + (hi - lo) * next(),
    floats: (n, lo = -1, hi = 1) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
  };
}
