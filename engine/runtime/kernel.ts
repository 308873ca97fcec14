/**
 * The kernel loader: a WGSL file, compiled once and reflected with `wgsl_reflect`. Bind group
 * layouts and uniform struct layouts come from the shader itself; call sites name bindings and
 * uniform members, never byte offsets. Pipelines are cached by (entry point, override constants).
 */
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
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

/** One WGSL file: its path (for errors) and its text. */
export interface ShaderPart {
  file: string;
  source: string;
}

/** Override constants of a pipeline (compile-time shape knobs: tile sizes, workgroup size). */
export type Overrides = Record<string, number>;

function scalarOf(typeName: string, formatName: string | undefined, where: string): UniformMember['scalar'] {
  const s = formatName ?? typeName;
  if (s === 'f32' || s === 'u32' || s === 'i32') return s;
  throw new KernelBindingError(`${where}: uniform member type ${typeName}<${formatName ?? ''}> is not supported (f32, u32, i32 and their vectors are)`);
}

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
    reflect: WgslReflect,
  ) {
    this.overrideNames = new Set(reflect.overrides.map((o) => o.name));
    for (const fn of reflect.entry.compute) this.entries.set(fn.name, this.buildEntry(fn, reflect));
  }

  /**
   * Compiles and reflects a WGSL source. `libraries` (WGSL files of shared functions, such as the
   * Philox generator) are prepended in order; WGSL has no include, so this is the one place where
   * sources are joined, and error lines are mapped back to the file they came from.
   * Throws {@link ShaderCompileError} with the file and line of each error.
   */
  static async load(device: GPUDevice, file: string, source: string, libraries: readonly ShaderPart[] = []): Promise<Kernel> {
    const parts: ShaderPart[] = [...libraries, { file, source }];
    const code = parts.map((p) => (p.source.endsWith('\n') ? p.source : `${p.source}\n`)).join('');
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
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(code);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const line = /line (\d+)/i.exec(msg);
      throw fail([{ type: 'error', message: `reflection: ${msg}`, line: line ? Number(line[1]) : 0, column: 0 }]);
    }
    return new Kernel(device, file, code, module, reflect);
  }

  private buildEntry(fn: WgslReflect['entry']['compute'][number], reflect: WgslReflect): EntryPoint {
    const where = `${this.file} @compute ${fn.name}`;
    const bindings: BindingInfo[] = [];
    let uniform: UniformLayout | undefined;
    for (const res of fn.resources) {
      if (res.group !== 0) throw new KernelBindingError(`${where}: binding ${res.name} is in group ${res.group}; the engine uses group 0 only`);
      // resourceType 0 = uniform buffer, 1 = storage buffer (wgsl_reflect's ResourceType enum).
      if (res.resourceType === 0) {
        bindings.push({ name: res.name, binding: res.binding, kind: 'uniform' });
        const struct = reflect.uniforms.find((u) => u.name === res.name);
        const type = struct?.type as unknown as {
          name: string;
          size: number;
          members?: { name: string; offset: number; size: number; type: { name: string; format?: { name: string } } }[];
        };
        if (!type?.members) throw new KernelBindingError(`${where}: uniform ${res.name} must be a struct`);
        if (uniform) throw new KernelBindingError(`${where}: more than one uniform struct (${uniform.name}, ${res.name}); use one per entry point`);
        uniform = {
          binding: res.binding,
          name: res.name,
          structName: type.name,
          size: type.size,
          members: type.members.map((m) => {
            const scalar = scalarOf(m.type.name, m.type.format?.name, `${where} ${type.name}.${m.name}`);
            return { name: m.name, offset: m.offset, size: m.size, scalar, components: m.size / 4 };
          }),
        };
      } else if (res.resourceType === 1) {
        bindings.push({ name: res.name, binding: res.binding, kind: res.access === 'read' ? 'read-only-storage' : 'storage' });
      } else {
        throw new KernelBindingError(`${where}: binding ${res.name} is not a buffer; compute kernels here use buffers only`);
      }
    }
    bindings.sort((a, b) => a.binding - b.binding);
    const layout = this.device.createBindGroupLayout({
      label: `${this.file}:${fn.name}`,
      entries: bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
    });
    const pipelineLayout = this.device.createPipelineLayout({ label: `${this.file}:${fn.name}`, bindGroupLayouts: [layout] });
    return { name: fn.name, bindings, uniform, layout, pipelineLayout };
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
