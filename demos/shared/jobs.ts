/**
 * A page's serial job queue: every GPU job of a page (training steps, mask draws, readbacks) runs one
 * after another, so a slider moved mid-step never interleaves two jobs' dispatches. A job that fails
 * rejects its own promise and does not stop the queue.
 */
export interface JobQueue {
  /** Runs `job` after every job queued before it; resolves or rejects with it. */
  <T>(job: () => Promise<T>): Promise<T>;
  /** Resolves once every job queued so far has finished (failed ones included). */
  idle(): Promise<void>;
}

export function jobQueue(): JobQueue {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(job: () => Promise<T>): Promise<T> => {
    const result = tail.then(job);
    tail = result.catch(() => undefined);
    return result;
  };
  return Object.assign(run, { idle: () => tail.then(() => undefined) });
}

/**
 * Coalesces bursts (slider input events): while one call is queued and not yet started, further calls
 * share it, so a burst of twenty events runs the job once, reading the latest settings when it starts.
 */
export function coalesced(queue: JobQueue, job: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | null = null;
  return () => {
    pending ??= queue(async () => {
      pending = null;
      await job();
    });
    return pending;
  };
}
