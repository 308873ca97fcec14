/**
 * The bench's own kernels, which the library does not ship (shaders/index.ts `OnDemandShaderName`):
 * the naive matmul baseline and the adapter's two ceilings, FMA-bound arithmetic and a streaming
 * copy. Whoever dispatches them by name registers them on the runtime first: the bench's suites,
 * the kernel lab, and the pages that measure ceilings.
 */
import type { Runtime } from '../engine/index';
import bandwidth from '../shaders/bandwidth.wgsl?raw';
import fmaPeak from '../shaders/fma_peak.wgsl?raw';
import matmulNaive from '../shaders/matmul_naive.wgsl?raw';
import type { OnDemandShaderName, ShaderEntry } from '../shaders/index';

/** The bench-only kernel files, by registry name (the file is `shaders/<name>.wgsl`). */
export const benchShaders: Record<OnDemandShaderName, ShaderEntry> = {
  matmul_naive: { source: matmulNaive },
  fma_peak: { source: fmaPeak },
  bandwidth: { source: bandwidth },
};

/**
 * Registers the bench-only kernels on `rt` (again is a no-op). Nothing is compiled until a
 * dispatch or `rt.prepare` uses one.
 */
export function useBenchKernels(rt: Runtime): Promise<void> {
  return rt.registerShaders(benchShaders);
}
