/**
 * Loads the peer libraries on the engine's adapter (the GPU object of bench/peers when it lands).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { getGpu } from '../../engine/index';

async function provideNavigator(): Promise<void> {
  const gpu = await getGpu();
  const g = globalThis as { navigator?: { gpu?: GPU; userAgent?: string } };
  if (!g.navigator?.gpu) g.navigator = { ...(g.navigator ?? {}), gpu, userAgent: g.navigator?.userAgent ?? 'node' };
}

/** tfjs-core with its gradients and the webgpu backend active. */
export async function loadTfjs(): Promise<typeof TF> {
  await provideNavigator();
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgpu');
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
