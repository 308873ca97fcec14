/**
 * The parameter arena: every parameter of a model in ONE GPU buffer, every gradient in another of
 * the same layout, each optimizer state in one more. Each parameter is a view (`rt.slice`) at an
 * offset in the arena, so layers and the tape see ordinary tensors, while the optimizer updates all
 * of them with one dispatch (shaders/update_chain.wgsl), early stopping snapshots the best weights with one
 * copy, and gradients are zeroed with one fill.
 *
 * Layout: parameters in the order given, each starting on a chunk boundary of {@link ARENA_CHUNK}
 * elements (256 bytes, which is also a multiple of the storage offset alignment, so every view can
 * be bound). The rest of a parameter's last chunk is padding; padding is zero and stays zero (the
 * update kernels leave lanes past a parameter's end unchanged).
 *
 * Segment lookup, per element, in the kernels: `chunks[i / 64]` is the record `{ end, coefficient }`
 * of the parameter that owns the element's chunk ({@link ParamArena.chunkTable}): one load from a
 * table of a few words per 64 elements, no search (shaders/update_chain.wgsl says what was measured against it).
 */
import { fill } from '../ops/elementwise';
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, shapeSize, type Tensor } from '../runtime/tensor';

/** Elements per chunk: the granularity of the arena's layout and of its segment table. */
export const ARENA_CHUNK = 64;

/**
 * What a parameter is, for regularizers: penalties touch weights by default and leave biases (and
 * the scales of normalization layers) alone (chapter 7.1).
 */
export type ParamRole = 'weight' | 'bias' | 'scale';

/** One parameter of a model, as declared by its layer. */
export interface ParamSpec {
  /** Unique within the arena, e.g. `fc1.weight`. */
  name: string;
  shape: readonly number[];
  role: ParamRole;
  /** The layer it belongs to (per-layer coefficients select on it). */
  layer: string | number;
  /** This tensor's L2 / weight-decay coefficient, overriding an optimizer's global one. */
  l2?: number;
}

/** A parameter placed in the arena. */
export interface ArenaParam extends ParamSpec {
  /** Position in the arena's parameter list (its segment number). */
  readonly index: number;
  /** First element in the arena (a multiple of {@link ARENA_CHUNK}). */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
  /** Elements reserved, padding included (a multiple of {@link ARENA_CHUNK}). */
  readonly paddedSize: number;
  /** The value: a view into {@link ParamArena.values}. */
  readonly value: Tensor<'f32'>;
  /** The gradient: a view into {@link ParamArena.grads} (the tape adds into it in place). */
  readonly grad: Tensor<'f32'>;
}

/** A per-parameter coefficient: a number for all, or a function of the parameter. */
export type PerParam = number | ((p: ArenaParam) => number);

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** A model's parameters, gradients and segment table in single GPU buffers. */
export class ParamArena {
  private readonly byName = new Map<string, ArenaParam>();
  private disposed = false;

  private constructor(
    readonly rt: Runtime,
    /** The parameters in arena order. */
    readonly params: readonly ArenaParam[],
    /** Elements in the arena, padding included (a multiple of {@link ARENA_CHUNK}). */
    readonly length: number,
    /** All values, padding included: shape `[length]`. */
    readonly values: Tensor<'f32'>,
    /** All gradients, same layout. */
    readonly grads: Tensor<'f32'>,
  ) {
    for (const p of params) this.byName.set(p.name, p);
  }

  /**
   * Lays out `specs` in one arena, with values and gradients zero. Throws on an empty list,
   * duplicate names, bad shapes, unknown roles or a negative / non-finite `l2`.
   */
  static create(rt: Runtime, specs: readonly ParamSpec[]): ParamArena {
    if (specs.length === 0) throw new ArgumentError('ParamArena.create: no parameters given');
    // Both adapters here report 256 bytes; a device with a coarser alignment gets coarser chunks' padding.
    const alignElems = Math.max(ARENA_CHUNK, rt.device.limits.minStorageBufferOffsetAlignment / 4);
    const seen = new Set<string>();
    const placed: { spec: ParamSpec; offset: number; size: number; paddedSize: number }[] = [];
    let offset = 0;
    for (const spec of specs) {
      if (seen.has(spec.name)) throw new ArgumentError(`ParamArena.create: duplicate parameter name "${spec.name}"`);
      seen.add(spec.name);
      if (spec.role !== 'weight' && spec.role !== 'bias' && spec.role !== 'scale')
        throw new ArgumentError(`ParamArena.create: ${spec.name} has role "${String(spec.role)}" (weight, bias or scale)`);
      if (spec.l2 !== undefined && !(Number.isFinite(spec.l2) && spec.l2 >= 0))
        throw new ArgumentError(`ParamArena.create: ${spec.name} has l2 = ${spec.l2} (a finite number ≥ 0)`);
      const size = shapeSize(spec.shape, `ParamArena.create: ${spec.name} shape`);
      const paddedSize = roundUp(Math.max(size, 1), alignElems);
      placed.push({ spec, offset, size, paddedSize });
      offset += paddedSize;
    }
    const length = offset;
    const maxBytes = rt.device.limits.maxStorageBufferBindingSize;
    if (length * 4 > maxBytes)
      throw new ShapeError(`ParamArena.create: ${length} elements (${length * 4} bytes) exceed the device's largest storage binding (${maxBytes} bytes)`);

    const values = fill(rt.empty([length]), 0);
    const grads = fill(rt.empty([length]), 0);

    const params: ArenaParam[] = placed.map((p, index) => ({
      ...p.spec,
      shape: [...p.spec.shape],
      index,
      offset: p.offset,
      size: p.size,
      paddedSize: p.paddedSize,
      value: rt.slice(values, p.offset * 4, p.spec.shape),
      grad: rt.slice(grads, p.offset * 4, p.spec.shape),
    }));
    return new ParamArena(rt, params, length, values, grads);
  }

  /** The parameter called `name`; throws if there is none. */
  param(name: string): ArenaParam {
    const p = this.byName.get(name);
    if (!p) throw new ArgumentError(`ParamArena: no parameter "${name}" (have: ${[...this.byName.keys()].join(', ')})`);
    return p;
  }

  /**
   * Writes initial values of one parameter (e.g. He-initialized weights). Pending recorded work is
   * submitted first, so the write lands after it, in program order.
   */
  setValues(name: string, data: ArrayLike<number>): void {
    this.assertAlive('setValues');
    const p = this.param(name);
    if (data.length !== p.size) throw new ShapeError(`ParamArena.setValues: ${name} ${fmtShape(p.shape)} needs ${p.size} values, got ${data.length}`);
    const arr = Float32Array.from(data);
    this.rt.flush();
    this.rt.device.queue.writeBuffer(this.values.buffer, this.values.byteOffset + p.offset * 4, arr.buffer, arr.byteOffset, arr.byteLength);
  }

  /** Sets every gradient (and the gradients' padding) to zero: one dispatch. */
  zeroGrads(): void {
    this.assertAlive('zeroGrads');
    fill(this.grads, 0);
  }

  /** A copy of all values (one buffer copy), e.g. the best weights so far for early stopping. */
  snapshot(): Tensor<'f32'> {
    this.assertAlive('snapshot');
    const s = this.rt.empty([this.length]);
    this.rt.copy(this.values, s, this.length * 4);
    return s;
  }

  /** Copies a {@link snapshot} back into the values (one buffer copy). The snapshot stays valid. */
  restore(snapshot: Tensor): void {
    this.assertAlive('restore');
    snapshot.assertAlive('ParamArena.restore');
    if (snapshot.size !== this.length || snapshot.dtype !== 'f32') {
      throw new ShapeError(`ParamArena.restore: the snapshot is ${fmtShape(snapshot.shape)} ${snapshot.dtype}, the arena ${fmtShape([this.length])} f32`);
    }
    if (snapshot.buffer === this.values.buffer) throw new ArgumentError('ParamArena.restore: the snapshot is the arena itself');
    this.rt.copy(snapshot, this.values, this.length * 4);
  }

  /** A zero-filled tensor with the arena's layout, for an optimizer state (momentum, Adam moments). */
  zerosLike(): Tensor<'f32'> {
    this.assertAlive('zerosLike');
    return fill(this.rt.empty([this.length]), 0);
  }

  /**
   * The table the kernels read as `chunks`: for each chunk of {@link ARENA_CHUNK} elements, the
   * record `{ end: u32, coefficient: f32 }` of the parameter that owns it (`end`: the first element
   * past the parameter). `coefficients` has one entry per parameter, in arena order. `only` builds
   * the table of one parameter alone (its chunks, `end` relative to its offset), for dispatches
   * over a view of just that parameter.
   */
  chunkTable(coefficients: readonly number[], only?: ArenaParam): Tensor<'u32'> {
    this.assertAlive('chunkTable');
    const words = this.chunkWords([coefficients], only);
    return this.rt.tensor(words, [words.length], 'u32');
  }

  /**
   * A chunk table with several coefficients per record, `{ end, c₀, c₁, … }` (one column per
   * coefficient, each one entry per parameter): the layout of shaders/update_chain.wgsl. `only`
   * builds the table of one parameter alone, as in {@link chunkTable}.
   */
  chunkTableColumns(columns: readonly (readonly number[])[], only?: ArenaParam): Tensor<'u32'> {
    this.assertAlive('chunkTableColumns');
    const words = this.chunkWords(columns, only);
    return this.rt.tensor(words, [words.length], 'u32');
  }

  /** Rewrites a table made by {@link chunkTableColumns} in place (after pending work, in order). */
  writeChunkTableColumns(table: Tensor<'u32'>, columns: readonly (readonly number[])[], only?: ArenaParam): void {
    this.assertAlive('writeChunkTableColumns');
    const words = this.chunkWords(columns, only);
    if (words.length !== table.size)
      throw new ShapeError(`ParamArena.writeChunkTableColumns: the table has ${table.size} words, the columns give ${words.length}`);
    this.rt.flush();
    this.rt.device.queue.writeBuffer(table.buffer, table.byteOffset, words.buffer, words.byteOffset, words.byteLength);
  }

  private chunkWords(columns: readonly (readonly number[])[], only?: ArenaParam): Uint32Array {
    for (const c of columns) {
      if (c.length !== this.params.length) throw new ArgumentError(`ParamArena.chunkTable: ${c.length} coefficients for ${this.params.length} parameters`);
    }
    const params = only ? [only] : this.params;
    const base = only ? only.offset : 0;
    const chunks = (only ? only.paddedSize : this.length) / ARENA_CHUNK;
    const stride = 1 + columns.length;
    const words = new Uint32Array(stride * chunks);
    const asFloat = new Float32Array(words.buffer);
    for (const p of params) {
      for (const col of columns) {
        if (!Number.isFinite(col[p.index])) throw new ArgumentError(`ParamArena.chunkTable: the coefficient of ${p.name} is ${col[p.index]}`);
      }
      for (let k = (p.offset - base) / ARENA_CHUNK; k < (p.offset - base + p.paddedSize) / ARENA_CHUNK; k++) {
        words[stride * k] = p.offset - base + p.size;
        columns.forEach((col, j) => {
          asFloat[stride * k + 1 + j] = col[p.index];
        });
      }
    }
    return words;
  }

  /**
   * The coefficient of each parameter. A function is called per parameter and has the last word
   * (it can read `p.l2`, `p.role`, `p.layer`). A number is the global coefficient of the weights;
   * biases and scales get 0, and for `kind` 'l2' (weight decay) a spec's own `l2` overrides both.
   */
  coefficients(global: PerParam, kind: 'l1' | 'l2'): number[] {
    return this.params.map((p) => {
      const own = kind === 'l2' ? p.l2 : undefined;
      const c = typeof global === 'function' ? global(p) : (own ?? (p.role !== 'weight' ? 0 : global));
      if (!(Number.isFinite(c) && c >= 0)) throw new ArgumentError(`ParamArena: the ${kind} coefficient of ${p.name} is ${c} (a finite number ≥ 0)`);
      return c;
    });
  }

  /** Frees the values, gradients and tables (and every parameter view). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) {
      p.value.dispose();
      p.grad.dispose();
    }
    this.values.dispose();
    this.grads.dispose();
  }

  private assertAlive(op: string): void {
    if (this.disposed) throw new ArgumentError(`ParamArena.${op}: the arena was disposed`);
  }
}
