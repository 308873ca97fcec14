/**
 * The runtime's side of profiling (./profile.ts has the recording and the result): starting and
 * stopping a profile, counting its submits, and the one seam of `Runtime.dispatch` — while a
 * profile records, each dispatch is encoded in a compute pass of its own (timed when timestamps
 * are on) and recorded with its bindings; otherwise the runtime encodes it into its batch's pass.
 */
import type { BufferEntry } from './bindgroups';
import type { DispatchSpec, ResolvedBindings } from './dispatch';
import { ArgumentError, EngineError } from './errors';
import type { EntryPoint } from './kernel';
import { ProfileRecorder, type Profile, type ProfiledBinding, type ProfileOptions } from './profile';
import { Tensor } from './tensor';

/** What the profiler needs of its runtime. */
export interface ProfilerHost {
  readonly device: GPUDevice;
  /** Submits the runtime's batch. */
  flush(): void;
  /** The command encoder of the runtime's batch, its current compute pass ended. */
  encoderForOwnPass(): GPUCommandEncoder;
  /** Keeps a tensor buffer out of the pool (one more reference). */
  retain(buffer: GPUBuffer): void;
  /** Drops a reference taken by {@link retain}. */
  release(buffer: GPUBuffer): void;
  /** Whether the device still takes commands (neither lost nor destroyed). */
  usable(): boolean;
}

/** One dispatch as the runtime has resolved it, for {@link Profiler.dispatch}. */
export interface ResolvedDispatch {
  /** The kernel's WGSL file. */
  file: string;
  spec: DispatchSpec;
  entry: EntryPoint;
  grid: [number, number, number];
  pipeline: GPUComputePipeline;
  resolved: ResolvedBindings;
}

/** @internal Owned by the runtime: whether a profile records, and what it recorded so far. */
export class Profiler {
  private recorder: ProfileRecorder | null = null;
  private submits = 0;

  constructor(private readonly host: ProfilerHost) {}

  /** Whether a profile is recording. */
  get active(): boolean {
    return this.recorder !== null;
  }

  /** Starts a profile (see `Runtime.startProfile`); submits the work recorded before it. */
  start(options: ProfileOptions): void {
    if (this.recorder) throw new EngineError('PROFILE_ACTIVE', 'startProfile: a profile is already recording (call stopProfile first)');
    const has = this.host.device.features.has('timestamp-query');
    if (options.timestamps && !has) throw new ArgumentError("startProfile: timestamps were asked for but the device has no 'timestamp-query'");
    // Work recorded before the profile is submitted first, so the profile's counts are its own.
    this.host.flush();
    this.recorder = new ProfileRecorder(this.host.device, options.timestamps ?? has, options.replayable ?? false);
    this.submits = 0;
  }

  /** Called by the runtime after each submit. */
  afterSubmit(): void {
    this.submits++;
  }

  /** Stops recording, submits the batch, reads the timestamps back and returns the profile. */
  async stop(): Promise<Profile> {
    const rec = this.recorder;
    if (!rec) throw new EngineError('PROFILE_INACTIVE', 'stopProfile: no profile is recording (call startProfile first)');
    this.recorder = null;
    this.host.flush();
    return rec.finish({ submits: this.submits, flush: () => this.host.flush(), release: (bufs) => this.releaseAll(bufs) });
  }

  /** Drops the recording (the profiled function threw). */
  abandon(): void {
    const rec = this.recorder;
    this.recorder = null;
    // Submit what was recorded before its query sets go: a command buffer may not use a destroyed one.
    if (this.host.usable()) this.host.flush();
    rec?.abandon((bufs) => this.releaseAll(bufs));
  }

  /**
   * Encodes one dispatch (`encode` sets the pipeline, the bind group and the grid) in a compute
   * pass of its own and records it. A replayable profile keeps the uniform bytes and keeps the
   * dispatch's tensor buffers out of the pool until the profile is disposed.
   */
  dispatch(encode: (pass: GPUComputePassEncoder) => void, d: ResolvedDispatch): void {
    const rec = this.recorder;
    if (!rec) throw new EngineError('PROFILE_INACTIVE', `${d.file} @compute ${d.spec.entry}: no profile is recording`);
    const pass = this.host.encoderForOwnPass().beginComputePass(rec.passDescriptor());
    encode(pass);
    pass.end();
    const { entries, uniform } = d.resolved;
    const bindings: ProfiledBinding[] = [];
    for (const b of d.entry.bindings) {
      if (b.kind === 'uniform') continue;
      const res = (entries.find((e) => e.binding === b.binding) as BufferEntry).resource;
      bindings.push({ name: b.name, bytes: res.size ?? res.buffer.size - (res.offset ?? 0), access: b.kind === 'storage' ? 'read-write' : 'read' });
      const r = d.spec.bindings[b.name];
      if (rec.replayable && r instanceof Tensor) {
        this.host.retain(r.buffer);
        rec.retained.push(r.buffer);
      }
    }
    rec.record({
      file: d.file,
      entry: d.spec.entry,
      overrides: d.spec.overrides ?? {},
      uniforms: d.spec.uniforms ?? {},
      grid: d.grid,
      bindings,
      pipeline: d.pipeline,
      layout: d.entry.layout,
      entries,
      uniformBinding: uniform?.binding,
      uniformBytes: rec.replayable && uniform ? new Uint8Array(uniform.slot.view.buffer, uniform.slot.base, uniform.size).slice() : undefined,
    });
  }

  private releaseAll(buffers: readonly GPUBuffer[]): void {
    for (const b of buffers) this.host.release(b);
  }
}
