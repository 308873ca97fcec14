/**
 * The registry of WGSL files. Each file is imported as text (`?raw`): Vite and Vitest do this
 * natively, and Node CLIs get the same through scripts/wgsl-loader.mjs. Adding a shader means
 * adding one line here; the runtime compiles and reflects every entry at start-up.
 */
import elementwise from './elementwise.wgsl?raw';
import reduceSum from './reduce_sum.wgsl?raw';

/** Source text of every shader, by name. */
export const shaderSources = {
  elementwise,
  reduce_sum: reduceSum,
} as const;

/** The name of a registered shader. */
export type ShaderName = keyof typeof shaderSources;

/** The file a shader lives in, relative to the repository root (for errors and DEBUG output). */
export function shaderFile(name: ShaderName | string): string {
  return `shaders/${name}.wgsl`;
}
