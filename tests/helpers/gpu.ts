/**
 * Shared set-up of GPU tests. A test file gets one runtime on the adapter its Vitest project names
 * (WEBGPU_ADAPTER: lavapipe or swiftshader). There is no skip path: if no adapter can be had, the
 * runtime's creation throws and every test of the file fails, locally and in CI (CI=true).
 */
import { afterAll, beforeAll } from 'vitest';
import { Runtime } from '../../engine/index';

/** Registers beforeAll/afterAll hooks and returns a getter for the file's runtime. */
export function useRuntime(): () => Runtime {
  let rt: Runtime | undefined;
  beforeAll(async () => {
    rt = await Runtime.create();
    const want = process.env.WEBGPU_ADAPTER;
    const text = `${rt.info.vendor} ${rt.info.architecture} ${rt.info.description}`.toLowerCase();
    // Make sure the project really runs on the adapter it claims to test.
    if (want === 'swiftshader' && !text.includes('swiftshader')) throw new Error(`expected SwiftShader, got ${rt.adapterName}`);
    if (want === 'lavapipe' && !text.includes('llvmpipe')) throw new Error(`expected lavapipe (llvmpipe), got ${rt.adapterName}`);
  });
  afterAll(() => rt?.destroy());
  return () => {
    if (!rt) throw new Error('the GPU runtime was not created (see the beforeAll error above)');
    return rt;
  };
}

export { randomArray, maxAbsDiff, firstBitDiff } from './random';
