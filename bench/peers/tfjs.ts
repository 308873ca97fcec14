/**
 * tfjs-webgpu as a benchmark peer, on the engine's adapter. Loading is lazy and happens once per
 * process: the loader (bench/suites/mlp-load.ts) gives tfjs `navigator.gpu` from the engine's
 * `getGpu()` before importing it, so both run on the same adapter, in Node and in the browser.
 * Nothing Node-only is imported here at top level.
 */
import type * as TF from '@tensorflow/tfjs-core';

let loading: Promise<typeof TF> | undefined;

/**
 * The tfjs namespace with the webgpu backend active. Every caller shares one instance (a second
 * load would bundle tfjs again and open a second device).
 */
export function tfjsPeer(): Promise<typeof TF> {
  loading ??= import('../suites/mlp-load').then((m) => m.loadTfjs());
  return loading;
}

/** The parts of tfjs's WebGPUBackend needed to submit its open batch without reading anything back. */
type WebGpuBackend = TF.KernelBackend & {
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  queue: GPUQueue;
};

/**
 * Waits until every kernel tfjs has recorded so far has run on the GPU: submits tfjs's open
 * command encoder, if any, then waits for the queue. The cheapest honest sync: no readback, so a
 * timed sample costs what its kernels cost plus one submit, as the engine's samples do.
 */
export async function tfjsSync(tf: typeof TF): Promise<void> {
  const backend = tf.backend() as WebGpuBackend;
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.queue.onSubmittedWorkDone();
}
