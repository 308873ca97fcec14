/**
 * Loads the peer libraries so that they run on the engine's adapter: both find WebGPU through
 * `navigator.gpu`, which in Node is given Dawn's GPU object from the engine (`getGpu()`).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { getGpu } from '../../engine/index';

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

async function provideNavigator(): Promise<void> {
  const gpu = await getGpu();
  const g = globalThis as { navigator?: { gpu?: GPU; userAgent?: string } };
  if (!g.navigator?.gpu) g.navigator = { ...(g.navigator ?? {}), gpu, userAgent: g.navigator?.userAgent ?? 'node' };
}

/** tfjs-core with its gradients and the webgpu backend active. */
export async function loadTfjs(): Promise<typeof TF> {
  await provideNavigator();
  let tf: typeof TF;
  if (isNode()) {
    // A computed specifier keeps Vite from pulling the Node-only bundler into the browser page.
    const nodeLoader = './tfjs-node';
    tf = await ((await import(/* @vite-ignore */ nodeLoader)) as typeof import('./tfjs-node')).importTfjsForNode();
  } else {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend did not start');
  return tf;
}

/** jax-js with webgpu as the default device. */
export async function loadJax(): Promise<typeof Jax> {
  await provideNavigator();
  const jax = await import('@jax-js/jax');
  const devices = await jax.init('webgpu');
  if (!devices.includes('webgpu')) throw new Error('jax-js: the webgpu device did not start');
  jax.defaultDevice('webgpu');
  return jax;
}
