/**
 * The buffer store: a model's non-trained state (batch norm's running statistics) in ONE GPU
 * buffer, each buffer a view at an aligned offset, so that a snapshot (early stopping) or a
 * checkpoint of the model's state is one copy, as for the parameter arena.
 */
import { fill } from '../ops/elementwise';
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, shapeSize, type Tensor } from '../runtime/tensor';
import type { BufferSpec } from './layer';

/** A buffer placed in the store. */
export interface StoredBuffer extends BufferSpec {
  /** First element in the store. */
  readonly offset: number;
  readonly size: number;
  /** The buffer: a view into {@link BufferStore.values}. */
  readonly value: Tensor<'f32'>;
}

/** Non-trained buffers of a model in one GPU buffer. */
export class BufferStore {
  private readonly byName = new Map<string, StoredBuffer>();
  private disposed = false;

  private constructor(
    readonly rt: Runtime,
    readonly buffers: readonly StoredBuffer[],
    /** Elements, padding included. */
    readonly length: number,
    /** Every buffer's values, shape [length]. */
    readonly values: Tensor<'f32'>,
  ) {
    for (const b of buffers) this.byName.set(b.name, b);
  }

  /** Lays out `specs` (zero-filled); an empty list gives an empty store. */
  static create(rt: Runtime, specs: readonly BufferSpec[]): BufferStore {
    const align = Math.max(64, rt.device.limits.minStorageBufferOffsetAlignment / 4);
    const placed: { spec: BufferSpec; offset: number; size: number }[] = [];
    let offset = 0;
    for (const spec of specs) {
      if (placed.some((p) => p.spec.name === spec.name)) throw new ArgumentError(`BufferStore: duplicate buffer name "${spec.name}"`);
      const size = shapeSize(spec.shape, `BufferStore: ${spec.name} shape`);
      placed.push({ spec, offset, size });
      offset += Math.ceil(Math.max(size, 1) / align) * align;
    }
    const length = Math.max(offset, align);
    const values = fill(rt.empty([length]), 0);
    const buffers = placed.map((p) => ({ ...p.spec, offset: p.offset, size: p.size, value: rt.slice(values, p.offset * 4, p.spec.shape) }));
    return new BufferStore(rt, buffers, length, values);
  }

  /** The buffer called `name`. */
  buffer(name: string): StoredBuffer {
    const b = this.byName.get(name);
    if (!b) throw new ArgumentError(`BufferStore: no buffer "${name}" (have: ${[...this.byName.keys()].join(', ') || 'none'})`);
    return b;
  }

  /** Writes the values of one buffer (after pending work, in program order). */
  setValues(name: string, data: ArrayLike<number>): void {
    this.assertAlive('setValues');
    const b = this.buffer(name);
    if (data.length !== b.size) throw new ShapeError(`BufferStore.setValues: ${name} ${fmtShape(b.shape)} needs ${b.size} values, got ${data.length}`);
    const arr = Float32Array.from(data);
    this.rt.flush();
    this.rt.device.queue.writeBuffer(this.values.buffer, this.values.byteOffset + b.offset * 4, arr.buffer, arr.byteOffset, arr.byteLength);
  }

  /** A copy of every buffer (one GPU copy). */
  snapshot(): Tensor<'f32'> {
    this.assertAlive('snapshot');
    const s = this.rt.empty([this.length]);
    this.rt.copy(this.values, s, this.length * 4);
    return s;
  }

  /** Copies a {@link snapshot} back (one GPU copy). */
  restore(snapshot: Tensor): void {
    this.assertAlive('restore');
    if (snapshot.size !== this.length) throw new ShapeError(`BufferStore.restore: the snapshot is ${fmtShape(snapshot.shape)}, the store [${this.length}]`);
    this.rt.copy(snapshot, this.values, this.length * 4);
  }

  /** Frees the store and its views. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers) b.value.dispose();
    this.values.dispose();
  }

  private assertAlive(op: string): void {
    if (this.disposed) throw new ArgumentError(`BufferStore.${op}: the store was disposed`);
  }
}
