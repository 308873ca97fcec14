/**
 * Per-dispatch profiling (off by default). While a profile records, the runtime gives every
 * dispatch its own compute pass, and when the device has `timestamp-query` that pass writes a
 * timestamp at its beginning and its end: the difference is the GPU time of that one dispatch.
 * Nothing else changes: the dispatches still go into the runtime's batch and are submitted when it
 * flushes, so a training step profiled this way submits as often as it does unprofiled; only the
 * passes are split (which costs a little on some adapters: a profiled step is slightly slower).
 *
 * Timestamps are quantized by the implementation (Dawn to 2¹⁶ ns, Chrome to 100 µs unless its
 * developer features are on), so a single short dispatch can read 0. Average several profiled
 * steps, or use {@link Profile.replay}: it re-runs one recorded dispatch alone, many times in one
 * pass, and divides (on the timestamps or, without them, on the wall clock around a submit and
 * `onSubmittedWorkDone`). For replay the profile keeps each dispatch's uniform bytes and keeps its
 * tensors' buffers from returning to the pool until {@link Profile.dispose}.
 */
import { ArgumentError, EngineError } from './errors';
import type { Overrides, UniformValues } from './kernel';

/** One storage binding of a profiled dispatch. */
export interface ProfiledBinding {
  /** The WGSL variable name. */
  name: string;
  /** Bytes of the bound range. */
  bytes: number;
  /** `read` for `var<storage, read>`, `read-write` for `var<storage, read_write>`. */
  access: 'read' | 'read-write';
}

/** What the profile knows of one dispatch. */
export interface ProfiledDispatch {
  /** Position in the profile (0-based, recording order). */
  index: number;
  /** The WGSL file, e.g. `shaders/matmul.wgsl`. */
  file: string;
  entry: string;
  overrides: Overrides;
  /** The uniform values the call site gave, by member name. */
  uniforms: UniformValues;
  /** Workgroups in x, y, z. */
  grid: readonly [number, number, number];
  bindings: ProfiledBinding[];
  /**
   * GPU nanoseconds between the beginning and the end of the dispatch's pass, from timestamp
   * queries; null without timestamps or when the adapter returned an unusable pair.
   */
  gpuNs: number | null;
}

/** Options of `Runtime.startProfile` / `Runtime.profile`. */
export interface ProfileOptions {
  /** Write timestamps (default: whenever the device has `timestamp-query`). */
  timestamps?: boolean;
  /** Keep what {@link Profile.replay} needs (default false). */
  replayable?: boolean;
}

/** Options of {@link Profile.replay}. */
export interface ReplayOptions {
  /** `timestamp` (default when the profile has timestamps) or `wall`. */
  clock?: 'timestamp' | 'wall';
  /** Copies of the dispatch per sample; default: enough for a sample to last about `targetMs`. */
  reps?: number;
  /** Samples (default 3). */
  samples?: number;
  /** What of the samples is returned: the `median` (default) or the `min` (a ceiling: the best seen). */
  statistic?: 'median' | 'min';
  /** Length of a sample when `reps` is not given (default 20 ms). */
  targetMs?: number;
}

/** The result of a profile. */
export interface Profile {
  /** Where `gpuNs` came from: `timestamp` queries, or `none` (all null). */
  readonly clock: 'timestamp' | 'none';
  readonly dispatches: readonly ProfiledDispatch[];
  /** Submits made while the profile recorded (the profiler's own readback not counted). */
  readonly submits: number;
  /**
   * Runs dispatch `index` alone, `reps` times per submit, and returns nanoseconds per run (median
   * of the samples). Only for profiles recorded with `replayable`; the data it reads and writes are
   * whatever the buffers hold now (in-place kernels such as optimizer updates do change them).
   */
  replay(index: number, options?: ReplayOptions): Promise<number>;
  /** Frees the query sets and lets the retained buffers return to the pool. */
  dispose(): void;
}

/** What the runtime hands the recorder for one dispatch. */
export interface DispatchRecord {
  file: string;
  entry: string;
  overrides: Overrides;
  uniforms: UniformValues;
  grid: readonly [number, number, number];
  bindings: ProfiledBinding[];
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** The bind group entries; the uniform entry, if any, is the one at `uniformBinding`. */
  entries: GPUBindGroupEntry[];
  uniformBinding?: number;
  /** The packed uniform bytes (replayable profiles only). */
  uniformBytes?: Uint8Array;
}

/** What the runtime gives {@link ProfileRecorder.finish}. */
export interface FinishContext {
  /** Submits made during the profile. */
  submits: number;
  /** Submits the runtime's open batch (replay runs outside it). */
  flush(): void;
  /** Gives back the buffers the profile retained. */
  release(buffers: readonly GPUBuffer[]): void;
}

/** Most copies of a dispatch in one replay sample. */
const MAX_REPS = 4096;

/** Queries per query set: 256 dispatches (WebGPU allows up to 4,096 queries per set). */
const QUERIES_PER_SET = 512;

/** @internal The recording side, owned by the runtime while a profile is on. */
export class ProfileRecorder {
  private readonly sets: GPUQuerySet[] = [];
  private readonly records: DispatchRecord[] = [];
  /** Tensor buffers kept out of the pool for replay. */
  readonly retained: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    readonly timestamps: boolean,
    readonly replayable: boolean,
  ) {}

  /** The descriptor of the next dispatch's own pass (with its two timestamp writes when on). */
  passDescriptor(): GPUComputePassDescriptor {
    if (!this.timestamps) return { label: `profile #${this.records.length}` };
    const q = 2 * this.records.length;
    const set = Math.floor(q / QUERIES_PER_SET);
    if (set === this.sets.length) this.sets.push(this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET, label: `profile queries ${set}` }));
    const i = q % QUERIES_PER_SET;
    return {
      label: `profile #${this.records.length}`,
      timestampWrites: { querySet: this.sets[set], beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 },
    };
  }

  /** Adds the dispatch whose pass {@link passDescriptor} just described. */
  record(r: DispatchRecord): void {
    this.records.push(r);
  }

  /** Reads the timestamps back and returns the profile. The runtime has flushed its batch. */
  async finish(ctx: FinishContext): Promise<Profile> {
    const ns = this.timestamps ? await this.readTimestamps() : null;
    for (const s of this.sets) s.destroy();
    const dispatches = this.records.map(
      (r, index): ProfiledDispatch => ({
        index,
        file: r.file,
        entry: r.entry,
        overrides: { ...r.overrides },
        uniforms: { ...r.uniforms },
        grid: r.grid,
        bindings: r.bindings,
        gpuNs: ns ? ns[index] : null,
      }),
    );
    const replayer = this.replayable ? new Replayer(this.device, this.records, this.timestamps, ctx.flush) : null;
    let released = false;
    return {
      clock: ns ? 'timestamp' : 'none',
      dispatches,
      submits: ctx.submits,
      replay: async (index, options = {}) => {
        if (!replayer) throw new EngineError('PROFILE_NOT_REPLAYABLE', 'Profile.replay: the profile was recorded without { replayable: true }');
        if (released) throw new EngineError('PROFILE_DISPOSED', 'Profile.replay: the profile was disposed');
        if (!Number.isInteger(index) || index < 0 || index >= dispatches.length)
          throw new ArgumentError(`Profile.replay: no dispatch #${index} (the profile has ${dispatches.length})`);
        return replayer.time(index, options);
      },
      dispose: () => {
        if (released) return;
        released = true;
        replayer?.destroy();
        ctx.release(this.retained);
      },
    };
  }

  /** Abandons a recording (the function being profiled threw): frees the query sets and buffers. */
  abandon(release: (buffers: readonly GPUBuffer[]) => void): void {
    for (const s of this.sets) s.destroy();
    release(this.retained);
  }

  /** Nanoseconds per dispatch from the query sets (null where the pair is unusable). */
  private async readTimestamps(): Promise<(number | null)[]> {
    const n = this.records.length;
    if (n === 0) return [];
    const bytesPerSet = QUERIES_PER_SET * 8;
    const resolve = this.device.createBuffer({
      size: this.sets.length * bytesPerSet,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'profile resolve',
    });
    const read = this.device.createBuffer({
      size: this.sets.length * bytesPerSet,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'profile read',
    });
    try {
      const enc = this.device.createCommandEncoder({ label: 'profile resolve' });
      this.sets.forEach((s, k) => {
        const used = Math.min(QUERIES_PER_SET, 2 * n - k * QUERIES_PER_SET);
        enc.resolveQuerySet(s, 0, used, resolve, k * bytesPerSet);
      });
      enc.copyBufferToBuffer(resolve, 0, read, 0, read.size);
      this.device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      // All zeros: the implementation has timing disabled.
      const written = t.subarray(0, 2 * n).some((v) => v !== 0n);
      return Array.from({ length: n }, (_, i) => {
        const a = t[2 * i];
        const b = t[2 * i + 1];
        return written && b >= a ? Number(b - a) : null;
      });
    } finally {
      resolve.destroy();
      read.destroy();
    }
  }
}

/** Re-runs recorded dispatches alone, with their own copy of the uniforms. */
class Replayer {
  private readonly uniforms: GPUBuffer | null;
  private readonly groups: GPUBindGroup[];
  private readonly querySet: GPUQuerySet | null;
  private readonly resolve: GPUBuffer | null;
  private readonly read: GPUBuffer | null;

  constructor(
    private readonly device: GPUDevice,
    private readonly records: readonly DispatchRecord[],
    timestamps: boolean,
    private readonly flush: () => void,
  ) {
    const align = device.limits.minUniformBufferOffsetAlignment;
    const offsets: number[] = [];
    let size = 0;
    for (const r of records) {
      offsets.push(size);
      if (r.uniformBytes) size = Math.ceil((size + r.uniformBytes.byteLength) / align) * align;
    }
    this.uniforms = size > 0 ? device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'profile replay uniforms' }) : null;
    this.groups = records.map((r, i) => {
      const entries = r.entries.map((e) => {
        if (e.binding !== r.uniformBinding || !r.uniformBytes || !this.uniforms) return e;
        const bytes = r.uniformBytes;
        device.queue.writeBuffer(this.uniforms, offsets[i], bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return { binding: e.binding, resource: { buffer: this.uniforms, offset: offsets[i], size: bytes.byteLength } };
      });
      return device.createBindGroup({ layout: r.layout, entries, label: `profile replay #${i}` });
    });
    this.querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: 2, label: 'profile replay' }) : null;
    this.resolve = timestamps
      ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'profile replay resolve' })
      : null;
    this.read = timestamps ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'profile replay read' }) : null;
  }

  /** Nanoseconds per run of dispatch `index` (median over the samples). */
  async time(index: number, o: ReplayOptions): Promise<number> {
    const clock = o.clock ?? (this.querySet ? 'timestamp' : 'wall');
    if (clock === 'timestamp' && !this.querySet) throw new ArgumentError('Profile.replay: clock "timestamp" needs a profile recorded with timestamps');
    const samples = Math.max(1, o.samples ?? 3);
    this.flush();
    let reps = o.reps;
    if (reps === undefined) {
      // Grow the sample from one run (which also warms up) until it lasts `targetMs` on its own
      // clock: a quantized timestamp reads 0 for a short one, and the wall clock's sync overhead
      // would make a one-run estimate far too long.
      const target = (o.targetMs ?? 20) * 1e6;
      await this.sample(index, 1, 'wall');
      reps = 1;
      for (;;) {
        const ns = (await this.sample(index, reps, clock)) * reps;
        if (ns >= target || reps >= MAX_REPS) break;
        reps = Math.min(MAX_REPS, reps * Math.min(16, Math.max(2, Math.ceil(target / Math.max(ns, 1)))));
      }
    }
    const out: number[] = [];
    for (let s = 0; s < samples; s++) out.push(await this.sample(index, reps, clock));
    out.sort((a, b) => a - b);
    return o.statistic === 'min' ? out[0] : out[out.length >> 1];
  }

  private async sample(index: number, reps: number, clock: 'timestamp' | 'wall'): Promise<number> {
    const r = this.records[index];
    const [x, y, z] = r.grid;
    const enc = this.device.createCommandEncoder({ label: `profile replay #${index}` });
    const ts = clock === 'timestamp' && this.querySet;
    const pass = enc.beginComputePass(ts ? { timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    pass.setPipeline(r.pipeline);
    // The uniform binding is dynamic (kernel.ts); the replay buffer range already starts at its slot.
    pass.setBindGroup(0, this.groups[index], r.uniformBinding === undefined ? [] : [0]);
    for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(x, y, z);
    pass.end();
    if (ts) {
      enc.resolveQuerySet(this.querySet!, 0, 2, this.resolve!, 0);
      enc.copyBufferToBuffer(this.resolve!, 0, this.read!, 0, 16);
    }
    const t0 = performance.now();
    this.device.queue.submit([enc.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    if (!ts) return ((performance.now() - t0) * 1e6) / reps;
    await this.read!.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.read!.getMappedRange().slice(0));
    this.read!.unmap();
    if (t[0] === 0n || t[1] < t[0])
      throw new EngineError(
        'PROFILE_TIMESTAMPS',
        `Profile.replay: the adapter returned unusable timestamps (${t[0]}, ${t[1]}) for ${r.file} @compute ${r.entry}; replay with { clock: 'wall' }`,
      );
    return Number(t[1] - t[0]) / reps;
  }

  destroy(): void {
    this.uniforms?.destroy();
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.read?.destroy();
  }
}
