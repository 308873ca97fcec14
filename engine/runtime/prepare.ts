/**
 * `Runtime.prepare`: shader modules and pipelines made ahead of their first dispatch, with
 * `createComputePipelineAsync`, so the driver compiles them while the page goes on (a software
 * adapter takes a noticeable time per unrolled matmul entry point) and the first step creates
 * nothing on the main thread. What to make is listed: shaders by name, or pipelines by shader,
 * entry point and override constants.
 */
import { ArgumentError, describeValue } from './errors';
import { Kernel, type Overrides } from './kernel';
import type { ShaderKey, ShaderRegistry } from './shader-registry';

/** One pipeline to make: a shader (by name, or a `loadKernel` kernel), an entry point, its override constants. */
export interface PipelineRequest {
  shader: ShaderKey | Kernel;
  entry: string;
  overrides?: Overrides;
}

/** What {@link prepareTargets} takes: a shader alone (its module only) or one pipeline of it. */
export type PrepareTarget = ShaderKey | Kernel | PipelineRequest;

/** What a prepare made ready (counted whether it existed before or was made now). */
export interface PrepareResult {
  /** Distinct shader modules. */
  shaders: number;
  /** Distinct pipelines. */
  pipelines: number;
}

function checkTarget(t: unknown, i: number): PrepareTarget {
  if (typeof t === 'string' || t instanceof Kernel) return t as PrepareTarget;
  const r = t as PipelineRequest;
  if (typeof t !== 'object' || t === null || !(typeof r.shader === 'string' || r.shader instanceof Kernel) || typeof r.entry !== 'string')
    throw new ArgumentError(`prepare: item ${i} must be a shader name, a Kernel or { shader, entry, overrides? }, got ${describeValue(t)}`);
  if (r.overrides !== undefined && (typeof r.overrides !== 'object' || r.overrides === null))
    throw new ArgumentError(`prepare: item ${i}'s overrides must be an object of numbers, got ${describeValue(r.overrides)}`);
  return r;
}

/**
 * Compiles the modules of `targets` (each awaited: a {@link ShaderCompileError} rejects) and creates
 * their pipelines asynchronously (a {@link PipelineError} rejects, naming the file, entry point and
 * constants). Everything is started at once; the promise settles when all of it has.
 */
export async function prepareTargets(registry: ShaderRegistry, targets: readonly unknown[]): Promise<PrepareResult> {
  if (!Array.isArray(targets)) throw new ArgumentError(`prepare: expected an array of shaders or pipelines, got ${describeValue(targets)}`);
  const checked = targets.map(checkTarget);
  const modules = new Map<ShaderKey | Kernel, Promise<Kernel>>();
  const moduleOf = (s: ShaderKey | Kernel): Promise<Kernel> => {
    let m = modules.get(s);
    if (!m) {
      if (s instanceof Kernel) registry.noteKernel(s);
      m = s instanceof Kernel ? Promise.resolve(s) : registry.kernelChecked(s);
      modules.set(s, m);
    }
    return m;
  };
  // Per module, its pipelines by entry point and constants (sorted by name, as the kernel keys them).
  const pipelines = new Map<ShaderKey | Kernel, Map<string, Promise<unknown>>>();
  for (const t of checked) {
    if (typeof t === 'string' || t instanceof Kernel) {
      moduleOf(t);
      continue;
    }
    const ov = t.overrides ?? {};
    const key = `${t.entry}|${JSON.stringify(Object.entries(ov).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    let of = pipelines.get(t.shader);
    if (!of) {
      of = new Map();
      pipelines.set(t.shader, of);
    }
    if (!of.has(key))
      of.set(
        key,
        moduleOf(t.shader).then((k) => k.pipelineAsync(t.entry, ov)),
      );
  }
  const made = [...pipelines.values()].flatMap((of) => [...of.values()]);
  await Promise.all([...modules.values(), ...made]);
  return { shaders: modules.size, pipelines: made.length };
}
