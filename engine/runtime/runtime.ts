/**
 * The runtime: one device, its buffer pool, the reflected kernels, and the batch of dispatches being
 * recorded. Dispatches go into one command encoder (one compute pass) until something needs the
 * results on the CPU or the caller flushes; then the batch is submitted at once.
 */
import { adapterName, requestGpu, type AdapterDescription, type RequestGpuOptions } from './device';
import { BindGroupCache, type BindGroupCacheStats } from './bindgroups';
import { checkGrid, resolveBindings, toBinding, type BindingResource, type DispatchSpec } from './dispatch';
import { ArgumentError, BackpressureError, describeValue, ShapeError, type DeviceLostError } from './errors';
import { DeviceHealth } from './health';
import { SubmitTracker } from './inflight';
import { Kernel } from './kernel';
import { BufferPool, type PoolStats } from './pool';
import type { Profile, ProfileOptions } from './profile';
import { Profiler } from './profiler';
import { ServiceRegistry, type ServiceKey } from './services';
import { Tensor, fmtShape, hostArray, shapeSize, type DType, type TensorData } from './tensor';
import { UniformArena } from './uniforms';
import { prepareTargets, type PrepareResult, type PrepareTarget } from './prepare';
import { ShaderRegistry, type PipelineStats, type ShaderKey } from './shader-registry';
import { shaderFile, shaderLibraries, type LibraryName, type ShaderEntry } from '../../shaders/index';

export type { BindingResource, DispatchSpec } from './dispatch';
export type { PipelineRequest, PrepareResult, PrepareTarget } from './prepare';
export type { PipelineStats, ShaderKey } from './shader-registry';

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
  /** The shaders this runtime can run, each compiled at its first use (./shader-registry.ts). */
  private shaders!: ShaderRegistry;
  private readonly refs = new Map<GPUBuffer, number>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** GPU errors, the device's loss, and whether the runtime was destroyed (./health.ts). */
  private readonly health: DeviceHealth;
  private liveTensors = 0;
  private readonly work: WorkStats = { dispatches: 0, submits: 0, pipelines: 0, readbacks: 0 };
  /** Profiling (./profiler.ts): off until {@link startProfile}. */
  private readonly profiler: Profiler;
  private readonly services = new ServiceRegistry();
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
    this.profiler = new Profiler({
      device,
      flush: () => this.flush(),
      encoderForOwnPass: () => {
        this.endPass();
        return this.commandEncoder();
      },
      retain: (buf) => this.refs.set(buf, (this.refs.get(buf) ?? 0) + 1),
      release: (buf) => this.unref(buf),
      usable: () => this.health.usable,
    });
    this.health = new DeviceHealth(device, (error) => this.inFlight.fail(error));
  }

  /**
   * Opens the device (browser or Node, see {@link requestGpu}). No shader is compiled here: each
   * is compiled at its first dispatch, or ahead of it by {@link prepare}.
   */
  static async create(options: RequestGpuOptions = {}): Promise<Runtime> {
    const { device, info } = await requestGpu(options);
    const rt = new Runtime(device, info);
    rt.shaders = await ShaderRegistry.create(device, (error) => rt.health.report(error));
    return rt;
  }

  /**
   * Calls `cb` once when the device is lost (a driver reset, `device.destroy()`, {@link destroy}),
   * with the {@link DeviceLostError} that every later call raises: the place to stop training and
   * resume on a new runtime from the last checkpoint (engine/io). Registered after the loss, `cb`
   * is called in a microtask. Returns a function that unregisters it.
   */
  onDeviceLost(cb: (error: DeviceLostError) => void): () => void {
    return this.health.onLost(cb);
  }

  /** The error of a lost device, or null while the device works. */
  get deviceLost(): DeviceLostError | null {
    return this.health.lost;
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

  /**
   * A shader of the registry, or one {@link registerShaders} added, by name: compiled now if this
   * runtime has not compiled it yet (a compile error the WGSL parser does not catch is thrown at
   * the next `sync`, `ready` or read-back; {@link prepare} rejects with it instead).
   */
  kernel(name: ShaderKey): Kernel {
    this.assertUsable();
    return this.shaders.kernel(name);
  }

  /**
   * Adds shaders to this runtime by name (`{ source, uses? }` entries, as in shaders/index.ts):
   * kernels the library does not ship, such as the bench's ceilings (bench/kernels.ts). Nothing is
   * compiled until they are used. Registering the same WGSL under a name again is a no-op; other
   * WGSL under a name the runtime knows is an {@link ArgumentError}.
   */
  async registerShaders(table: Readonly<Record<string, ShaderEntry>>): Promise<void> {
    this.assertUsable();
    await this.shaders.register(table);
  }

  /**
   * Makes shader modules and pipelines ahead of their first dispatch, with
   * `createComputePipelineAsync` (./prepare.ts), and resolves when they exist: a dispatch of them
   * then creates nothing while the caller waits. A shader name or kernel alone compiles its
   * module; `{ shader, entry, overrides }` also creates that pipeline. Rejects with the {@link ShaderCompileError} or {@link PipelineError} of what could not be made,
   * naming the file and entry point.
   */
  async prepare(targets: readonly PrepareTarget[]): Promise<PrepareResult> {
    this.assertUsable();
    const before = this.shaders.stats().async;
    const result = await prepareTargets(this.shaders, targets);
    this.work.pipelines += this.shaders.stats().async - before;
    return result;
  }

  /**
   * What this runtime has compiled: the registry shaders by name, shader modules, and pipelines by
   * how they were made (`sync`: at a dispatch that found none; `async`: by {@link prepare}).
   */
  pipelineStats(): PipelineStats {
    return this.shaders.stats();
  }

  // ---- services ------------------------------------------------------------------------------

  /**
   * The runtime's one instance of a service (./services.ts): per-runtime state such as a status
   * buffer or a cache, created by `factory(this)` on first use and kept for the runtime's life. Its
   * `dispose()`, if it has one, is called when the runtime is disposed (last created first). Throws
   * once the runtime is disposed or its device lost.
   */
  service<T>(key: ServiceKey<T>, factory: (rt: Runtime) => T): T {
    this.assertUsable();
    if (typeof factory !== 'function') throw new ArgumentError(`service "${key?.name}": expected a factory function, got ${describeValue(factory)}`);
    return this.services.get(key, () => factory(this));
  }

  /**
   * @internal The service of `key` if it was created and the runtime not disposed, else undefined;
   * never creates one and never throws (for look-ups that must work on a lost device).
   */
  findService<T>(key: ServiceKey<T>): T | undefined {
    return this.services.find(key);
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
    if (this.health.destroyed) return;
    this.pool.release(buf);
    // A long recording that frees many buffers submits early, so they can be reused instead of
    // new ones being created (and the extras destroyed) while the batch is still open.
    if (this.pool.stats().pendingBuffers >= this.pool.capPerBucket && !this.health.lost) this.flush();
  }

  // ---- recording and submitting --------------------------------------------------------------

  /** Records one dispatch into the current batch. Nothing runs until the batch is flushed. */
  dispatch(spec: DispatchSpec): void {
    this.assertUsable();
    const kernel = typeof spec.shader === 'string' ? this.kernel(spec.shader) : spec.shader;
    if (typeof spec.shader !== 'string') this.shaders.noteKernel(kernel);
    const entry = kernel.entry(spec.entry);
    const where = `${kernel.file} @compute ${spec.entry}`;
    const grid = checkGrid(where, spec.workgroups, this.device.limits.maxComputeWorkgroupsPerDimension);
    this.assertRoomInFlight(`dispatch ${where}`);
    const before = kernel.pipelineCount;
    const pipeline = kernel.pipeline(spec.entry, spec.overrides, (error) => this.health.report(error));
    this.work.pipelines += kernel.pipelineCount - before;
    const resolved = resolveBindings(where, entry, spec, this.uniforms);
    if (this.debug) {
      const ov = spec.overrides && Object.keys(spec.overrides).length ? ` ${JSON.stringify(spec.overrides)}` : '';
      console.log(`[dispatch] ${where}${ov} grid=[${grid.join(', ')}]`);
    }
    if (grid.includes(0)) return;
    const bindGroup = this.bindGroups.get(entry.layout, resolved.entries);
    const encode = (pass: GPUComputePassEncoder): void => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup, resolved.dynamicOffsets);
      pass.dispatchWorkgroups(...grid);
    };
    this.work.dispatches++;
    this.batchDispatches++;
    if (this.profiler.active) {
      this.profiler.dispatch(encode, { file: kernel.file, spec, entry, grid, pipeline, resolved });
      return;
    }
    encode(this.computePass());
    // A batch that is never flushed grows its command buffer without bound; submit it in parts.
    if (this.batchDispatches >= MAX_BATCH_DISPATCHES) this.flush();
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
    this.profiler.afterSubmit();
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
    this.profiler.start(options);
  }

  /** Stops recording, submits the batch, reads the timestamps back and returns the profile. */
  async stopProfile(): Promise<Profile> {
    const profile = await this.profiler.stop();
    this.throwPending();
    return profile;
  }

  /** Profiles the work `fn` records (see {@link startProfile}); if `fn` throws, the recording is dropped. */
  async profile(fn: () => void | Promise<void>, options: ProfileOptions = {}): Promise<Profile> {
    this.startProfile(options);
    try {
      await fn();
    } catch (e) {
      this.profiler.abandon();
      throw e;
    }
    return this.stopProfile();
  }

  /** Whether a profile is recording. */
  get profiling(): boolean {
    return this.profiler.active;
  }

  private throwPending(): void {
    this.health.throwPending();
  }

  private assertUsable(): void {
    this.health.assertUsable();
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

  /**
   * Disposes the runtime's services ({@link service}), then destroys the device. In Node this lets
   * the process exit. If a service's `dispose` throws, the rest is still torn down and the error
   * is thrown after.
   */
  destroy(): void {
    if (this.health.destroyed) return;
    try {
      // First, while the runtime still works: a service's dispose may free tensors.
      this.services.disposeAll();
    } finally {
      this.health.destroyed = true;
      this.pool.trim();
      this.bindGroups.clear();
      this.staging.trim();
      this.device.destroy();
    }
  }
}
