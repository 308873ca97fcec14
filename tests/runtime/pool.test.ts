/**
 * The buffer pool (engine/runtime/pool.ts) on its own, judged by its counters and by the GPU buffers
 * WebGPU really holds (the independent oracle of tests/helpers/buffer-oracle.ts). Written to kill
 * mutants that survived `npm run mutate` (bench/records/2026-12-07-mutation.md):
 * - buckets: powers of two from 256 bytes up to 1 MiB, then whole MiB (not powers of two: a 2.5 MiB
 *   tensor takes 3 MiB, not 4);
 * - the counters: created, live, pooled buffers and bytes move by exactly the bucket sizes;
 * - a bucket keeps at most `capPerBucket` free buffers and destroys the rest (the GPU sees them go);
 * - `releaseNow` makes a buffer reusable at once (no submit), so the next acquire creates nothing;
 * - a buffer another pool made is refused;
 * - with a stand-in device (limits chosen to tell the cases apart; nothing is created): the tighter
 *   of the two limits is the one named, the binding limit when they are equal, the default
 *   description names the pool, and a bucket is capped at the largest multiple of 4 the device allows.
 */
import { describe, expect, it } from 'vitest';
import { TensorTooLargeError } from '../../engine/runtime/errors';
import { BufferPool, bucketSize } from '../../engine/runtime/pool';
import { installBufferOracle } from '../helpers/buffer-oracle';
import { useRuntime } from '../helpers/gpu';

const MIB = 1 << 20;
/** Read once a runtime exists: in Node the WebGPU globals come with the first device. */
const usage = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;

describe('buffer pool', () => {
  const rt = useRuntime();

  it('buckets are powers of two from 256 bytes to 1 MiB, then whole MiB', () => {
    expect([1, 256, 257, 1000, 4096, 4097].map(bucketSize)).toEqual([256, 256, 512, 1024, 4096, 8192]);
    expect([MIB - 1, MIB, MIB + 1, 2.5 * MIB, 3 * MIB, 5 * MIB + 7].map(bucketSize)).toEqual([MIB, MIB, 2 * MIB, 3 * MIB, 3 * MIB, 6 * MIB]);
  });

  it('counts exactly: created, live, pending, pooled buffers and bytes move by the bucket sizes', () => {
    const pool = new BufferPool(rt().device, usage(), 'test', 4);
    const a = pool.acquire(1000); // 1 KiB bucket
    const b = pool.acquire(3000); // 4 KiB bucket
    expect(pool.stats()).toEqual({ liveBuffers: 2, liveBytes: 5120, pendingBuffers: 0, pooledBuffers: 0, pooledBytes: 0, createdBuffers: 2 });
    pool.release(a);
    expect(pool.stats()).toEqual({ liveBuffers: 1, liveBytes: 4096, pendingBuffers: 1, pooledBuffers: 0, pooledBytes: 0, createdBuffers: 2 });
    pool.afterSubmit();
    pool.release(b);
    pool.afterSubmit();
    expect(pool.stats()).toEqual({ liveBuffers: 0, liveBytes: 0, pendingBuffers: 0, pooledBuffers: 2, pooledBytes: 5120, createdBuffers: 2 });
    // Reuse: a request in the 1 KiB bucket takes the pooled buffer, creating nothing.
    const c = pool.acquire(800);
    expect(c).toBe(a);
    expect(pool.stats()).toEqual({ liveBuffers: 1, liveBytes: 1024, pendingBuffers: 0, pooledBuffers: 1, pooledBytes: 4096, createdBuffers: 2 });
    pool.release(c);
    pool.afterSubmit();
    pool.trim();
    expect(pool.stats()).toEqual({ liveBuffers: 0, liveBytes: 0, pendingBuffers: 0, pooledBuffers: 0, pooledBytes: 0, createdBuffers: 2 });
  });

  it('a bucket keeps at most capPerBucket free buffers; the GPU sees the extras destroyed', () => {
    const oracle = installBufferOracle(rt().device);
    try {
      const pool = new BufferPool(rt().device, usage(), 'test', 3);
      const bufs = Array.from({ length: 5 }, () => pool.acquire(256));
      expect(oracle.live()).toEqual({ buffers: 5, bytes: 5 * 256, created: 5 });
      for (const b of bufs) pool.release(b);
      pool.afterSubmit();
      expect(pool.stats().pooledBuffers).toBe(3);
      expect(oracle.live()).toEqual({ buffers: 3, bytes: 3 * 256, created: 5 });
      pool.trim();
      expect(oracle.live()).toEqual({ buffers: 0, bytes: 0, created: 5 });
    } finally {
      oracle.uninstall();
    }
  });

  it('releaseNow makes a buffer reusable without a submit; release waits for one', () => {
    const pool = new BufferPool(rt().device, usage(), 'test', 4);
    const a = pool.acquire(256);
    pool.release(a);
    const a2 = pool.acquire(256);
    expect(a2).not.toBe(a); // a is pending until the next submit
    const b = pool.acquire(512);
    pool.releaseNow(b);
    expect(pool.stats().pendingBuffers).toBe(1);
    expect(pool.acquire(512)).toBe(b);
    expect(pool.stats().createdBuffers).toBe(3);
    for (const x of [a2, b]) pool.release(x);
    pool.afterSubmit();
    pool.trim();
  });

  it('refuses a buffer it did not create, naming the pool', () => {
    const pool = new BufferPool(rt().device, usage(), 'test', 4);
    const other = new BufferPool(rt().device, usage(), 'other', 4);
    const b = other.acquire(256);
    expect(() => pool.release(b)).toThrow(/test: released a buffer this pool did not create/);
    other.release(b);
    other.afterSubmit();
    other.trim();
  });

  it('limits, with a stand-in device: the tighter limit named (the binding one when equal), the pool named by default, buckets capped to a multiple of 4', () => {
    const asked: number[] = [];
    const standIn = (maxBufferSize: number, maxStorageBufferBindingSize: number) =>
      ({
        limits: { maxBufferSize, maxStorageBufferBindingSize },
        createBuffer: (d: GPUBufferDescriptor) => {
          asked.push(d.size);
          return { destroy: () => undefined };
        },
      }) as unknown as GPUDevice;
    const limitOf = (pool: BufferPool, bytes: number): string => {
      try {
        pool.acquire(bytes);
      } catch (e) {
        if (e instanceof TensorTooLargeError) return `${e.limitName} ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    // Binding limit tighter: a request over both limits names it, whichever check comes first.
    const tight = new BufferPool(standIn(1000, 600), usage(), 'tensor');
    expect(limitOf(tight, 1004)).toBe(
      "maxStorageBufferBindingSize a tensor buffer needs 1004 bytes, more than the device's maxStorageBufferBindingSize of 600 bytes",
    );
    // Buffer limit tighter: it is the one named, even for a request over both.
    const loose = new BufferPool(standIn(1000, 4000), usage(), 'tensor');
    expect(limitOf(loose, 5000).split(' ')[0]).toBe('maxBufferSize');
    // Equal limits: the binding limit is named.
    const equal = new BufferPool(standIn(800, 800), usage(), 'tensor');
    expect(limitOf(equal, 804).split(' ')[0]).toBe('maxStorageBufferBindingSize');
    // A buffer limit that is not a multiple of 4: 1,000 bytes fall in the 1,024 bucket, capped to 1,000.
    const odd = new BufferPool(standIn(1002, 4096), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging');
    odd.acquire(1000);
    expect(asked).toEqual([1000]);
  });
});
