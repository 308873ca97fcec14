/**
 * Timing a batch of recorded work on one of two clocks, the same for every number on the page that
 * is not a per-kernel profile: `timestamp` brackets the batch with two empty marker passes (WebGPU
 * writes timestamps only at pass boundaries, and the runtime opens its own passes), `wall` is the
 * time from the first recorded dispatch to `onSubmittedWorkDone`. Either way the work is recorded
 * `reps` times into one batch and submitted once, as a training loop would submit it.
 */
import type { Runtime } from 'webgpu-regularization';

/** Which clock a figure was measured on. */
export type Clock = 'timestamp' | 'wall';

/** Timestamps arrive quantized (Chrome: 100 µs; Dawn: 65.5 µs), so a sample lasts at least this long. */
const TARGET_MS = 12;

/** A reusable bracket of two timestamps around work recorded through the runtime. */
class Bracket {
  private readonly set: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly read: GPUBuffer;

  constructor(private readonly rt: Runtime) {
    const d = rt.device;
    this.set = d.createQuerySet({ type: 'timestamp', count: 2, label: 'under-the-hood bracket' });
    this.resolve = d.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.read = d.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private marker(w: GPUComputePassTimestampWrites): void {
    this.rt.endPass();
    this.rt.commandEncoder().beginComputePass({ label: 'bracket marker', timestampWrites: w }).end();
  }

  /** Nanoseconds of the work `record` records between the markers, or null if the pair is unusable. */
  async time(record: () => void): Promise<number | null> {
    this.marker({ querySet: this.set, beginningOfPassWriteIndex: 0 });
    record();
    this.marker({ querySet: this.set, endOfPassWriteIndex: 1 });
    const enc = this.rt.commandEncoder();
    enc.resolveQuerySet(this.set, 0, 2, this.resolve, 0);
    enc.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
    await this.rt.sync();
    await this.read.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return t[0] === 0n || t[1] < t[0] ? null : Number(t[1] - t[0]);
  }

  destroy(): void {
    this.set.destroy();
    this.resolve.destroy();
    this.read.destroy();
  }
}

/** The median of a list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Most calls recorded into one sample. */
const MAX_REPS = 2000;

/** Nanoseconds of `reps` calls of `record`, recorded into one batch, on the bracket or the wall clock. */
async function sample(rt: Runtime, record: () => void, reps: number, bracket: Bracket | null): Promise<number> {
  const recordAll = (): void => {
    for (let k = 0; k < reps; k++) record();
  };
  if (bracket) {
    const ns = await bracket.time(recordAll);
    if (ns === null) throw new Error('timeInterleaved: the adapter returned unusable timestamps; reload the page with #clock=wall');
    return ns;
  }
  const t0 = performance.now();
  recordAll();
  await rt.sync();
  return (performance.now() - t0) * 1e6;
}

/**
 * Calls per sample so that a sample lasts about {@link TARGET_MS} on its own clock: grown from one
 * call (which also compiles the pipelines) until it does, since a quantized timestamp can read 0
 * for a short sample.
 */
async function repsFor(rt: Runtime, record: () => void, bracket: Bracket | null): Promise<number> {
  await sample(rt, record, 1, null);
  let reps = 1;
  for (;;) {
    const ns = await sample(rt, record, reps, bracket);
    if (ns >= TARGET_MS * 1e6 || reps >= MAX_REPS) return reps;
    reps = Math.min(MAX_REPS, reps * Math.min(16, Math.max(2, Math.ceil((TARGET_MS * 1e6) / Math.max(ns, 1)))));
  }
}

/**
 * Nanoseconds per call of each of `records` on `clock`. Each first gets its sample size (calls per
 * sample, see {@link repsFor}); then the samples are taken in turn, round after round, so that a
 * change in the load of the machine (a software adapter shares the CPUs with everything else) hits
 * all of them alike. The median of each. `beforeSample` runs (and is waited for) before every
 * sample, outside the timed region.
 */
export async function timeInterleaved(rt: Runtime, records: readonly (() => void)[], clock: Clock, rounds = 5, beforeSample?: () => void): Promise<number[]> {
  const bracket = clock === 'timestamp' ? new Bracket(rt) : null;
  const out = records.map(() => [] as number[]);
  try {
    const reps: number[] = [];
    for (const record of records) {
      beforeSample?.();
      reps.push(await repsFor(rt, record, bracket));
    }
    for (let s = 0; s < rounds; s++) {
      for (const [i, record] of records.entries()) {
        if (beforeSample) {
          beforeSample();
          await rt.sync();
        }
        out[i].push((await sample(rt, record, reps[i], bracket)) / reps[i]);
      }
    }
  } finally {
    bracket?.destroy();
  }
  return out.map(median);
}

/** Nanoseconds per call of `record` on `clock` (see {@link timeInterleaved}). */
export async function timeBatch(rt: Runtime, record: () => void, clock: Clock, rounds = 3): Promise<number> {
  return (await timeInterleaved(rt, [record], clock, rounds))[0];
}
