/**
 * The device: the adapter description, and device loss reaching the caller as a typed error.
 * Uses its own runtime (it destroys it).
 */
import { describe, expect, it } from 'vitest';
import { DeviceLostError, Runtime, scale } from '../../engine/index';

describe('device', () => {
  it('describes the adapter it runs on', async () => {
    const rt = await Runtime.create();
    expect(rt.info.host).toBe('node');
    expect(rt.adapterName.length).toBeGreaterThan(0);
    const want = process.env.WEBGPU_ADAPTER;
    if (want === 'lavapipe' || want === 'swiftshader') {
      // A software adapter was asked for: it is one, it says so, and the tuning tables know it.
      expect(rt.info.isFallbackAdapter).toBe(true);
      expect(rt.info.kind).toBe(want);
      expect(rt.adapterName).toContain('(software)');
    } else {
      // Any other adapter (a real GPU under WEBGPU_ADAPTER=auto): described, and in the tables' 'other' row
      // unless it is one of the software drivers after all.
      expect(`${rt.info.vendor}${rt.info.architecture}${rt.info.description}`.length).toBeGreaterThan(0);
      expect(['lavapipe', 'swiftshader', 'other']).toContain(rt.info.kind);
    }
    rt.destroy();
  });

  it('after the device is lost, every call raises DeviceLostError', async () => {
    const rt = await Runtime.create();
    const t = rt.tensor([1, 2, 3]);
    rt.destroy();
    expect(() => scale(t, 2)).toThrow(DeviceLostError);
    expect(() => rt.tensor([1])).toThrow(DeviceLostError);
    await expect(rt.sync()).rejects.toBeInstanceOf(DeviceLostError);
  });

  it("a device lost behind the runtime's back (destroyed directly) is reported, not ignored", async () => {
    const rt = await Runtime.create();
    const t = rt.tensor([1, 2, 3]);
    rt.device.destroy(); // what a driver reset looks like to WebGPU: device.lost resolves
    await rt.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => scale(t, 2)).toThrow(DeviceLostError);
    await expect(t.toArray()).rejects.toThrow(/GPU device lost \(destroyed\)/);
  });
});
