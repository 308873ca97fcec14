/**
 * An independent leak oracle: counts the GPU buffers that really exist, from WebGPU's side, without
 * asking the engine. `GPUDevice.createBuffer` (on the one device, as an own property) and
 * `GPUBuffer.prototype.destroy` are wrapped, as bench/gpu-work.ts wraps dispatches, so a buffer that
 * any part of the engine creates and never destroys shows up here whatever the pool's own counters
 * say. The pool keeps freed buffers for reuse (they are alive on the GPU), so "no leak" reads as:
 * once a repeated workload is warm, the net live count and bytes stop moving.
 */

type CreateBuffer = GPUDevice['createBuffer'];
type Destroy = GPUBuffer['destroy'];

/** GPU buffers created and not destroyed since the oracle was installed. */
export interface LiveGpuBuffers {
  /** Buffers created through the device and not yet destroyed. */
  buffers: number;
  /** Their sizes (as asked of `createBuffer`), summed. */
  bytes: number;
  /** Buffers created since installation, destroyed or not. */
  created: number;
}

/** A running oracle; `uninstall` puts the original methods back. */
export interface BufferOracle {
  /** What is alive now, of what was created since installation. */
  live(): LiveGpuBuffers;
  /** The labels of the live buffers, counted (to name what leaked when a check fails). */
  liveLabels(): Record<string, number>;
  uninstall(): void;
}

/**
 * Installs the wrappers on `device` (one oracle per device at a time). Buffers created before the
 * installation are not tracked; destroying one of them changes nothing here.
 */
export function installBufferOracle(device: GPUDevice): BufferOracle {
  if (Object.hasOwn(device, 'createBuffer')) throw new Error('installBufferOracle: this device already has an oracle installed');
  const alive = new Map<GPUBuffer, number>();
  let created = 0;
  const originalCreate: CreateBuffer = device.createBuffer;
  // A throwaway buffer finds the prototype all of this device's buffers share.
  const probe = originalCreate.call(device, { size: 4, usage: GPUBufferUsage.COPY_DST, label: 'buffer oracle probe' });
  const proto = Object.getPrototypeOf(probe) as { destroy: Destroy };
  probe.destroy();
  const originalDestroy: Destroy = proto.destroy;
  const create: CreateBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = originalCreate.call(this, descriptor);
    created++;
    alive.set(buffer, descriptor.size);
    return buffer;
  };
  Object.defineProperty(device, 'createBuffer', { value: create, configurable: true, writable: true });
  proto.destroy = function (this: GPUBuffer) {
    // destroy() may be called twice on one buffer (WebGPU allows it): count it once.
    alive.delete(this);
    return originalDestroy.call(this);
  };
  return {
    live: () => ({ buffers: alive.size, bytes: [...alive.values()].reduce((a, b) => a + b, 0), created }),
    liveLabels: () => {
      const out: Record<string, number> = {};
      for (const b of alive.keys()) out[b.label] = (out[b.label] ?? 0) + 1;
      return out;
    },
    uninstall: () => {
      delete (device as { createBuffer?: CreateBuffer }).createBuffer;
      proto.destroy = originalDestroy;
    },
  };
}
