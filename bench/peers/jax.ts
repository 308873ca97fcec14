/**
 * jax-js as a benchmark peer, on the engine's adapter, with its WebGPU backend as the default
 * device. Loading is lazy and happens once per process (bench/suites/mlp-load.ts gives jax-js
 * `navigator.gpu` from the engine's `getGpu()` first). Nothing Node-only is imported at top level.
 */
import type * as Jax from '@jax-js/jax';

let loading: Promise<typeof Jax> | undefined;

/** The jax-js namespace, initialized with `webgpu` as the default device. */
export function jaxPeer(): Promise<typeof Jax> {
  loading ??= import('../suites/mlp-load').then((m) => m.loadJax());
  return loading;
}

/** A jitted jax-js matmul; `dispose()` frees its compiled program. */
export interface JaxMatmul {
  (a: Jax.Array, b: Jax.Array): Jax.Array;
  dispose(): void;
}

/**
 * `op(A)·op(B)` as a jitted jax-js function (transposes inside the jitted function, where jax-js
 * folds them into the kernel's indexing). Arguments are consumed, as jax-js functions consume
 * theirs: pass `x.ref` to keep `x`.
 */
export function jaxMatmul(jax: typeof Jax, transA: boolean, transB: boolean): JaxMatmul {
  const np = jax.numpy;
  return jax.jit((a: Jax.Array, b: Jax.Array) => np.matmul(transA ? a.transpose() : a, transB ? b.transpose() : b));
}
