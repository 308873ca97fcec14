/**
 * What a dispatch is made of, checked before anything is recorded: its spec (kernel, entry point,
 * uniforms, bindings, grid), the grid's bounds, and the bind group entries that the spec's
 * bindings and uniforms resolve to. The runtime (./runtime.ts) records the result.
 */
import type { BufferEntry } from './bindgroups';
import { ArgumentError, describeValue, EngineError, KernelBindingError } from './errors';
import { packUniforms, type EntryPoint, type Kernel, type Overrides, type UniformValues } from './kernel';
import { Tensor } from './tensor';
import type { UniformArena, UniformSlot } from './uniforms';
import type { OnDemandShaderName, ShaderName } from '../../shaders/index';

/** Something a kernel binding accepts: a tensor (bound to exactly its bytes) or a raw buffer range. */
export type BindingResource = Tensor | GPUBuffer | GPUBufferBinding;

/** One kernel launch. */
export interface DispatchSpec {
  /**
   * A shader of the registry (shaders/index.ts), one registered on the runtime
   * (`Runtime.registerShaders`, e.g. the bench's ceilings), or a kernel loaded with `Runtime.loadKernel`.
   */
  shader: ShaderName | OnDemandShaderName | Kernel;
  entry: string;
  overrides?: Overrides;
  /** Values of the entry point's uniform struct, by member name. */
  uniforms?: UniformValues;
  /** Buffers by the WGSL variable name. */
  bindings: Record<string, BindingResource>;
  workgroups: readonly [number, number?, number?];
}

/**
 * The grid of a dispatch, checked before anything is recorded or allocated: one to three integers
 * (y and z default to 1), each in [0, `max`]; 0 records nothing. NaN, fractions, negative or
 * infinite counts are refused, never rounded.
 */
export function checkGrid(where: string, workgroups: unknown, max: number): [number, number, number] {
  if (!Array.isArray(workgroups) || workgroups.length < 1 || workgroups.length > 3)
    throw new ArgumentError(`${where}: workgroups must be [x], [x, y] or [x, y, z], got ${describeValue(workgroups)}`);
  const grid: [number, number, number] = [1, 1, 1];
  for (let i = 0; i < 3; i++) {
    const v: unknown = workgroups[i];
    if (v === undefined && i > 0) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new ArgumentError(`${where}: the workgroup count ${'xyz'[i]} is ${describeValue(v)} (an integer ≥ 0 expected)`);
    grid[i] = v;
  }
  if (grid[0] > max || grid[1] > max || grid[2] > max) throw new ArgumentError(`${where}: grid [${grid.join(', ')}] exceeds ${max} workgroups per dimension`);
  return grid;
}

/** The bind group of one dispatch: its entries, the uniform slot's dynamic offset, and the slot. */
export interface ResolvedBindings {
  entries: BufferEntry[];
  dynamicOffsets?: number[];
  /** Where the packed uniforms are, if the entry point has a uniform struct. */
  uniform?: { slot: UniformSlot; size: number; binding: number };
}

/**
 * The bind group entries of `spec` for `entry`: every binding the entry point uses must be given,
 * none it does not use may be, and uniforms only if it has a uniform struct (packed into a slot
 * of `uniforms`).
 */
export function resolveBindings(where: string, entry: EntryPoint, spec: DispatchSpec, uniforms: UniformArena): ResolvedBindings {
  const entries: BufferEntry[] = [];
  const named = new Set(Object.keys(spec.bindings));
  const out: ResolvedBindings = { entries };
  const bindingError = (problem: string): KernelBindingError => {
    const uses = entry.bindings.filter((x) => x.kind !== 'uniform').map((x) => x.name);
    return new KernelBindingError(`${where}: ${problem} (the entry point uses: ${uses.join(', ')})`);
  };
  for (const b of entry.bindings) {
    if (b.kind === 'uniform') {
      const layout = entry.uniform!;
      const slot = uniforms.alloc(layout.size);
      packUniforms(where, layout, spec.uniforms ?? {}, slot.view, slot.base);
      // Bound at offset 0 with the slot's offset given at setBindGroup (the layout's uniform entry
      // is dynamic), so the bind group does not depend on where this dispatch's uniforms landed.
      entries.push({ binding: b.binding, resource: { buffer: slot.buffer, offset: 0, size: layout.size } });
      out.dynamicOffsets = [slot.offset];
      out.uniform = { slot, size: layout.size, binding: b.binding };
      continue;
    }
    const r = spec.bindings[b.name];
    if (r === undefined) throw bindingError(`binding "${b.name}" was not given`);
    named.delete(b.name);
    entries.push({ binding: b.binding, resource: toBinding(r, `${where} binding ${b.name}`) });
  }
  if (named.size > 0) throw bindingError(`the entry point does not use binding(s) ${[...named].join(', ')}`);
  if (!entry.uniform && spec.uniforms && Object.keys(spec.uniforms).length > 0) {
    throw new KernelBindingError(`${where}: uniforms were given but the entry point uses no uniform struct`);
  }
  return out;
}

/** A binding resource as a buffer range; a tensor must be alive. */
export function toBinding(r: BindingResource, where: string): GPUBufferBinding {
  if (r instanceof Tensor) {
    r.assertAlive(where);
    return r.binding();
  }
  if (isBuffer(r)) return { buffer: r, offset: 0, size: r.size };
  if (!r || !('buffer' in r)) throw new EngineError('BAD_BINDING', `${where}: not a tensor or buffer`);
  return r;
}

function isBuffer(r: unknown): r is GPUBuffer {
  return typeof r === 'object' && r !== null && 'mapAsync' in r && 'size' in r;
}
