/**
 * Tensors that live in GPU buffers: a shape, a dtype and a pooled buffer. Data comes back to the
 * CPU only through the async {@link Tensor.toArray}. A disposed tensor throws on every use.
 */
import { describeValue, DisposedTensorError, ShapeError } from './errors';
import type { Runtime } from './runtime';

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

/** Per runtime: a check to run after each readback (see {@link setReadbackCheck}). */
const readbackChecks = new WeakMap<Runtime, () => Promise<void>>();

/**
 * @internal Sets (or clears, with null) a check that {@link Tensor.toArray} runs after reading any
 * tensor of `rt`: how errors found on the GPU without a readback of their own (integer labels out
 * of range, engine/ops/softmax_xent.ts) reach the caller at the next readback, e.g. of the loss.
 */
export function setReadbackCheck(rt: Runtime, check: (() => Promise<void>) | null): void {
  if (check) readbackChecks.set(rt, check);
  else readbackChecks.delete(rt);
}

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
   * found in work recorded before (e.g. a label out of range, {@link setReadbackCheck}).
   */
  async toArray(): Promise<TypedArrayOf<D>> {
    this.assertAlive('toArray');
    // The check's own small readback runs alongside this one.
    const [data] = await Promise.all([this.runtime.read(this), readbackChecks.get(this.runtime)?.()]);
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
