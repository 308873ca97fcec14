/**
 * Reflection of a WGSL kernel with `wgsl_reflect`: its compute entry points, their bindings and
 * access modes, the layout of their uniform struct, and the file's `override` constants, as plain
 * data. The library build runs this once per registry kernel (vite.lib.config.ts) so that pages do
 * not ship the parser; ./kernel.ts imports this module on demand only for WGSL it has no
 * reflection for (a kernel edited since the build, or one loaded with `Runtime.loadKernel`).
 */
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { KernelBindingError } from './errors';
import type { BindingInfo, KernelReflection, ReflectedEntry, UniformLayout, UniformMember } from './kernel';

function scalarOf(typeName: string, formatName: string | undefined, where: string): UniformMember['scalar'] {
  const s = formatName ?? typeName;
  if (s === 'f32' || s === 'u32' || s === 'i32') return s;
  throw new KernelBindingError(`${where}: uniform member type ${typeName}<${formatName ?? ''}> is not supported (f32, u32, i32 and their vectors are)`);
}

/** The shape of a uniform struct's type as wgsl_reflect gives it. */
interface ReflectedStruct {
  name: string;
  size: number;
  members?: { name: string; offset: number; size: number; type: { name: string; format?: { name: string } } }[];
}

function reflectEntry(file: string, fn: WgslReflect['entry']['compute'][number], reflect: WgslReflect): ReflectedEntry {
  const where = `${file} @compute ${fn.name}`;
  const bindings: BindingInfo[] = [];
  let uniform: UniformLayout | undefined;
  for (const res of fn.resources) {
    if (res.group !== 0) throw new KernelBindingError(`${where}: binding ${res.name} is in group ${res.group}; the engine uses group 0 only`);
    // resourceType 0 = uniform buffer, 1 = storage buffer (wgsl_reflect's ResourceType enum).
    if (res.resourceType === 0) {
      bindings.push({ name: res.name, binding: res.binding, kind: 'uniform' });
      const type = reflect.uniforms.find((u) => u.name === res.name)?.type as unknown as ReflectedStruct | undefined;
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
  return { name: fn.name, bindings, ...(uniform ? { uniform } : {}) };
}

/**
 * Reflects a whole WGSL module (libraries already prepended). Throws the parser's own error for
 * WGSL it cannot read, and {@link KernelBindingError} for bindings the engine does not support.
 */
export function reflectKernel(file: string, code: string): KernelReflection {
  const reflect = new WgslReflect(code);
  return {
    overrides: reflect.overrides.map((o) => o.name),
    entries: reflect.entry.compute.map((fn) => reflectEntry(file, fn, reflect)),
  };
}
