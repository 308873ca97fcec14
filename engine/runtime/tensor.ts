/**
 * Tensors that live in GPU buffers: a shape, a dtype and a pooled buffer. Data comes back to the
 * CPU only through the async {@link Tensor.toArray}. A disposed tensor throws on every use.
 */
import { ArgumentError, describeValue, DisposedTensorError, ShapeError } from './errors';
import type { Runtime } from './runtime';
import { serviceKey } from './services';

/** Element types: f32 for values, u32/i32 for labels and indices. */
export type DType = 'f32' | 'u32' | 'i32';

/** The typed array of each dtype. */
export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'u32' ? Uint32Array : Int32Array;

/** Any typed array a tensor reads back as. */
export type TensorData = Float32Array | Uint32Array | Int32Array;

/**
 * Number of elements of a shape; throws {@link ShapeError} for anything but a list of non-negative
 * integers, or a product past 2^53 (no tensor is that large, and the count would be inexact).
 */
export function shapeSize(shape: readonly number[], what = 'shape'): number {
  if (!Array.isArray(shape)) throw new ShapeError(`${what} must be a list of dimensions, got ${describeValue(shape)}`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${what} ${fmtShape(shape)} has an invalid dimension ${describeValue(d)}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new ShapeError(`${what} ${fmtShape(shape)} has more elements than any tensor can (${n})`);
  return n;
}

/** `[2, 3]` — shapes in messages (the first 8 dimensions of a longer one; anything but a number named by its kind). */
export function fmtShape(shape: readonly number[]): string {
  const dims = shape.slice(0, 8).map((d) => (typeof d === 'number' ? String(d) : describeValue(d)));
  return `[${dims.join(', ')}${shape.length > 8 ? `, … (${shape.length} dimensions)` : ''}]`;
}

let nextId = 1;

/**
 * @internal The checks {@link Tensor.toArray} runs after reading any tensor of the runtime: how
 * errors found on the GPU without a readback of their own (integer labels out of range,
 * engine/ops/softmax-xent.ts) reach the caller at the next readback, e.g. of the loss. A service of
 * the runtime ({@link READBACK_CHECKS}); a module adds its check once and removes it when done.
 */
export class ReadbackChecks {
  private readonly checks = new Set<() => Promise<void>>();

  /** Adds a check; returns a function that removes it. */
  add(check: () => Promise<void>): () => void {
    this.checks.add(check);
    return () => void this.checks.delete(check);
  }

  /** Runs every check; rejects with the first error one throws. */
  async run(): Promise<void> {
    if (this.checks.size > 0) await Promise.all([...this.checks].map((c) => c()));
  }
}

/** @internal The runtime's {@link ReadbackChecks}. */
export const READBACK_CHECKS = serviceKey<ReadbackChecks>('readback-checks');

/** Receives every tensor made while set (see `tidy` in engine/autograd/scope.ts). */
let tracker: ((t: Tensor) => void) | null = null;

/**
 * @internal Sets the function told about every new tensor (or null), returning the previous one:
 * how `tidy` finds the tensors that raw ops made inside it.
 */
export function setTensorTracker(f: ((t: Tensor) => void) | null): ((t: Tensor) => void) | null {
  const prev = tracker;
  tracker = f;
  return prev;
}

/** A tensor: an n-dimensional array of f32/u32/i32 in a GPU buffer. */
export class Tensor<D extends DType = DType> {
  /** Unique per process; useful in DEBUG output and autograd. */
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  private buf: GPUBuffer | null;

  /** @internal Use `runtime.tensor()`, `runtime.empty()` or an op to make tensors. */
  constructor(
    readonly runtime: Runtime,
    buffer: GPUBuffer,
    shape: readonly number[],
    readonly dtype: D,
    /** Where the data starts in {@link buffer} (non-zero for views into an arena). */
    readonly byteOffset = 0,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.buf = buffer;
    tracker?.(this);
  }

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Bytes of data (4 per element). */
  get byteLength(): number {
    return this.size * 4;
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.buf === null;
  }

  /** The GPU buffer (may be bigger than {@link byteLength}: pool buckets, arenas). Throws if disposed. */
  get buffer(): GPUBuffer {
    if (!this.buf) throw new DisposedTensorError(`tensor #${this.id} ${fmtShape(this.shape)} ${this.dtype}`);
    return this.buf;
  }

  /** A binding of exactly this tensor's bytes (at least 4, the smallest bindable size). */
  binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: this.byteOffset, size: Math.max(4, this.byteLength) };
  }

  /** Throws {@link DisposedTensorError} naming `op` if the tensor was disposed. */
  assertAlive(op: string): void {
    if (!this.buf) throw new DisposedTensorError(`${op}: tensor #${this.id} ${fmtShape(this.shape)} ${this.dtype}`);
  }

  /**
   * Copies the data back to the CPU (flushes pending GPU work first). Also throws an error the GPU
   * found in work recorded before (e.g. a label out of range, {@link ReadbackChecks}).
   */
  async toArray(): Promise<TypedArrayOf<D>> {
    this.assertAlive('toArray');
    // The check's own small readback runs alongside this one.
    const [data] = await Promise.all([this.runtime.read(this), this.runtime.findService(READBACK_CHECKS)?.run()]);
    return data as TypedArrayOf<D>;
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError(`item() needs a tensor of one element, got ${fmtShape(this.shape)}`);
    return (await this.toArray())[0];
  }

  /** Returns the buffer to the pool. Safe to call twice. */
  dispose(): void {
    if (!this.buf) return;
    this.runtime.releaseTensorBuffer(this.buf);
    this.buf = null;
  }

  toString(): string {
    return `Tensor#${this.id}(${fmtShape(this.shape)}, ${this.dtype}${this.buf ? '' : ', disposed'})`;
  }
}

/**
 * @internal `data` as the typed array of `dtype`, for upload. Integer dtypes take only integers in their range
 * (u32: [0, 2^32 − 1], i32: [−2^31, 2^31 − 1]); anything else — 1.5, −1 as a u32, NaN, 2^32 + 7 — is
 * refused with its index instead of being truncated or wrapped. Plain arrays must hold numbers.
 */
export function hostArray(data: ArrayLike<number>, dtype: DType): Float32Array | Uint32Array | Int32Array {
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
