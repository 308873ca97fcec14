/**
 * A cache of bind groups, so that a training step that binds the same buffers as the step before
 * creates no new native object. Dawn frees a bind group only when the device ticks, and in Node it
 * ticks only while the event loop runs: a loop that records every step and never awaits would
 * otherwise keep every step's bind groups (several KB each) until the process runs out of memory.
 *
 * A key is the layout and each binding's buffer, offset and size. The uniform binding is dynamic
 * (its offset is given at `setBindGroup`), so the per-dispatch uniform offset is not part of it.
 * The cache is bounded (least recently used entries go first), and the entries of a buffer are
 * dropped when the buffer is destroyed, so it never holds a destroyed buffer.
 */

/** One entry of a bind group whose resource is a buffer range. */
export interface BufferEntry {
  binding: number;
  resource: GPUBufferBinding;
}

interface Cached {
  group: GPUBindGroup;
  buffers: readonly GPUBuffer[];
}

/** Counters of a {@link BindGroupCache}. */
export interface BindGroupCacheStats {
  /** Bind groups created since the cache was made (a miss creates one). */
  created: number;
  /** Lookups that found a bind group. */
  hits: number;
  /** Bind groups held now. */
  size: number;
}

/** Bind groups by (layout, buffer ranges), least recently used first out. */
export class BindGroupCache {
  private readonly groups = new Map<string, Cached>();
  private readonly keysOf = new Map<GPUBuffer, Set<string>>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private created = 0;
  private hits = 0;

  /**
   * @param device the device that creates the bind groups
   * @param capacity the most bind groups held; 0 turns the cache off (a new bind group per lookup)
   */
  constructor(
    private readonly device: GPUDevice,
    readonly capacity = 1024,
  ) {}

  /** The bind group of `layout` over these entries (sorted by binding), created on a miss. */
  get(layout: GPUBindGroupLayout, entries: BufferEntry[]): GPUBindGroup {
    if (this.capacity <= 0) {
      this.created++;
      return this.device.createBindGroup({ layout, entries });
    }
    let key = `${this.id(layout)}`;
    for (const e of entries) {
      const r = e.resource;
      key += `|${e.binding}:${this.id(r.buffer)}:${r.offset ?? 0}:${r.size ?? -1}`;
    }
    const hit = this.groups.get(key);
    if (hit) {
      this.hits++;
      // Map iteration order is insertion order: re-inserting makes this the most recently used.
      this.groups.delete(key);
      this.groups.set(key, hit);
      return hit.group;
    }
    const group = this.device.createBindGroup({ layout, entries });
    this.created++;
    const buffers = entries.map((e) => e.resource.buffer);
    this.groups.set(key, { group, buffers });
    for (const b of buffers) {
      let keys = this.keysOf.get(b);
      if (!keys) {
        keys = new Set();
        this.keysOf.set(b, keys);
      }
      keys.add(key);
    }
    if (this.groups.size > this.capacity) this.evict(this.groups.keys().next().value as string);
    return group;
  }

  /** Forgets every bind group that uses `buffer` (call before or when it is destroyed). */
  dropBuffer(buffer: GPUBuffer): void {
    const keys = this.keysOf.get(buffer);
    if (!keys) return;
    for (const k of [...keys]) this.evict(k);
  }

  /** Whether some cached bind group uses `buffer`. */
  holds(buffer: GPUBuffer): boolean {
    return this.keysOf.has(buffer);
  }

  /** Forgets everything. */
  clear(): void {
    this.groups.clear();
    this.keysOf.clear();
  }

  /** Created, hit and held bind groups. */
  stats(): BindGroupCacheStats {
    return { created: this.created, hits: this.hits, size: this.groups.size };
  }

  private evict(key: string): void {
    const c = this.groups.get(key);
    if (!c) return;
    this.groups.delete(key);
    for (const b of c.buffers) {
      const keys = this.keysOf.get(b);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysOf.delete(b);
    }
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }
}
