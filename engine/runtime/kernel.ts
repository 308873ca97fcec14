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
import { KernelBindingError, ShaderCompileError, type ShaderMessage } from './errors';

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

/** A compiled, reflected WGSL file. */
export class Kernel {
  private readonly entries = new Map<string, EntryPoint>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly overrideNames: Set<string>;

  private constructor(
    readonly device: GPUDevice,
    /** Path of the WGSL file, for errors and DEBUG output (e.g. `shaders/elementwise.wgsl`). */
    readonly file: string,
    readonly source: string,
    readonly module: GPUShaderModule,
    reflection: KernelReflection,
  ) {
    this.overrideNames = new Set(reflection.overrides);
    for (const e of reflection.entries) this.entries.set(e.name, this.buildEntry(e));
  }

  /**
   * Compiles and reflects a WGSL source. `libraries` (WGSL files of shared functions, such as the
   * Philox generator) are prepended in order; WGSL has no include, so this is the one place where
   * sources are joined, and error lines are mapped back to the file they came from.
   * Throws {@link ShaderCompileError} with the file and line of each error.
   */
  static async load(device: GPUDevice, file: string, source: string, libraries: readonly ShaderPart[] = []): Promise<Kernel> {
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
    const info = await module.getCompilationInfo();
    const scopeError = await device.popErrorScope();
    const messages = toMessages(info);
    if (messages.some((m) => m.type === 'error')) throw fail(messages);
    if (scopeError) throw new ShaderCompileError(file, [{ type: 'error', message: scopeError.message, line: 0, column: 0 }]);
    let reflection = reflections.get(reflectionKey(code));
    if (!reflection) {
      try {
        reflection = (await import('./reflect')).reflectKernel(file, code);
      } catch (e) {
        if (e instanceof KernelBindingError) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        const line = /line (\d+)/i.exec(msg);
        throw fail([{ type: 'error', message: `reflection: ${msg}`, line: line ? Number(line[1]) : 0, column: 0 }]);
      }
    }
    return new Kernel(device, file, code, module, reflection);
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

  /** The pipeline of an entry point with these override constants, compiled once and cached. */
  pipeline(entry: string, overrides: Overrides = {}): GPUComputePipeline {
    const keys = Object.keys(overrides).sort();
    const key = `${entry}|${keys.map((k) => `${k}=${overrides[k]}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    for (const k of keys) {
      if (!this.overrideNames.has(k)) {
        throw new KernelBindingError(`${this.file}: no override constant "${k}" (it declares: ${[...this.overrideNames].join(', ') || 'none'})`);
      }
    }
    const e = this.entry(entry);
    p = this.device.createComputePipeline({
      label: `${this.file}:${key}`,
      layout: e.pipelineLayout,
      compute: { module: this.module, entryPoint: entry, constants: overrides },
    });
    this.pipelines.set(key, p);
    return p;
  }

  /** Number of pipelines compiled so far (a training step should compile none). */
  get pipelineCount(): number {
    return this.pipelines.size;
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
