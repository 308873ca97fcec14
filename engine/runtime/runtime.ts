/**
 * The runtime: one device, its buffer pool, the reflected kernels, and the batch of dispatches being
 * recorded. Dispatches go into one command encoder (one compute pass) until something needs the
 * results on the CPU or the caller flushes; then the batch is submitted at once.
 */
import { adapterName, requestGpu, type AdapterDescription, type RequestGpuOptions } from './device';
import { BindGroupCache, type BindGroupCacheStats, type BufferEntry } from './bindgroups';
import { ArgumentError, BackpressureError, DeviceLostError, describeValue, EngineError, GpuError, KernelBindingError, ShapeError } from './errors';
import { SubmitTracker } from './inflight';
import { Kernel, packUniforms, type Overrides, type UniformValues } from './kernel';
import { BufferPool, type PoolStats } from './pool';
import { ProfileRecorder, type Profile, type ProfileOptions, type ProfiledBinding } from './profile';
import { Tensor, fmtShape, shapeSize, type DType, type TensorData } from './tensor';
import { UniformArena } from './uniforms';
import { shaderFile, shaderLibraries, shaders, type LibraryName, type ShaderEntry, type ShaderName } from '../../shaders/index';

/** Something a kernel binding accepts: a tensor (bound to exactly its bytes) or a raw buffer range. */
export type BindingResource = Tensor | GPUBuffer | GPUBufferBinding;

/** One kernel launch. */
export interface DispatchSpec {
  /** A shader of the registry (shaders/index.ts) or a kernel loaded with {@link Runtime.loadKernel}. */
  shader: ShaderName | Kernel;
  entry: string;
  overrides?: Overrides;
  /** Values of the entry point's uniform struct, by member name. */
  uniforms?: UniformValues;
  /** Buffers by the WGSL variable name. */
  bindings: Record<string, BindingResource>;
  workgroups: readonly [number, number?, number?];
}

/** Counters: the bench prints them per step; leak tests watch the buffers. */
export interface MemoryStats extends PoolStats {
  liveTensors: number;
}

/** Counts of work sent to the GPU since the runtime was created. */
export interface WorkStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  readbacks: number;
}

/**
 * The default of {@link Runtime.maxSubmitsInFlight}. The README's runtime section gives the native
 * memory a never-awaiting loop grows by per submit, measured; this bound keeps that far below what
 * crashed such a loop before the runtime bounded its work.
 */
export const DEFAULT_MAX_SUBMITS_IN_FLIGHT = 25_000;
/** The default bound of {@link Runtime.ready}: enough for the CPU to record a step while the GPU runs one. */
const READY_IN_FLIGHT = 2;
/**
 * Bind groups the runtime keeps for reuse. A step binds a few dozen distinct sets, but the pool hands
 * a step's temporaries out in an order that repeats only every few hundred steps when nobody flushes.
 */
const BIND_GROUP_CACHE_SIZE = 4096;
/** Dispatches after which a batch nobody flushes is submitted anyway. */
const MAX_BATCH_DISPATCHES = 4096;

function debugFromEnv(): boolean {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; __WEBGPU_DEBUG__?: boolean };
  return !!g.__WEBGPU_DEBUG__ || !!g.process?.env?.WEBGPU_DEBUG;
}

/** A GPU device with everything needed to run the engine's kernels on it. */
export class Runtime {
  /** When true, each dispatch prints its WGSL file, entry, override constants and grid. */
  debug = debugFromEnv();
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly uniforms: UniformArena;
  private readonly kernels = new Map<string, Kernel>();
  private readonly refs = new Map<GPUBuffer, number>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private errors: GpuError[] = [];
  private lostError: DeviceLostError | null = null;
  private readonly lostListeners = new Set<(error: DeviceLostError) => void>();
  private destroyed = false;
  private liveTensors = 0;
  private readonly work: WorkStats = { dispatches: 0, submits: 0, pipelines: 0, readbacks: 0 };
  /** The profile being recorded (see ./profile.ts), if any. */
  private profiler: ProfileRecorder | null = null;
  private profileSubmits = 0;
  private bindGroups: BindGroupCache;
  private readonly inFlight: SubmitTracker;
  private maxInFlight = DEFAULT_MAX_SUBMITS_IN_FLIGHT;
  private batchDispatches = 0;

  private constructor(
    readonly device: GPUDevice,
    readonly info: AdapterDescription,
  ) {
    this.pool = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'tensor');
    this.staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging', 4);
    this.uniforms = new UniformArena(device);
    this.bindGroups = new BindGroupCache(device, BIND_GROUP_CACHE_SIZE);
    this.pool.onDestroy = (buf) => this.bindGroups.dropBuffer(buf);
    this.inFlight = new SubmitTracker(device.queue);
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
      this.inFlight.fail(error);
      for (const cb of [...this.lostListeners]) this.notifyLost(cb, error);
      this.lostListeners.clear();
    });
  }

  /**
   * Opens the device (browser or Node, see {@link requestGpu}) and compiles and reflects every
   * shader of the registry, so a bad WGSL file fails here with its file and line.
   */
  static async create(options: RequestGpuOptions = {}): Promise<Runtime> {
    const { device, info } = await requestGpu(options);
    const rt = new Runtime(device, info);
    await Promise.all(
      (Object.keys(shaders) as ShaderName[]).map(async (name) => {
        const entry: ShaderEntry = shaders[name];
        const libs = (entry.uses ?? []).map((lib: LibraryName) => ({ file: shaderFile(lib), source: shaderLibraries[lib] as string }));
        rt.kernels.set(name, await Kernel.load(device, shaderFile(name), entry.source, libs));
      }),
    );
    return rt;
  }

  /**
   * Calls `cb` once when the device is lost (a driver reset, `device.destroy()`, {@link destroy}),
   * with the {@link DeviceLostError} that every later call raises: the place to stop training and
   * resume on a new runtime from the last checkpoint (engine/io). Registered after the loss, `cb`
   * is called in a microtask. Returns a function that unregisters it.
   */
  onDeviceLost(cb: (error: DeviceLostError) => void): () => void {
    if (typeof cb !== 'function') throw new ArgumentError(`onDeviceLost: expected a function, got ${typeof cb}`);
    const lost = this.lostError;
    if (lost) {
      let cancelled = false;
      queueMicrotask(() => cancelled || this.notifyLost(cb, lost));
      return () => {
        cancelled = true;
      };
    }
    this.lostListeners.add(cb);
    return () => void this.lostListeners.delete(cb);
  }

  /** The error of a lost device, or null while the device works. */
  get deviceLost(): DeviceLostError | null {
    return this.lostError;
  }

  /** Runs a device-lost listener; what it throws is printed, not swallowed, and the others still run. */
  private notifyLost(cb: (error: DeviceLostError) => void, error: DeviceLostError): void {
    try {
      cb(error);
    } catch (e) {
      console.error('a device-lost listener (Runtime.onDeviceLost) threw:', e);
    }
  }

  /** A one-line name of the adapter. */
  get adapterName(): string {
    return adapterName(this.info);
  }

  /** Compiles and reflects a WGSL source that is not in the registry (custom kernels, tests). */
  async loadKernel(file: string, source: string, libraries: readonly LibraryName[] = []): Promise<Kernel> {
    this.assertUsable();
    const libs = libraries.map((lib) => ({ file: shaderFile(lib), source: shaderLibraries[lib] as string }));
    return Kernel.load(this.device, file, source, libs);
  }

  /** A registry kernel by name. */
  kernel(name: ShaderName): Kernel {
    const k = this.kernels.get(name);
    if (!k) throw new KernelBindingError(`no shader named "${name}" in shaders/index.ts`);
    return k;
  }

  // ---- tensors -------------------------------------------------------------------------------

  /** A tensor holding `data` (a typed array or numbers), with `shape` (default: 1-D). */
  tensor<D extends DType = 'f32'>(data: ArrayLike<number>, shape?: readonly number[], dtype?: D): Tensor<D> {
    if (typeof data !== 'object' || data === null || typeof data.length !== 'number')
      throw new ArgumentError(`tensor: data must be a typed array or an array of numbers, got ${describeValue(data)}`);
    const dt = (dtype ?? (data instanceof Uint32Array ? 'u32' : data instanceof Int32Array ? 'i32' : 'f32')) as D;
    if (dt !== 'f32' && dt !== 'u32' && dt !== 'i32') throw new ArgumentError(`tensor: unknown dtype ${describeValue(dt)} (f32, u32, i32)`);
    const sh = shape ?? [data.length];
    const n = shapeSize(sh);
    if (n !== data.length) throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmtShape(sh)} (${n} elements)`);
    // Too large for the device: refused by empty(), which names the limit, before any host copy is made.
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    if (n * 4 > Math.min(maxBufferSize, maxStorageBufferBindingSize)) {
      this.empty(sh, dt).dispose();
      throw new ArgumentError(`tensor: ${fmtShape(sh)} does not fit the device`);
    }
    // Converted and checked before anything is allocated: integers are never rounded or wrapped.
    const arr = hostArray(data, dt);
    const t = this.empty(sh, dt);
    if (n > 0) this.device.queue.writeBuffer(t.buffer, 0, arr.buffer, arr.byteOffset, arr.byteLength);
    return t;
  }

  /** A tensor with unspecified contents (for kernel outputs). */
  empty<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D): Tensor<D> {
    this.assertUsable();
    if (dtype !== 'f32' && dtype !== 'u32' && dtype !== 'i32') throw new ArgumentError(`unknown dtype ${String(dtype)} (f32, u32, i32)`);
    const n = shapeSize(shape);
    const buf = this.pool.acquire(Math.max(16, n * 4), `tensor ${fmtShape(shape)} ${dtype} (${n} elements)`);
    this.refs.set(buf, 1);
    this.liveTensors++;
    return new Tensor(this, buf, shape, dtype);
  }

  /** A tensor sharing `t`'s buffer with another shape of the same size (no copy). */
  view<D extends DType>(t: Tensor<D>, shape: readonly number[]): Tensor<D> {
    t.assertAlive('reshape');
    const n = shapeSize(shape);
    if (n !== t.size) throw new ShapeError(`reshape: cannot view ${fmtShape(t.shape)} (${t.size} elements) as ${fmtShape(shape)} (${n} elements)`);
    return this.retainView(t, t.byteOffset, shape, t.dtype);
  }

  /**
   * A tensor over part of `base`'s buffer, starting `byteOffset` bytes into `base` (no copy). This
   * is how an arena hands out parameters. The offset must respect the device's storage offset
   * alignment (`minStorageBufferOffsetAlignment`) so the view can be bound.
   */
  slice<D extends DType = 'f32'>(base: Tensor, byteOffset: number, shape: readonly number[], dtype: D = 'f32' as D): Tensor<D> {
    base.assertAlive('slice');
    const n = shapeSize(shape);
    const align = this.device.limits.minStorageBufferOffsetAlignment;
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % align !== 0) {
      throw new ArgumentError(`slice: byte offset ${byteOffset} is not a multiple of the storage offset alignment ${align}`);
    }
    if (byteOffset + n * 4 > base.byteLength) {
      throw new ShapeError(`slice: ${fmtShape(shape)} at byte ${byteOffset} runs past the end of ${fmtShape(base.shape)} (${base.byteLength} bytes)`);
    }
    return this.retainView(base, base.byteOffset + byteOffset, shape, dtype);
  }

  private retainView<D extends DType>(base: Tensor, byteOffset: number, shape: readonly number[], dtype: D): Tensor<D> {
    const buf = base.buffer;
    this.refs.set(buf, (this.refs.get(buf) ?? 0) + 1);
    this.liveTensors++;
    return new Tensor(this, buf, shape, dtype, byteOffset);
  }

  /** @internal Called by {@link Tensor.dispose}. */
  releaseTensorBuffer(buf: GPUBuffer): void {
    this.liveTensors--;
    this.unref(buf);
  }

  /** Drops one reference to a tensor buffer; the last one returns it to the pool. */
  private unref(buf: GPUBuffer): void {
    const r = (this.refs.get(buf) ?? 1) - 1;
    if (r > 0) {
      this.refs.set(buf, r);
      return;
    }
    this.refs.delete(buf);
    if (this.destroyed) return;
    this.pool.release(buf);
    // A long recording that frees many buffers submits early, so they can be reused instead of
    // new ones being created (and the extras destroyed) while the batch is still open.
    if (this.pool.stats().pendingBuffers >= this.pool.capPerBucket && !this.lostError) this.flush();
  }

  // ---- recording and submitting --------------------------------------------------------------

  /** Records one dispatch into the current batch. Nothing runs until the batch is flushed. */
  dispatch(spec: DispatchSpec): void {
    this.assertUsable();
    const kernel = typeof spec.shader === 'string' ? this.kernel(spec.shader) : spec.shader;
    const entry = kernel.entry(spec.entry);
    const where = `${kernel.file} @compute ${spec.entry}`;
    const [x, y, z] = this.checkGrid(where, spec.workgroups);
    this.assertRoomInFlight(`dispatch ${where}`);
    const before = kernel.pipelineCount;
    const pipeline = kernel.pipeline(spec.entry, spec.overrides);
    this.work.pipelines += kernel.pipelineCount - before;

    const entries: BufferEntry[] = [];
    const named = new Set(Object.keys(spec.bindings));
    const prof = this.profiler;
    let uniformBytes: Uint8Array | undefined;
    let dynamicOffsets: number[] | undefined;
    for (const b of entry.bindings) {
      if (b.kind === 'uniform') {
        const layout = entry.uniform!;
        const slot = this.uniforms.alloc(layout.size);
        packUniforms(where, layout, spec.uniforms ?? {}, slot.view, slot.base);
        // Bound at offset 0 with the slot's offset given at setBindGroup (the layout's uniform entry
        // is dynamic), so the bind group does not depend on where this dispatch's uniforms landed.
        entries.push({ binding: b.binding, resource: { buffer: slot.buffer, offset: 0, size: layout.size } });
        dynamicOffsets = [slot.offset];
        if (prof?.replayable) uniformBytes = new Uint8Array(slot.view.buffer, slot.base, layout.size).slice();
        continue;
      }
      const r = spec.bindings[b.name];
      if (r === undefined) {
        throw new KernelBindingError(
          `${where}: binding "${b.name}" was not given (the entry point uses: ${entry.bindings
            .filter((x) => x.kind !== 'uniform')
            .map((x) => x.name)
            .join(', ')})`,
        );
      }
      named.delete(b.name);
      entries.push({ binding: b.binding, resource: toBinding(r, `${where} binding ${b.name}`) });
    }
    if (named.size > 0) {
      throw new KernelBindingError(
        `${where}: the entry point does not use binding(s) ${[...named].join(', ')} (it uses: ${entry.bindings
          .filter((x) => x.kind !== 'uniform')
          .map((x) => x.name)
          .join(', ')})`,
      );
    }
    if (!entry.uniform && spec.uniforms && Object.keys(spec.uniforms).length > 0) {
      throw new KernelBindingError(`${where}: uniforms were given but the entry point uses no uniform struct`);
    }
    if (this.debug) {
      const ov = spec.overrides && Object.keys(spec.overrides).length ? ` ${JSON.stringify(spec.overrides)}` : '';
      console.log(`[dispatch] ${where}${ov} grid=[${x}, ${y}, ${z}]`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.bindGroups.get(entry.layout, entries);
    if (prof) this.endPass();
    const pass = prof ? this.commandEncoder().beginComputePass(prof.passDescriptor()) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, dynamicOffsets);
    pass.dispatchWorkgroups(x, y, z);
    this.work.dispatches++;
    this.batchDispatches++;
    if (!prof) {
      // A batch that is never flushed grows its command buffer without bound; submit it in parts.
      if (this.batchDispatches >= MAX_BATCH_DISPATCHES) this.flush();
      return;
    }
    pass.end();
    const bindings: ProfiledBinding[] = [];
    for (const b of entry.bindings) {
      if (b.kind === 'uniform') continue;
      const r = spec.bindings[b.name];
      const res = toBinding(r, where);
      bindings.push({ name: b.name, bytes: res.size ?? res.buffer.size - (res.offset ?? 0), access: b.kind === 'storage' ? 'read-write' : 'read' });
      // A replayable profile keeps the tensors' buffers out of the pool until it is disposed.
      if (prof.replayable && r instanceof Tensor) {
        this.refs.set(r.buffer, (this.refs.get(r.buffer) ?? 0) + 1);
        prof.retained.push(r.buffer);
      }
    }
    const uniformBinding = entry.bindings.find((b) => b.kind === 'uniform')?.binding;
    prof.record({
      file: kernel.file,
      entry: spec.entry,
      overrides: spec.overrides ?? {},
      uniforms: spec.uniforms ?? {},
      grid: [x, y, z],
      bindings,
      pipeline,
      layout: entry.layout,
      entries,
      uniformBinding,
      uniformBytes,
    });
  }

  /**
   * The grid of a dispatch, checked before anything is recorded or allocated: one to three integers
   * (y and z default to 1), each in [0, maxComputeWorkgroupsPerDimension]; 0 records nothing. NaN,
   * fractions, negative or infinite counts are refused, never rounded.
   */
  private checkGrid(where: string, workgroups: unknown): [number, number, number] {
    if (!Array.isArray(workgroups) || workgroups.length < 1 || workgroups.length > 3)
      throw new ArgumentError(`${where}: workgroups must be [x], [x, y] or [x, y, z], got ${describeValue(workgroups)}`);
    const grid: [number, number, number] = [1, 1, 1];
    for (let i = 0; i < 3; i++) {
      const v: unknown = workgroups[i];
      if (v === undefined && i > 0) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new ArgumentError(`${where}: the workgroup count ${'xyz'[i]} is ${describeValue(v)} (an integer ≥ 0 expected)`);
      grid[i] = v;
    }
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (grid[0] > max || grid[1] > max || grid[2] > max) throw new ArgumentError(`${where}: grid [${grid.join(', ')}] exceeds ${max} workgroups per dimension`);
    return grid;
  }

  /** Records a buffer-to-buffer copy into the current batch. */
  copy(src: BindingResource, dst: BindingResource, bytes?: number): void {
    this.assertRoomInFlight('copy');
    this.recordCopy(src, dst, bytes);
  }

  /** A copy without the bound: a read-back records one and then waits, which is the remedy itself. */
  private recordCopy(src: BindingResource, dst: BindingResource, bytes?: number): void {
    const s = toBinding(src, 'copy source');
    const d = toBinding(dst, 'copy destination');
    const n = bytes ?? Math.min(s.size ?? s.buffer.size, d.size ?? d.buffer.size);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(s.buffer, s.offset ?? 0, d.buffer, d.offset ?? 0, n);
  }

  /** The command encoder of the current batch (for timestamp queries and other raw commands). */
  commandEncoder(): GPUCommandEncoder {
    this.assertUsable();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'batch' });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  /** Ends the current compute pass (the next dispatch opens a new one). */
  endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits the recorded batch, if any. Returns whether anything was submitted. */
  flush(): boolean {
    this.assertUsable();
    this.endPass();
    const enc = this.encoder;
    if (!enc) {
      // Buffers released since the last submit are used by no open batch: reusable now (a later
      // writeBuffer is queued after the submits that used them).
      this.pool.afterSubmit();
      return false;
    }
    this.encoder = null;
    this.uniforms.upload(this.device.queue);
    this.device.queue.submit([enc.finish()]);
    this.inFlight.afterSubmit();
    this.batchDispatches = 0;
    this.work.submits++;
    this.profileSubmits++;
    this.uniforms.afterSubmit();
    this.pool.afterSubmit();
    return true;
  }

  /** Flushes and waits until the GPU has finished all submitted work; throws any GPU error it reported. */
  async sync(): Promise<void> {
    this.flush();
    const submitted = this.inFlight.total;
    await this.device.queue.onSubmittedWorkDone();
    this.inFlight.finished(submitted);
    this.throwPending();
  }

  // ---- backpressure --------------------------------------------------------------------------

  /**
   * Submits the recorded batch and resolves once at most `maxInFlight` submits (default 2) are not
   * known to be finished, then throws any GPU error reported so far. A loop that records work and
   * awaits this once per step runs at the GPU's pace with flat memory, while the CPU records the
   * next step as the GPU runs the last one. Rejects with {@link DeviceLostError} if the device is lost.
   */
  async ready(maxInFlight = READY_IN_FLIGHT): Promise<void> {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 0) throw new ArgumentError(`ready: maxInFlight must be an integer >= 0, got ${maxInFlight}`);
    this.flush();
    await this.inFlight.wait(maxInFlight);
    this.throwPending();
  }

  /**
   * Submits not yet known to be finished. The runtime learns that work has finished only when the
   * event loop runs (an `await` of {@link ready}, {@link sync} or a read-back); until then every
   * submit counts.
   */
  get submitsInFlight(): number {
    return this.inFlight.inFlight;
  }

  /**
   * The most submits that may be in flight ({@link submitsInFlight}). Recording work beyond it throws
   * {@link BackpressureError} instead of letting native memory grow until the process crashes: a loop
   * that never awaits gets this error, one that awaits {@link ready} now and then never does.
   * Default {@link DEFAULT_MAX_SUBMITS_IN_FLIGHT}; a positive integer.
   */
  get maxSubmitsInFlight(): number {
    return this.maxInFlight;
  }

  set maxSubmitsInFlight(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`maxSubmitsInFlight must be a positive integer, got ${n}`);
    this.maxInFlight = n;
  }

  /** Bind groups created and reused so far, and held now (a steady training step creates none). */
  bindGroupStats(): BindGroupCacheStats {
    return this.bindGroups.stats();
  }

  /**
   * How many bind groups the runtime keeps for reuse (default 4096); 0 creates one per dispatch.
   * Setting it starts an empty cache. Results do not depend on it; native memory does (see README).
   */
  get bindGroupCacheSize(): number {
    return this.bindGroups.capacity;
  }

  set bindGroupCacheSize(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`bindGroupCacheSize must be an integer >= 0, got ${n}`);
    this.bindGroups = new BindGroupCache(this.device, n);
  }

  /** @internal Whether a cached bind group holds `buffer` (tests: destroyed buffers are let go). */
  bindGroupsHold(buffer: GPUBuffer): boolean {
    return this.bindGroups.holds(buffer);
  }

  private assertRoomInFlight(where: string): void {
    const n = this.inFlight.inFlight;
    if (n >= this.maxInFlight) throw new BackpressureError(where, n, this.maxInFlight);
  }

  /** @internal Reads a tensor back (used by {@link Tensor.toArray}). */
  async read(t: Tensor): Promise<TensorData> {
    const bytes = t.byteLength;
    const out = t.dtype === 'f32' ? new Float32Array(t.size) : t.dtype === 'u32' ? new Uint32Array(t.size) : new Int32Array(t.size);
    if (bytes === 0) return out;
    const stage = this.staging.acquire(bytes);
    this.recordCopy(t, { buffer: stage, offset: 0, size: bytes }, bytes);
    this.flush();
    this.work.readbacks++;
    const submitted = this.inFlight.total;
    try {
      await stage.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      this.throwPending();
      throw e;
    }
    // The copy was the last submit: everything up to it has finished.
    this.inFlight.finished(submitted);
    new Uint8Array(out.buffer).set(new Uint8Array(stage.getMappedRange(0, bytes)));
    stage.unmap();
    this.staging.releaseNow(stage);
    this.throwPending();
    return out;
  }

  // ---- profiling -----------------------------------------------------------------------------

  /**
   * Starts recording a profile (./profile.ts): from now until {@link stopProfile}, each dispatch
   * gets its own compute pass, timed by timestamp queries when the device has `timestamp-query`.
   * Submits the batch recorded so far; after that, batching and submits are unchanged. Throws if a
   * profile is already recording.
   */
  startProfile(options: ProfileOptions = {}): void {
    this.assertUsable();
    if (this.profiler) throw new EngineError('PROFILE_ACTIVE', 'startProfile: a profile is already recording (call stopProfile first)');
    const has = this.device.features.has('timestamp-query');
    if (options.timestamps && !has) throw new ArgumentError("startProfile: timestamps were asked for but the device has no 'timestamp-query'");
    // Work recorded before the profile is submitted first, so the profile's counts are its own.
    this.flush();
    this.profiler = new ProfileRecorder(this.device, options.timestamps ?? has, options.replayable ?? false);
    this.profileSubmits = 0;
  }

  /** Stops recording, submits the batch, reads the timestamps back and returns the profile. */
  async stopProfile(): Promise<Profile> {
    const prof = this.profiler;
    if (!prof) throw new EngineError('PROFILE_INACTIVE', 'stopProfile: no profile is recording (call startProfile first)');
    this.profiler = null;
    this.flush();
    const submits = this.profileSubmits;
    const profile = await prof.finish({ submits, flush: () => this.flush(), release: (bufs) => bufs.forEach((b) => this.unref(b)) });
    this.throwPending();
    return profile;
  }

  /** Profiles the work `fn` records (see {@link startProfile}); if `fn` throws, the recording is dropped. */
  async profile(fn: () => void | Promise<void>, options: ProfileOptions = {}): Promise<Profile> {
    this.startProfile(options);
    try {
      await fn();
    } catch (e) {
      const prof = this.profiler;
      this.profiler = null;
      // Submit what was recorded before its query sets go: a command buffer may not use a destroyed one.
      if (!this.lostError && !this.destroyed) this.flush();
      prof?.abandon((bufs) => bufs.forEach((b) => this.unref(b)));
      throw e;
    }
    return this.stopProfile();
  }

  /** Whether a profile is recording. */
  get profiling(): boolean {
    return this.profiler !== null;
  }

  private throwPending(): void {
    if (this.lostError) throw this.lostError;
    const e = this.errors.shift();
    if (e) {
      this.errors = [];
      throw e;
    }
  }

  private assertUsable(): void {
    if (this.lostError) throw this.lostError;
    if (this.destroyed) throw new DeviceLostError('destroyed', 'the runtime was destroyed');
  }

  // ---- counters and teardown -----------------------------------------------------------------

  /** Live tensors, live and pooled buffers and bytes. Flat across allocate/dispose cycles when nothing leaks. */
  memoryStats(): MemoryStats {
    return { liveTensors: this.liveTensors, ...this.pool.stats() };
  }

  /** Dispatches, submits, compiled pipelines and readbacks so far. */
  workStats(): WorkStats {
    return { ...this.work };
  }

  /** Same as {@link destroy}: `dispose()`, the name tensors, models and optimizers use. Safe to call twice. */
  dispose(): void {
    this.destroy();
  }

  /** Destroys the device. In Node this lets the process exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.trim();
    this.bindGroups.clear();
    this.staging.trim();
    this.device.destroy();
  }
}

/**
 * `data` as the typed array of `dtype`, for upload. Integer dtypes take only integers in their range
 * (u32: [0, 2^32 − 1], i32: [−2^31, 2^31 − 1]); anything else — 1.5, −1 as a u32, NaN, 2^32 + 7 — is
 * refused with its index instead of being truncated or wrapped. Plain arrays must hold numbers.
 */
function hostArray(data: ArrayLike<number>, dtype: DType): Float32Array | Uint32Array | Int32Array {
  const typed = ArrayBuffer.isView(data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array)
    throw new ArgumentError(`tensor: data is ${describeValue(data)}; bigints are not numbers`);
  if (dtype === 'f32') {
    if (!typed) {
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') throw new ArgumentError(`tensor: the value at index ${i} is ${describeValue(data[i])}, not a number`);
      }
    }
    return Float32Array.from(data);
  }
  if (dtype === 'u32' && data instanceof Uint32Array) return Uint32Array.from(data);
  if (dtype === 'i32' && data instanceof Int32Array) return Int32Array.from(data);
  const [lo, hi] = dtype === 'u32' ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
  const out = dtype === 'u32' ? new Uint32Array(data.length) : new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi))
      throw new ArgumentError(`tensor: the value at index ${i} is ${describeValue(v)}, not a ${dtype} (an integer in [${lo}, ${hi}])`);
    out[i] = v;
  }
  return out;
}

function toBinding(r: BindingResource, where: string): GPUBufferBinding {
  if (r instanceof Tensor) {
    r.assertAlive(where);
    return r.binding();
  }
  if (isBuffer(r)) return { buffer: r, offset: 0, size: r.size };
  if (!r || !('buffer' in r)) throw new EngineError('BAD_BINDING', `${where}: not a tensor or buffer`);
  return r;
}

function isBuffer(r: unknown): r is GPUBuffer {
  return typeof r === 'object' && r !== null && 'mapAsync' in r && 'size' in r;
}
