/**
 * A size-bucketed pool of GPU buffers. Freed buffers wait until the submit that last used them has
 * been handed to the queue (so a later `queue.writeBuffer` cannot overtake a pending read), then
 * become reusable. Each bucket keeps at most `capPerBucket` free buffers; extras are destroyed.
 */

/** Counters for leak tests and the bench. */
export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  /** Bytes of the buffers handed out (bucket sizes, i.e. what the GPU really holds). */
  liveBytes: number;
  /** Buffers released but waiting for the next submit before reuse. */
  pendingBuffers: number;
  /** Buffers free for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Buffers ever created by the pool (grows only on pool misses). */
  createdBuffers: number;
}

import { TensorTooLargeError } from './errors';

const MIN_BUCKET = 256;
const MIB = 1 << 20;

/** The bucket a request of `bytes` falls in: powers of two up to 1 MiB, then whole MiB. */
export function bucketSize(bytes: number): number {
  const b = Math.max(bytes, MIN_BUCKET);
  if (b <= MIB) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / MIB) * MIB;
}

/** A pool for buffers of one usage. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private readonly sizeOf = new WeakMap<GPUBuffer, number>();
  /** Creation order of each buffer: free lists hand out the oldest first (see toFree). */
  private readonly idOf = new WeakMap<GPUBuffer, number>();
  private live = 0;
  private liveBytesCount = 0;
  private pooled = 0;
  private pooledBytesCount = 0;
  private created = 0;
  /** Called with each buffer right before the pool destroys it (the runtime drops its bind groups). */
  onDestroy: ((buf: GPUBuffer) => void) | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
    readonly capPerBucket = 32,
  ) {}

  /**
   * A buffer of at least `bytes` bytes (its real size is the bucket size, capped at the device's
   * `maxBufferSize`). A request the device cannot hold — over `maxBufferSize`, or for a pool of
   * storage buffers over `maxStorageBufferBindingSize` (such a buffer could never be bound) —
   * throws {@link TensorTooLargeError} naming `what`, before WebGPU is asked.
   */
  acquire(bytes: number, what = `a ${this.label} buffer`): GPUBuffer {
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    // The tighter limit is the one named (the binding limit when both are equal).
    if (this.usage & GPUBufferUsage.STORAGE && maxStorageBufferBindingSize <= maxBufferSize) {
      if (bytes > maxStorageBufferBindingSize) throw new TensorTooLargeError(what, bytes, 'maxStorageBufferBindingSize', maxStorageBufferBindingSize);
    }
    if (bytes > maxBufferSize) throw new TensorTooLargeError(what, bytes, 'maxBufferSize', maxBufferSize);
    if (this.usage & GPUBufferUsage.STORAGE && bytes > maxStorageBufferBindingSize) {
      throw new TensorTooLargeError(what, bytes, 'maxStorageBufferBindingSize', maxStorageBufferBindingSize);
    }
    const size = Math.min(bucketSize(bytes), Math.max(bytes, maxBufferSize - (maxBufferSize % 4)));
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooled--;
      this.pooledBytesCount -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}[${size}]` });
      this.sizeOf.set(buf, size);
      this.idOf.set(buf, this.created);
      this.created++;
    }
    this.live++;
    this.liveBytesCount += size;
    return buf;
  }

  /** Gives a buffer back; it is reused only after the next {@link afterSubmit}. */
  release(buf: GPUBuffer): void {
    const size = this.sizeOf.get(buf);
    if (size === undefined) throw new Error(`${this.label}: released a buffer this pool did not create`);
    this.live--;
    this.liveBytesCount -= size;
    this.pending.push(buf);
  }

  /** Gives a buffer back that no pending GPU work uses (e.g. a staging buffer after mapAsync). */
  releaseNow(buf: GPUBuffer): void {
    this.release(buf);
    this.pending.pop();
    this.toFree(buf);
  }

  /** Called by the runtime right after `queue.submit`: released buffers become reusable. */
  afterSubmit(): void {
    const ready = this.pending;
    this.pending = [];
    for (const buf of ready) this.toFree(buf);
  }

  private toFree(buf: GPUBuffer): void {
    const size = this.sizeOf.get(buf)!;
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    if (list.length >= this.capPerBucket) {
      this.destroyBuffer(buf);
      return;
    }
    // Kept sorted, newest first, so acquire() pops the oldest free buffer. A step that frees what it
    // allocated then gets the same buffers in the same roles as the step before, whatever order they
    // were released in, and the runtime's cached bind groups (./bindgroups.ts) keep matching.
    const id = this.idOf.get(buf)!;
    let i = list.length;
    while (i > 0 && this.idOf.get(list[i - 1])! < id) i--;
    list.splice(i, 0, buf);
    this.pooled++;
    this.pooledBytesCount += size;
  }

  private destroyBuffer(buf: GPUBuffer): void {
    this.onDestroy?.(buf);
    buf.destroy();
  }

  /** The pool's counters. */
  stats(): PoolStats {
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytesCount,
      pendingBuffers: this.pending.length,
      pooledBuffers: this.pooled,
      pooledBytes: this.pooledBytesCount,
      createdBuffers: this.created,
    };
  }

  /** Destroys every free buffer (live ones stay with their owners). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) this.destroyBuffer(b);
    this.free.clear();
    this.pooled = 0;
    this.pooledBytesCount = 0;
  }
}
