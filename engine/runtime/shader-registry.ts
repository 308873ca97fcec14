/**
 * The runtime's shaders: the registry (shaders/index.ts) plus what `Runtime.registerShaders` adds,
 * each compiled at its first use and not before, so a page pays for the kernels it runs and no
 * others. A first use that cannot wait (a dispatch) compiles at once; `Runtime.prepare` compiles
 * ahead and waits for the compile's verdict (./prepare.ts).
 *
 * Reflection comes from the library build's table (shaders/reflections.ts) where it has the text;
 * otherwise from the WGSL parser (./reflect.ts), which is loaded before it can be needed (at
 * creation if the table misses a registry kernel, at registration for added ones), so the lazy
 * path never waits on an import.
 */
import { shaderFile, shaderLibraries, shaders, type LibraryName, type OnDemandShaderName, type ShaderEntry, type ShaderName } from '../../shaders/index';
import { ArgumentError, describeValue, KernelBindingError, type EngineError } from './errors';
import { buildTimeReflection, Kernel, kernelCode, type KernelPipelineStats, type Reflector } from './kernel';

/** The name of a kernel a runtime can know: the registry's, or one the library leaves to its users to register. */
export type ShaderKey = ShaderName | OnDemandShaderName;

/** What {@link ShaderRegistry.stats} reports (`Runtime.pipelineStats`). */
export interface PipelineStats extends KernelPipelineStats {
  /** Names of the registry shaders compiled so far, in the order they were first used. */
  shaders: string[];
  /** Shader modules compiled so far (registry shaders and `loadKernel` kernels the runtime ran). */
  modules: number;
  /** Pipelines created so far (`sync` + `async`). */
  pipelines: number;
}

const registryEntries: Readonly<Record<string, ShaderEntry>> = shaders;

/** The libraries of an entry as kernel parts (file names for errors, text). */
function libraryParts(uses: readonly LibraryName[] = []): { file: string; source: string }[] {
  return uses.map((lib) => ({ file: shaderFile(lib), source: shaderLibraries[lib] as string }));
}

/** Whether the library build's table lacks the reflection of any of these entries. */
function missesReflection(entries: readonly [string, ShaderEntry][]): boolean {
  return entries.some(([name, e]) => !buildTimeReflection(kernelCode([...libraryParts(e.uses), { file: shaderFile(name), source: e.source }])));
}

/** @internal Owned by the runtime (./runtime.ts). */
export class ShaderRegistry {
  private readonly added = new Map<string, ShaderEntry>();
  private readonly compiled = new Map<string, Kernel>();
  /** Every kernel the runtime compiled or ran, for the stats (`loadKernel` ones included). */
  private readonly seen = new Set<Kernel>();

  private constructor(
    private readonly device: GPUDevice,
    /** Where a compile error found after a synchronous compile goes (thrown at the next check). */
    private readonly report: (error: EngineError) => void,
    private reflect: Reflector | null,
  ) {}

  /** A registry for `device`, with the WGSL parser loaded if the build-time table lacks a registry kernel. */
  static async create(device: GPUDevice, report: (error: EngineError) => void): Promise<ShaderRegistry> {
    const reflect = missesReflection(Object.entries(registryEntries)) ? (await import('./reflect')).reflectKernel : null;
    return new ShaderRegistry(device, report, reflect);
  }

  /** See `Runtime.registerShaders`. */
  async register(table: Readonly<Record<string, ShaderEntry>>): Promise<void> {
    if (typeof table !== 'object' || table === null)
      throw new ArgumentError(`registerShaders: expected a table of shaders by name, got ${describeValue(table)}`);
    const fresh: [string, ShaderEntry][] = [];
    for (const [name, entry] of Object.entries(table)) {
      if (typeof entry?.source !== 'string')
        throw new ArgumentError(`registerShaders: "${name}" has no WGSL source (a { source, uses? } entry), got ${describeValue(entry)}`);
      for (const lib of entry.uses ?? []) {
        if (!(lib in shaderLibraries))
          throw new ArgumentError(`registerShaders: "${name}" uses library ${describeValue(lib)} (libraries: ${Object.keys(shaderLibraries).join(', ')})`);
      }
      const have = this.entry(name);
      if (have) {
        if (have.source === entry.source && (have.uses ?? []).join() === (entry.uses ?? []).join()) continue;
        throw new ArgumentError(`registerShaders: "${name}" is already a shader of this runtime, with other WGSL`);
      }
      fresh.push([name, entry]);
    }
    if (!this.reflect && missesReflection(fresh)) this.reflect = (await import('./reflect')).reflectKernel;
    for (const [name, entry] of fresh) this.added.set(name, { source: entry.source, uses: entry.uses ? [...entry.uses] : undefined });
  }

  /** The entry of a shader name, registry first, or undefined. */
  private entry(name: string): ShaderEntry | undefined {
    return Object.hasOwn(registryEntries, name) ? registryEntries[name] : this.added.get(name);
  }

  /** The error for a name this runtime does not know. */
  private unknown(name: string): KernelBindingError {
    const onDemand = ['matmul_naive', 'fma_peak', 'bandwidth'].includes(name)
      ? ' (a bench-only kernel the library does not ship: register it first, e.g. useBenchKernels(rt) of bench/kernels.ts)'
      : '';
    return new KernelBindingError(`no shader named ${describeValue(name)} in shaders/index.ts or registered on this runtime${onDemand}`);
  }

  /** Whether the shader `name` has been compiled. */
  isCompiled(name: string): boolean {
    return this.compiled.has(name);
  }

  /**
   * The kernel of `name`, compiled now if it was not: reflected at once, its module's compile
   * error (if the device finds one the parser did not) reported after the fact.
   */
  kernel(name: string): Kernel {
    const have = this.compiled.get(name);
    if (have) return have;
    const entry = this.entry(name);
    if (!entry) throw this.unknown(name);
    const k = Kernel.compile(this.device, shaderFile(name), entry.source, libraryParts(entry.uses), this.reflect);
    void k.compiled.then((e) => e && this.report(e));
    this.keep(name, k);
    return k;
  }

  /** The kernel of `name`, compiled if it was not; rejects with its {@link ShaderCompileError}, if any. */
  async kernelChecked(name: string): Promise<Kernel> {
    const have = this.compiled.get(name);
    if (have) return have;
    const entry = this.entry(name);
    if (!entry) throw this.unknown(name);
    const k = Kernel.compile(this.device, shaderFile(name), entry.source, libraryParts(entry.uses), this.reflect);
    const error = await k.compiled;
    if (error) throw error;
    // A dispatch may have compiled it meanwhile: keep the first.
    const first = this.compiled.get(name);
    if (first) return first;
    this.keep(name, k);
    return k;
  }

  private keep(name: string, k: Kernel): void {
    this.compiled.set(name, k);
    this.seen.add(k);
  }

  /** Counts a kernel the runtime ran that it did not compile itself (`loadKernel`). */
  noteKernel(k: Kernel): void {
    this.seen.add(k);
  }

  /** Modules and pipelines compiled so far. */
  stats(): PipelineStats {
    const out: PipelineStats = { shaders: [...this.compiled.keys()], modules: this.seen.size, pipelines: 0, sync: 0, async: 0, pending: 0 };
    for (const k of this.seen) {
      const s = k.pipelineStats();
      out.sync += s.sync;
      out.async += s.async;
      out.pending += s.pending;
    }
    out.pipelines = out.sync + out.async;
    return out;
  }
}
