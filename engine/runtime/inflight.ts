/**
 * Counts the submits the GPU has not been seen to finish, and lets a caller wait until few enough
 * are left. WebGPU's queue never pushes back: `submit` returns at once however much work is queued,
 * and a loop that keeps submitting without awaiting grows native memory until the process dies.
 *
 * A submit is known to be finished only when a `queue.onSubmittedWorkDone()` promise issued after
 * it resolves, and such a promise can resolve only when the JavaScript event loop runs (in Node,
 * Dawn's device is ticked from it). So a done-marker is issued every few submits (not every one:
 * each pending marker holds a promise and a native callback), and {@link SubmitTracker.wait} issues
 * one for the newest submit when no marker already covers what it waits for.
 */

interface Waiter {
  /** Resolve once this many submits are known to be finished. */
  target: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Submitted and confirmed-finished submits of one queue. */
export class SubmitTracker {
  private submitted = 0;
  private confirmed = 0;
  /** The newest submit a pending or resolved done-marker covers. */
  private marked = 0;
  private waiters: Waiter[] = [];
  private failure: unknown = null;

  /**
   * @param queue the queue submits go to
   * @param markEvery a done-marker is issued after every `markEvery`-th submit
   */
  constructor(
    private readonly queue: GPUQueue,
    private readonly markEvery = 4,
  ) {}

  /** Call right after each `queue.submit`. */
  afterSubmit(): void {
    this.submitted++;
    if (this.submitted - this.marked >= this.markEvery) this.mark();
  }

  /** Submits not yet known to be finished. */
  get inFlight(): number {
    return this.submitted - this.confirmed;
  }

  /** Total submits so far. */
  get total(): number {
    return this.submitted;
  }

  /** Resolves once at most `maxInFlight` submits are not known to be finished. */
  wait(maxInFlight: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.submitted - maxInFlight;
    if (this.confirmed >= target) return Promise.resolve();
    if (this.marked < target) this.mark();
    return new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** Records that the first `n` submits are finished (seen by a caller's own wait, e.g. a read-back). */
  finished(n: number): void {
    this.confirm(n);
  }

  /** Rejects every waiter, now and later, with `error` (the device was lost). */
  fail(error: unknown): void {
    this.failure = error;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(error);
  }

  private mark(): void {
    const n = this.submitted;
    this.marked = n;
    this.queue.onSubmittedWorkDone().then(
      () => this.confirm(n),
      // A lost device rejects (or never settles) these; the runtime's device-lost handler calls fail().
      () => undefined,
    );
  }

  private confirm(n: number): void {
    if (n > this.confirmed) this.confirmed = n;
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.confirmed >= w.target) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
