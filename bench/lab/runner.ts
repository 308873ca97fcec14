/**
 * Runs one {@link KernelSpec} on a runtime through the engine's public API (`loadKernel`,
 * `dispatch`, `read`): compile and reflect the WGSL, check the spec's bindings, uniforms and
 * overrides against the reflection, make the inputs, dispatch once and compare with the CPU
 * reference, then time the dispatch (bench/timing.ts: wall clock, and GPU timestamps where the
 * adapter has them). Shared by the CLI and the page: nothing Node-only.
 */
import { KernelBindingError, type Kernel, type Runtime, type Tensor } from '../../engine/index';
import { shaderFile, shaderLibraries, shaders, type LibraryName } from '../../shaders/index';
import { benchShaders } from '../kernels';
import { measureGpu, median } from '../timing';
import { compareOutputs, type LabCheck } from './check';
import { labRandom, LabSpecError, resolveParams, type KernelSpec, type LabArray, type LabParams } from './spec';

/** The WGSL of a spec as it is compiled: the file name errors give, the text, the libraries prepended. */
export interface LabSource {
  file: string;
  source: string;
  uses: LibraryName[];
}

/** The WGSL a spec names: its text, or a registry file's (with that file's libraries). */
export function specSource(spec: KernelSpec, file = `${spec.name}.wgsl`): LabSource {
  const uses = [...(spec.uses ?? [])];
  let source: string;
  if (typeof spec.wgsl === 'string') {
    source = spec.wgsl;
  } else {
    const name = spec.wgsl.shader;
    // The library's registry and the bench's own kernels (bench/kernels.ts).
    const known: Record<string, { source: string; uses?: readonly string[] }> = { ...shaders, ...benchShaders };
    const entry = Object.hasOwn(known, name) ? known[name] : undefined;
    if (!entry)
      throw new LabSpecError(
        `${spec.name}: spec.wgsl names shaders/${name}.wgsl, which is not in the registry (shaders/index.ts and bench/kernels.ts: ${Object.keys(known).join(', ')})`,
      );
    source = entry.source;
    uses.unshift(...(entry.uses ?? []));
    file = shaderFile(name);
  }
  for (const u of uses) {
    if (!(u in shaderLibraries)) throw new LabSpecError(`${spec.name}: spec.uses names library "${u}" (libraries: ${Object.keys(shaderLibraries).join(', ')})`);
  }
  return { file, source, uses: uses as LibraryName[] };
}

/** A spec compiled and bound on a runtime, ready to dispatch. */
export interface PreparedLab {
  spec: KernelSpec;
  params: LabParams;
  kernel: Kernel;
  inputs: Record<string, LabArray>;
  buffers: Record<string, Tensor>;
  /** The buffer each WGSL binding gets. */
  bindings: Record<string, Tensor>;
  /** Records one dispatch into the runtime's batch. */
  step(): void;
  /** Frees the buffers. */
  dispose(): void;
}

/**
 * Compiles the spec's WGSL (a {@link ShaderCompileError} with file, line and column if it does not
 * compile), makes its buffers and binds them, checking every binding name against the reflected
 * entry point: a binding with no buffer, or a buffer bound to a name the entry point does not use,
 * is a {@link KernelBindingError} that names the binding.
 */
export async function prepareLab(rt: Runtime, spec: KernelSpec, given: LabParams = {}, source: LabSource = specSource(spec)): Promise<PreparedLab> {
  const params = resolveParams(spec, given);
  const kernel = await rt.loadKernel(source.file, source.source, source.uses);
  const entry = kernel.entry(spec.entry);
  const where = `${source.file} @compute ${spec.entry}`;
  const inputs = spec.inputs(params, labRandom(1));
  const outputs = spec.outputs?.(params) ?? {};
  const bind = spec.bind?.(params) ?? {};
  const storage = entry.bindings.filter((b) => b.kind !== 'uniform');
  const uses = storage.map((b) => b.name).join(', ');
  for (const name of Object.keys(bind)) {
    if (!storage.some((b) => b.name === name))
      throw new KernelBindingError(`${where}: spec.bind names binding "${name}", which the entry point does not use (it uses: ${uses})`);
  }
  const buffers: Record<string, Tensor> = {};
  const make = (name: string): Tensor | undefined => {
    if (buffers[name]) return buffers[name];
    const data = inputs[name];
    const length = outputs[name];
    if (data) buffers[name] = rt.tensor(data, [data.length], data instanceof Uint32Array ? 'u32' : data instanceof Int32Array ? 'i32' : 'f32');
    else if (length !== undefined) buffers[name] = rt.tensor(new Float32Array(Math.max(1, length)));
    return buffers[name];
  };
  const bindings: Record<string, Tensor> = {};
  try {
    for (const b of storage) {
      const buffer = bind[b.name] ?? b.name;
      const t = make(buffer);
      if (!t) {
        throw new KernelBindingError(
          `${where}: binding "${b.name}" (@binding(${b.binding}), ${b.kind}) has no buffer: spec.inputs and spec.outputs give no "${buffer}"` +
            ` (buffers: ${[...Object.keys(inputs), ...Object.keys(outputs)].join(', ') || 'none'})`,
        );
      }
      bindings[b.name] = t;
    }
  } catch (e) {
    for (const t of Object.values(buffers)) t.dispose();
    throw e;
  }
  const overrides = spec.overrides?.(params) ?? {};
  const uniforms = spec.uniforms?.(params);
  const workgroups = spec.grid(params);
  const step = (): void => rt.dispatch({ shader: kernel, entry: spec.entry, overrides, ...(uniforms ? { uniforms } : {}), bindings, workgroups });
  return {
    spec,
    params,
    kernel,
    inputs,
    buffers,
    bindings,
    step,
    dispose: () => {
      for (const t of Object.values(buffers)) t.dispose();
    },
  };
}

/** The outcome of {@link checkLab}: the comparison and what the kernel wrote. */
export interface LabOutcome {
  check: LabCheck;
  /** The checked buffers as read back. */
  got: Record<string, ArrayLike<number>>;
  want: Record<string, ArrayLike<number>>;
}

/** Dispatches once (on freshly made inputs) and compares the buffers the reference names. */
export async function checkLab(rt: Runtime, lab: PreparedLab): Promise<LabOutcome> {
  const want = lab.spec.reference(lab.inputs, lab.params);
  for (const name of Object.keys(want)) {
    if (!lab.buffers[name])
      throw new KernelBindingError(
        `${lab.spec.name}: spec.reference gives buffer "${name}", which no binding uses (buffers: ${Object.keys(lab.buffers).join(', ')})`,
      );
  }
  lab.step();
  const got: Record<string, ArrayLike<number>> = {};
  for (const name of Object.keys(want)) got[name] = await rt.read(lab.buffers[name]);
  return { check: compareOutputs(got, want, lab.spec.tolerance?.(lab.params) ?? { abs: 0 }), got, want };
}

/** A timing of one kernel: ms per dispatch, one entry per sample, on each clock it has. */
export interface LabTiming {
  wallMs: number[];
  gpuMs: number[] | null;
  itersPerSample: number;
  /** Median ms per dispatch on the best clock. */
  medianMs: number;
  clock: 'gpu' | 'wall';
}

/** Options of {@link timeLab}. */
export interface LabTimeOptions {
  samples: number;
  /** How long one sample should last, ms (iterations per sample are chosen from a trial run). */
  targetMs?: number;
  maxIters?: number;
  /** Called between samples; throwing stops the timing (the page's time budget). */
  between?(): void;
}

/**
 * Times a step: iterations per sample so that a sample lasts about `targetMs`, then `samples`
 * samples. The inputs of an in-place kernel change as it runs, which changes nothing in its cost.
 */
export async function timeSteps(rt: Runtime, step: () => void, o: LabTimeOptions): Promise<LabTiming> {
  step();
  await rt.sync();
  o.between?.();
  const t0 = performance.now();
  step();
  await rt.sync();
  o.between?.();
  const trial = Math.max(performance.now() - t0, 1e-3);
  const iters = Math.max(1, Math.min(o.maxIters ?? 200, Math.round((o.targetMs ?? 50) / trial)));
  const wallMs: number[] = [];
  let gpuMs: number[] | null = [];
  for (let s = 0; s < o.samples; s++) {
    const m = await measureGpu(rt, step, { samples: 1, iters, warmup: 0 });
    wallMs.push(...m.wallMs);
    gpuMs = gpuMs && m.gpuMs ? [...gpuMs, ...m.gpuMs] : null;
    o.between?.();
  }
  const clock = gpuMs && gpuMs.length > 0 ? 'gpu' : 'wall';
  return { wallMs, gpuMs, itersPerSample: iters, medianMs: median(clock === 'gpu' ? (gpuMs as number[]) : wallMs), clock };
}

/** GFLOP/s and GB/s of a spec's work at a time per dispatch. */
export function throughput(work: { flops: number; bytes: number }, ms: number): { gflops: number; gbps: number } {
  return { gflops: work.flops / (ms * 1e6), gbps: work.bytes / (ms * 1e6) };
}
