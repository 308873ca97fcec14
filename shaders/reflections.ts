/**
 * The registry's kernels reflected at build time, keyed by `reflectionKey` of the WGSL module
 * (engine/runtime/kernel.ts). Empty in the sources: Vite, Vitest and the CLIs reflect each kernel
 * as it loads. The library build (vite.lib.config.ts) fills `packed` in, so that pages using the
 * package do not ship the WGSL parser.
 *
 * The table is packed: many entry points of a file share one uniform struct and one binding list
 * (the matmul variants), so each distinct one is stored once and entries refer to it by index.
 */
import type { BindingInfo, KernelReflection, UniformLayout } from '../engine/runtime/kernel';

/** The packed table: distinct uniform layouts and binding lists, and per kernel its entries by index. */
export interface PackedReflections {
  uniforms: UniformLayout[];
  bindings: BindingInfo[][];
  /** [reflection key, override names, entries as [name, binding-list index, uniform index or -1]]. */
  kernels: [string, string[], [string, number, number][]][];
}

/** Packs reflections (the library build's side of {@link unpackReflections}). */
export function packReflections(table: ReadonlyMap<string, KernelReflection>): PackedReflections {
  const out: PackedReflections = { uniforms: [], bindings: [], kernels: [] };
  const index = <T>(list: T[], seen: Map<string, number>, value: T): number => {
    const json = JSON.stringify(value);
    let i = seen.get(json);
    if (i === undefined) {
      i = list.push(value) - 1;
      seen.set(json, i);
    }
    return i;
  };
  const uniforms = new Map<string, number>();
  const bindings = new Map<string, number>();
  for (const [key, r] of table) {
    const entries = r.entries.map((e): [string, number, number] => [
      e.name,
      index(out.bindings, bindings, e.bindings),
      e.uniform ? index(out.uniforms, uniforms, e.uniform) : -1,
    ]);
    out.kernels.push([key, r.overrides, entries]);
  }
  return out;
}

/** Unpacks the table of {@link packReflections}. */
export function unpackReflections(packed: PackedReflections): Map<string, KernelReflection> {
  return new Map(
    packed.kernels.map(([key, overrides, entries]) => [
      key,
      {
        overrides,
        entries: entries.map(([name, b, u]) => ({ name, bindings: packed.bindings[b], ...(u >= 0 ? { uniform: packed.uniforms[u] } : {}) })),
      },
    ]),
  );
}

// The library build replaces the next line's value (keep it on one line).
const packed: PackedReflections = { uniforms: [], bindings: [], kernels: [] };

/** Reflection of each registry kernel, by the key of its WGSL text. */
export const reflections: ReadonlyMap<string, KernelReflection> = unpackReflections(packed);
