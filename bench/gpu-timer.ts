/**
 * GPU time of recorded work, from timestamp queries (the adapter's `timestamp-query` feature, which
 * the runtime requests when the adapter has it).
 *
 * WebGPU writes timestamps only at the start or end of a pass, and the runtime opens its own compute
 * passes. So the timer brackets the work with two empty marker passes in the runtime's batch: the
 * first writes its beginning-of-pass timestamp, the second its end-of-pass timestamp, and the time
 * between them is the GPU time of every pass recorded in between (across submits too: both are on
 * the same queue and clock). Resolving the queries is recorded after the end marker; reading them
 * back happens only in {@link GpuTimer.read}, after the caller has stopped its own clock.
 */
import type { Runtime } from '../engine/index';

/** Measures the GPU time between {@link GpuTimer.begin} and {@link GpuTimer.end}. */
export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly readBuffer: GPUBuffer;

  private constructor(private readonly rt: Runtime) {
    const device = rt.device;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'bench timer' });
    this.resolveBuffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'bench timer resolve' });
    this.readBuffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'bench timer read' });
  }

  /** A timer for `rt`'s device, or null when the device was created without `timestamp-query`. */
  static create(rt: Runtime): GpuTimer | null {
    return rt.device.features.has('timestamp-query') ? new GpuTimer(rt) : null;
  }

  /** Records the start marker into the runtime's current batch. */
  begin(): void {
    this.marker({ querySet: this.querySet, beginningOfPassWriteIndex: 0 });
  }

  /** Records the end marker and the resolve of both timestamps (nothing is read back yet). */
  end(): void {
    this.marker({ querySet: this.querySet, endOfPassWriteIndex: 1 });
    const enc = this.rt.commandEncoder();
    enc.resolveQuerySet(this.querySet, 0, 2, this.resolveBuffer, 0);
    enc.copyBufferToBuffer(this.resolveBuffer, 0, this.readBuffer, 0, 16);
  }

  /**
   * Milliseconds between the markers. Call after the batch holding {@link end} was submitted
   * (e.g. after `rt.sync()`). Returns null if the adapter returned an unusable pair (zero or
   * decreasing timestamps, which some implementations report when timing is disabled).
   */
  async read(): Promise<number | null> {
    await this.readBuffer.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.readBuffer.getMappedRange().slice(0));
    this.readBuffer.unmap();
    if (t[0] === 0n || t[1] <= t[0]) return null;
    return Number(t[1] - t[0]) / 1e6;
  }

  /** Frees the query set and buffers. */
  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
    this.readBuffer.destroy();
  }

  private marker(timestampWrites: GPUComputePassTimestampWrites): void {
    // Close the runtime's open pass so that the marker sits between passes, in recording order.
    this.rt.endPass();
    this.rt.commandEncoder().beginComputePass({ label: 'bench timer marker', timestampWrites }).end();
  }
}
