/**
 * Uniform data of a batch of dispatches, packed into 64 KiB chunks at the device's uniform offset
 * alignment and uploaded with one `writeBuffer` per chunk right before the batch is submitted.
 */

const CHUNK_BYTES = 64 * 1024;

interface Chunk {
  buffer: GPUBuffer;
  data: ArrayBuffer;
  view: DataView;
  used: number;
}

/** Where one dispatch's uniforms live. */
export interface UniformSlot {
  buffer: GPUBuffer;
  offset: number;
  view: DataView;
  /** Byte offset of the slot inside `view`. */
  base: number;
}

/** Per-batch uniform storage. */
export class UniformArena {
  private readonly free: Chunk[] = [];
  private active: Chunk[] = [];
  private readonly align: number;

  constructor(private readonly device: GPUDevice) {
    this.align = device.limits.minUniformBufferOffsetAlignment;
  }

  /** Reserves `size` bytes for one dispatch. */
  alloc(size: number): UniformSlot {
    let chunk = this.active[this.active.length - 1];
    const start = chunk ? Math.ceil(chunk.used / this.align) * this.align : 0;
    if (!chunk || start + size > CHUNK_BYTES) {
      chunk = this.free.pop() ?? this.newChunk();
      chunk.used = 0;
      this.active.push(chunk);
      return this.take(chunk, 0, size);
    }
    return this.take(chunk, start, size);
  }

  private take(chunk: Chunk, start: number, size: number): UniformSlot {
    new Uint8Array(chunk.data, start, size).fill(0);
    chunk.used = start + size;
    return { buffer: chunk.buffer, offset: start, view: chunk.view, base: start };
  }

  private newChunk(): Chunk {
    const data = new ArrayBuffer(CHUNK_BYTES);
    const buffer = this.device.createBuffer({ size: CHUNK_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniforms' });
    return { buffer, data, view: new DataView(data), used: 0 };
  }

  /** Uploads this batch's uniforms; call right before `queue.submit`. */
  upload(queue: GPUQueue): void {
    for (const c of this.active) queue.writeBuffer(c.buffer, 0, c.data, 0, Math.ceil(c.used / 4) * 4);
  }

  /** After the submit, the chunks can take the next batch (queue order keeps the next upload after it). */
  afterSubmit(): void {
    this.free.push(...this.active);
    this.active = [];
  }
}
