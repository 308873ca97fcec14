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

/** A deterministic pseudo-random Float32Array in [lo, hi) (mulberry32; tests only). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Largest |got[i] - want[i]|. */
export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
