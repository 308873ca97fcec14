/**
 * The kernel loader: a WGSL file, compiled once and reflected. Bind group layouts and uniform struct
 * layouts come from the shader itself; call sites name bindings and uniform members, never byte
 * offsets. Pipelines are cached by (entry point, override constants).
 *
 * The registry's kernels are reflected when the library is built (shaders/reflections.ts holds the
 * result, keyed by a hash of the WGSL text), so pages do not ship the WGSL parser. Any other text —
 * the sources run by Vite and Vitest, a shader edited since, a custom kernel — is reflected here
 * with `wgsl_reflect` (./reflect.ts), imported on first need.
 */
import { reflections } from '../../shaders/reflections';
import { KernelBindingError, PipelineError, ShaderCompileError, type ShaderMessage } from './errors';

/** Values of one uniform struct, by member name. Scalars as numbers, vectors as arrays. */
export type UniformValues = Record<string, number | readonly number[]>;

/** One member of a uniform struct, as the shader lays it out. */
export interface UniformMember {
  name: string;
  offset: number;
  size: number;
  /** Scalar type of the member or of its components. */
  scalar: 'f32' | 'u32' | 'i32';
  /** 1 for scalars, N for vecN. */
  components: number;
}

/** A uniform struct bound to an entry point. */
export interface UniformLayout {
  binding: number;
  name: string;
  structName: string;
  size: number;
  members: UniformMember[];
}

/** One resource binding of an entry point. */
export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
}

/** What the runtime needs to dispatch one entry point. */
export interface EntryPoint {
  name: string;
  bindings: BindingInfo[];
  uniform?: UniformLayout;
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
}

/** An entry point as reflected from the WGSL text: plain data, computed at build time for the registry. */
export interface ReflectedEntry {
  name: string;
  bindings: BindingInfo[];
  uniform?: UniformLayout;
}

/** What reflection gives of one WGSL module: its compute entry points and its `override` constants. */
export interface KernelReflection {
  entries: ReflectedEntry[];
  overrides: string[];
}

/** One WGSL file: its path (for errors) and its text. */
export interface ShaderPart {
  file: string;
  source: string;
}

/** Override constants of a pipeline (compile-time shape knobs: tile sizes, workgroup size). */
export type Overrides = Record<string, number>;

/** Converts Dawn's compilation messages to ours. */
function toMessages(info: GPUCompilationInfo): ShaderMessage[] {
  return info.messages.map((m) => ({ type: m.type, message: m.message, line: m.lineNum, column: m.linePos }));
}

/** A pipeline's key within its kernel: the entry point and the override constants, sorted by name. */
function pipelineKeyOf(entry: string, overrides: Overrides): string {
  const keys = Object.keys(overrides).sort();
  return `${entry}|${keys.map((k) => `${k}=${overrides[k]}`).join(',')}`;
}

/** Reflects a WGSL module (./reflect.ts's `reflectKernel`, or a stand-in in tests). */
export type Reflector = (file: string, code: string) => KernelReflection;

/** A shader module created on the device, with what is needed to report its errors by file and line. */
interface ModuleUnit {
  code: string;
  module: GPUShaderModule;
  /** Resolves to the module's compile error (file and line mapped back to the part), or null. */
  check: Promise<ShaderCompileError | null>;
  /** A compile error from messages about the joined code, located in the part they fall in. */
  fail(messages: ShaderMessage[]): ShaderCompileError;
}

/**
 * Creates the module of `file` with `libraries` prepended. WGSL has no include, so this is the one
 * place where sources are joined, and error lines are mapped back to the file they came from. The
 * module is created at once (synchronously); its compilation messages arrive in `check`.
 */
function createModule(device: GPUDevice, file: string, source: string, libraries: readonly ShaderPart[]): ModuleUnit {
  const parts: ShaderPart[] = [...libraries, { file, source }];
  const code = kernelCode(parts);
  const locate = (line: number): { file: string; line: number; source: string } => {
    let first = 1;
    for (const p of parts) {
      const count = p.source.split('\n').length - (p.source.endsWith('\n') ? 1 : 0);
      if (line < first + count) return { file: p.file, line: line - first + 1, source: p.source };
      first += count;
    }
    return { file, line, source };
  };
  const fail = (messages: ShaderMessage[]): ShaderCompileError => {
    const firstError = messages.find((m) => m.type === 'error') ?? messages[0];
    const at = locate(firstError?.line ?? 0);
    const mapped = messages.map((m) => ({ ...m, line: m.line > 0 ? locate(m.line).line : m.line }));
    return new ShaderCompileError(at.file, mapped, at.source);
  };
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: file });
  const scope = device.popErrorScope();
  const check = Promise.all([module.getCompilationInfo(), scope]).then(([info, scopeError]) => {
    const messages = toMessages(info);
    if (messages.some((m) => m.type === 'error')) return fail(messages);
    if (scopeError) return new ShaderCompileError(file, [{ type: 'error', message: scopeError.message, line: 0, column: 0 }]);
    return null;
  });
  return { code, module, check, fail };
}

/** The reflection of a module by `reflect`; what the parser refuses becomes a compile error with a line. */
function reflectUnit(file: string, unit: ModuleUnit, reflect: Reflector): KernelReflection {
  try {
    return reflect(file, unit.code);
  } catch (e) {
    if (e instanceof KernelBindingError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    const line = /line (\d+)/i.exec(msg);
    throw unit.fail([{ type: 'error', message: `reflection: ${msg}`, line: line ? Number(line[1]) : 0, column: 0 }]);
  }
}

/** The module's reflection from the library build's table (shaders/reflections.ts), if it has one. */
export function buildTimeReflection(code: string): KernelReflection | undefined {
  return reflections.get(reflectionKey(code));
}

/** Pipelines of a kernel, by how they were created. */
export interface KernelPipelineStats {
  /** Created by `createComputePipeline` at a dispatch that found none (the main thread waited). */
  sync: number;
  /** Created by `createComputePipelineAsync` ({@link Kernel.pipelineAsync}, `Runtime.prepare`). */
  async: number;
  /** Asynchronous creations not finished yet. */
  pending: number;
}

/** A compiled, reflected WGSL file. */
export class Kernel {
  private readonly entries = new Map<string, EntryPoint>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();
  private readonly overrideNames: Set<string>;
  private created = { sync: 0, async: 0 };

  private constructor(
    readonly device: GPUDevice,
    /** Path of the WGSL file, for errors and DEBUG output (e.g. `shaders/elementwise.wgsl`). */
    readonly file: string,
    readonly source: string,
    readonly module: GPUShaderModule,
    reflection: KernelReflection,
    /**
     * Resolves to the module's compile error (with file and line), or null once it compiled. Always
     * null for {@link Kernel.load}, which throws instead.
     */
    readonly compiled: Promise<ShaderCompileError | null>,
  ) {
    this.overrideNames = new Set(reflection.overrides);
    for (const e of reflection.entries) this.entries.set(e.name, this.buildEntry(e));
  }

  /**
   * Compiles and reflects a WGSL source. `libraries` (WGSL files of shared functions, such as the
   * Philox generator) are prepended in order, and error lines are mapped back to the file they came
   * from. Throws {@link ShaderCompileError} with the file and line of each error.
   */
  static async load(device: GPUDevice, file: string, source: string, libraries: readonly ShaderPart[] = []): Promise<Kernel> {
    const unit = createModule(device, file, source, libraries);
    const error = await unit.check;
    if (error) throw error;
    const reflection = buildTimeReflection(unit.code) ?? reflectUnit(file, unit, (await import('./reflect')).reflectKernel);
    return new Kernel(device, file, unit.code, unit.module, reflection, Promise.resolve(null));
  }

  /**
   * @internal Compiles and reflects a WGSL source without waiting (the runtime's lazy path): the
   * module is created now, its reflection comes from the build-time table or from `reflect`, and
   * its compile error, if any, arrives later in {@link compiled}. A source the parser refuses
   * throws {@link ShaderCompileError} at once.
   */
  static compile(device: GPUDevice, file: string, source: string, libraries: readonly ShaderPart[], reflect: Reflector | null): Kernel {
    const unit = createModule(device, file, source, libraries);
    let reflection = buildTimeReflection(unit.code);
    if (!reflection) {
      if (!reflect) throw new KernelBindingError(`${file}: no build-time reflection of this text, and the WGSL parser is not loaded`);
      reflection = reflectUnit(file, unit, reflect);
    }
    return new Kernel(device, file, unit.code, unit.module, reflection, unit.check);
  }

  private buildEntry(e: ReflectedEntry): EntryPoint {
    const { name, bindings, uniform } = e;
    const layout = this.device.createBindGroupLayout({
      label: `${this.file}:${name}`,
      // The uniform binding takes its offset at setBindGroup, so one cached bind group (./bindgroups.ts)
      // serves every dispatch of the same buffers whatever slot of the uniform arena it uses.
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind, hasDynamicOffset: b.kind === 'uniform' },
      })),
    });
    const pipelineLayout = this.device.createPipelineLayout({ label: `${this.file}:${name}`, bindGroupLayouts: [layout] });
    return { name, bindings, uniform, layout, pipelineLayout };
  }

  /** Names of the compute entry points in the file. */
  get entryNames(): string[] {
    return [...this.entries.keys()];
  }

  /** The reflected entry point, or a {@link KernelBindingError} naming the file's entry points. */
  entry(name: string): EntryPoint {
    const e = this.entries.get(name);
    if (!e) throw new KernelBindingError(`${this.file} has no @compute entry point "${name}" (it has: ${this.entryNames.join(', ')})`);
    return e;
  }

  /** The cache key of a pipeline, after checking the entry point and the override names. */
  private pipelineKey(entry: string, overrides: Overrides): string {
    const key = pipelineKeyOf(entry, overrides);
    if (this.pipelines.has(key)) return key;
    for (const k of Object.keys(overrides)) {
      if (!this.overrideNames.has(k)) {
        throw new KernelBindingError(`${this.file}: no override constant "${k}" (it declares: ${[...this.overrideNames].join(', ') || 'none'})`);
      }
    }
    this.entry(entry);
    return key;
  }

  private descriptor(entry: string, key: string, overrides: Overrides): GPUComputePipelineDescriptor {
    return {
      label: `${this.file}:${key}`,
      layout: this.entry(entry).pipelineLayout,
      compute: { module: this.module, entryPoint: entry, constants: overrides },
    };
  }

  /**
   * The pipeline of an entry point with these override constants, created once and cached. One
   * not created yet is created now, synchronously (the caller waits for the driver's compile);
   * {@link pipelineAsync} creates it ahead without blocking. With `report`, a creation the device
   * refuses is given to it as a {@link PipelineError} naming the file, entry point and constants
   * (without, it reaches the device's uncaptured errors).
   */
  pipeline(entry: string, overrides: Overrides = {}, report?: (error: PipelineError) => void): GPUComputePipeline {
    const key = this.pipelineKey(entry, overrides);
    let p = this.pipelines.get(key);
    if (p) return p;
    if (report) this.device.pushErrorScope('validation');
    p = this.device.createComputePipeline(this.descriptor(entry, key, overrides));
    if (report) {
      void this.device.popErrorScope().then((e) => {
        if (e) report(new PipelineError('validation', this.file, entry, overrides, e.message));
      });
    }
    this.pipelines.set(key, p);
    this.created.sync++;
    return p;
  }

  /**
   * The pipeline of an entry point with these override constants, created with
   * `createComputePipelineAsync` if it does not exist yet (the driver compiles it while the caller
   * goes on). Rejects with a {@link PipelineError} naming the file, entry point and constants if the
   * device refuses it. Concurrent calls for one pipeline share one creation; a {@link pipeline}
   * call meanwhile creates its own at once, and that one is kept.
   */
  pipelineAsync(entry: string, overrides: Overrides = {}): Promise<GPUComputePipeline> {
    let key: string;
    try {
      key = this.pipelineKey(entry, overrides);
    } catch (e) {
      return Promise.reject(e);
    }
    const have = this.pipelines.get(key);
    if (have) return Promise.resolve(have);
    let p = this.pending.get(key);
    if (p) return p;
    p = this.device.createComputePipelineAsync(this.descriptor(entry, key, overrides)).then(
      (made) => {
        this.pending.delete(key);
        const kept = this.pipelines.get(key);
        if (kept) return kept;
        this.pipelines.set(key, made);
        this.created.async++;
        return made;
      },
      (e: unknown) => {
        this.pending.delete(key);
        const reason = (e as { reason?: string }).reason;
        throw new PipelineError(reason === 'internal' ? 'internal' : 'validation', this.file, entry, overrides, e instanceof Error ? e.message : String(e));
      },
    );
    this.pending.set(key, p);
    return p;
  }

  /** Whether the pipeline of this entry point and constants exists (a dispatch of it creates nothing). */
  hasPipeline(entry: string, overrides: Overrides = {}): boolean {
    return this.pipelines.has(pipelineKeyOf(entry, overrides));
  }

  /** Number of pipelines created so far (a training step should create none). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Pipelines created so far, synchronously and asynchronously, and creations in flight. */
  pipelineStats(): KernelPipelineStats {
    return { ...this.created, pending: this.pending.size };
  }
}

/**
 * Writes uniform values into `view` at `base`, by member name, at the offsets the shader declares.
 * Every member must be given exactly once: a missing or unknown name is a {@link KernelBindingError}.
 */
export function packUniforms(where: string, layout: UniformLayout, values: UniformValues, view: DataView, base: number): void {
  const given = new Set(Object.keys(values));
  for (const m of layout.members) {
    const v = values[m.name];
    if (v === undefined) {
      throw new KernelBindingError(`${where}: uniform ${layout.structName}.${m.name} was not given (members: ${layout.members.map((x) => x.name).join(', ')})`);
    }
    given.delete(m.name);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== m.components) {
      throw new KernelBindingError(`${where}: uniform ${layout.structName}.${m.name} has ${m.components} component(s), got ${arr.length}`);
    }
    for (let c = 0; c < m.components; c++) {
      const off = base + m.offset + 4 * c;
      const x = arr[c];
      if (m.scalar === 'f32') view.setFloat32(off, x, true);
      else if (m.scalar === 'u32') {
        if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new KernelBindingError(`${where}: uniform ${layout.structName}.${m.name} is u32, got ${x}`);
        view.setUint32(off, x, true);
      } else {
        if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff)
          throw new KernelBindingError(`${where}: uniform ${layout.structName}.${m.name} is i32, got ${x}`);
        view.setInt32(off, x, true);
      }
    }
  }
  if (given.size > 0) {
    throw new KernelBindingError(
      `${where}: ${layout.structName} has no member(s) ${[...given].join(', ')} (members: ${layout.members.map((x) => x.name).join(', ')})`,
    );
  }
}

/** The WGSL module compiled from its parts: libraries first, each part ending in a newline. */
export function kernelCode(parts: readonly ShaderPart[]): string {
  return parts.map((p) => (p.source.endsWith('\n') ? p.source : `${p.source}\n`)).join('');
}

/**
 * The key of a WGSL module's build-time reflection: its length and two 32-bit FNV-1a hashes of its
 * text. Text that differs from what was reflected at build time (a shader edited since) misses,
 * and is reflected at load time instead of being given a stale layout.
 */
export function reflectionKey(code: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ code.length;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${code.length}:${(a >>> 0).toString(16)}:${(b >>> 0).toString(16)}`;
}
