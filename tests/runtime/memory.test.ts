/**
 * The buffer pool: memoryStats() is flat across 1,000 allocate/dispose cycles, views share their
 * base's buffer, and buffers return to the pool only after the submit that used them.
 */
import { describe, expect, it } from 'vitest';
import { add, scale } from '../../engine/index';
import { bucketSize } from '../../engine/runtime/pool';
import { useRuntime } from '../helpers/gpu';

describe('buffer pool', () => {
  const rt = useRuntime();

  it('memoryStats is flat across 1,000 allocate/dispose cycles', async () => {
    const x = rt().tensor(new Float32Array(1000).fill(1));
    const cycle = () => {
      const a = scale(x, 2);
      const b = add(a, x);
      const c = rt().tensor(new Float32Array(300));
      a.dispose();
      b.dispose();
      c.dispose();
    };
    // Warm up with the same pattern as the measured loop (100 cycles per sync), so the pool has
    // grown to what that pattern needs at its peak.
    const run = async (cycles: number) => {
      for (let i = 0; i < cycles; i++) {
        cycle();
        if (i % 100 === 99) await rt().sync();
      }
      await rt().sync();
    };
    await run(200);
    const before = rt().memoryStats();
    await run(1000);
    const after = rt().memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.pooledBuffers).toBe(before.pooledBuffers);
    // No new buffers were created: every allocation came from the pool.
    expect(after.createdBuffers).toBe(before.createdBuffers);
  });

  it('released buffers wait for the submit that used them before reuse', () => {
    const x = rt().tensor([1, 2, 3]);
    const y = scale(x, 2); // recorded, not submitted
    const buf = y.buffer;
    y.dispose();
    expect(rt().memoryStats().pendingBuffers).toBeGreaterThan(0);
    const z = rt().empty([3]); // same bucket, but must not get y's buffer yet
    expect(z.buffer).not.toBe(buf);
    rt().flush();
    expect(rt().memoryStats().pendingBuffers).toBe(0);
    z.dispose();
    x.dispose();
  });

  it('views share the buffer; it returns to the pool when the last one is disposed', async () => {
    const base = rt().tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = rt().view(base, [3, 2]);
    const live = rt().memoryStats().liveBuffers;
    base.dispose();
    expect(rt().memoryStats().liveBuffers).toBe(live);
    expect([...(await v.toArray())]).toEqual([1, 2, 3, 4, 5, 6]);
    v.dispose();
    expect(rt().memoryStats().liveBuffers).toBe(live - 1);
  });

  it('slices read and write their own range of the base buffer', async () => {
    const align = rt().device.limits.minStorageBufferOffsetAlignment / 4;
    const base = rt().tensor(Float32Array.from({ length: 2 * align + 3 }, (_, i) => i));
    const s = rt().slice(base, align * 4, [3]);
    expect([...(await s.toArray())]).toEqual([align, align + 1, align + 2]);
    const doubled = scale(s, 2);
    expect([...(await doubled.toArray())]).toEqual([2 * align, 2 * align + 2, 2 * align + 4]);
    expect(() => rt().slice(base, 4, [1])).toThrow(/not a multiple of the storage offset alignment/);
    expect(() => rt().slice(base, align * 8, [10])).toThrow(/runs past the end/);
  });

  it('buckets are powers of two up to 1 MiB, then whole MiB', () => {
    expect([1, 256, 257, 1000, 1 << 20, (1 << 20) + 1].map(bucketSize)).toEqual([256, 256, 512, 1024, 1 << 20, 2 << 20]);
  });
});
