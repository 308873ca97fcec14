/**
 * The device's health as the runtime sees it: the GPU errors reported since the last check (thrown
 * at the next `sync`, `ready` or read-back), the loss of the device (thrown by every later call,
 * and told to the `onDeviceLost` listeners), and whether the runtime was destroyed.
 */
import { ArgumentError, DeviceLostError, GpuError, type EngineError } from './errors';

/** @internal Owned by the runtime (./runtime.ts). */
export class DeviceHealth {
  private errors: EngineError[] = [];
  private lostError: DeviceLostError | null = null;
  private readonly listeners = new Set<(error: DeviceLostError) => void>();
  /** Set by the runtime's `destroy()`. */
  destroyed = false;

  /** Watches `device`; `onLost` runs first when it is lost (before the listeners). */
  constructor(device: GPUDevice, onLost: (error: DeviceLostError) => void) {
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      const e = ev.error;
      const kind =
        e instanceof GPUValidationError
          ? 'validation'
          : e instanceof GPUOutOfMemoryError
            ? 'out-of-memory'
            : e instanceof GPUInternalError
              ? 'internal'
              : 'unknown';
      this.errors.push(new GpuError(kind, e.message));
    };
    void device.lost.then((info) => {
      const error = new DeviceLostError(info.reason ?? 'unknown', info.message || (this.destroyed ? 'the runtime was destroyed' : 'no message'));
      this.lostError = error;
      onLost(error);
      for (const cb of [...this.listeners]) notify(cb, error);
      this.listeners.clear();
    });
  }

  /** The error of a lost device, or null while the device works. */
  get lost(): DeviceLostError | null {
    return this.lostError;
  }

  /** Whether the device takes commands: neither lost nor destroyed. */
  get usable(): boolean {
    return !this.lostError && !this.destroyed;
  }

  /** See `Runtime.onDeviceLost`. */
  onLost(cb: (error: DeviceLostError) => void): () => void {
    if (typeof cb !== 'function') throw new ArgumentError(`onDeviceLost: expected a function, got ${typeof cb}`);
    const lost = this.lostError;
    if (lost) {
      let cancelled = false;
      queueMicrotask(() => cancelled || notify(cb, lost));
      return () => {
        cancelled = true;
      };
    }
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  /**
   * Keeps an error found after the call that caused it returned (a shader module's compile
   * error, a pipeline the device refused), to be thrown like a GPU error at the next check. It
   * goes first: the device's own errors that follow it ("invalid due to a previous error") are
   * its consequences.
   */
  report(error: EngineError): void {
    this.errors.unshift(error);
  }

  /** Throws the device's loss, else the first GPU error reported since the last call (forgetting the rest). */
  throwPending(): void {
    if (this.lostError) throw this.lostError;
    const e = this.errors.shift();
    if (e) {
      this.errors = [];
      throw e;
    }
  }

  /** Throws unless the device takes commands. */
  assertUsable(): void {
    if (this.lostError) throw this.lostError;
    if (this.destroyed) throw new DeviceLostError('destroyed', 'the runtime was destroyed');
  }
}

/** Runs a device-lost listener; what it throws is printed, not swallowed, and the others still run. */
function notify(cb: (error: DeviceLostError) => void, error: DeviceLostError): void {
  try {
    cb(error);
  } catch (e) {
    console.error('a device-lost listener (Runtime.onDeviceLost) threw:', e);
  }
}
