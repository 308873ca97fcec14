/**
 * A sequential model whose parameters live in one arena and whose non-trained buffers live in one
 * store: the layers declare both, the model lays them out, hands each layer its parameters as tape
 * leaves whose gradients add into the arena in place (and its buffers as views), and writes the
 * seeded initial values. One optimizer step then updates the whole model with one dispatch, and a
 * snapshot of the model's whole state is two GPU copies.
 */
import { param } from '../autograd/tape';
import type { Var } from '../autograd/var';
import { SeededRng } from '../data/rng';
import { matmulHasMaskEpilogue } from '../ops/matmul';
import { ParamArena } from '../optim/arena';
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import type { Tensor } from '../runtime/tensor';
import { BufferStore } from './buffers';
import type { ForwardContext, Layer } from './layer';
import { forwardLayers } from './linear';

/** Options of {@link Sequential.create}. */
export interface SequentialOptions {
  /** Seeds the initial weights (default 1). */
  seed?: number;
}

/** A copy of a model's parameters and buffers on the GPU (early stopping keeps the best one). */
export interface ModelSnapshot {
  readonly params: Tensor<'f32'>;
  readonly buffers: Tensor<'f32'>;
  dispose(): void;
}

/** A model's state on the CPU, by name: what a checkpoint holds. */
export interface ModelState {
  params: Record<string, Float32Array>;
  buffers: Record<string, Float32Array>;
}

/** Layers applied in order, with their parameters in one arena and their buffers in one store. */
export class Sequential {
  private constructor(
    readonly layers: readonly Layer[],
    readonly arena: ParamArena,
    /** The parameters as tape leaves, by name (e.g. `fc1.weight`). */
    readonly params: ReadonlyMap<string, Var>,
    /** Non-trained state (batch norm's running statistics); empty for most models. */
    readonly buffers: BufferStore,
    /** The seed of the initial values. */
    readonly seed: number,
  ) {}

  private fuseSetting: boolean | undefined;

  /**
   * Whether {@link forward} fuses runs of Linear layers and the dropout between them into one op
   * (dropout in the matmul epilogues; see `forwardLayers` in ./linear). Default: true where the
   * adapter's matmul kernels have the dropout epilogue (the software adapters' tables), false where
   * they do not (the tiled kernel of real GPUs), so that fusion never moves a product onto a slower
   * kernel. A BatchNorm with the Relu after it runs as one op (the ReLU in batch norm's kernels)
   * either way, unless `fuse` was set to false: then every layer runs its own `forward` (the same
   * values; a reference for tests and benchmarks).
   */
  get fuse(): boolean {
    return this.fuseSetting ?? matmulHasMaskEpilogue(this.arena.rt);
  }

  set fuse(on: boolean) {
    this.fuseSetting = on;
  }

  /** Lays out the layers' parameters and buffers and initializes them from `seed`. */
  static create(rt: Runtime, layers: readonly Layer[], opts: SequentialOptions = {}): Sequential {
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) throw new ArgumentError(`Sequential: two layers are called "${l.name}"`);
      names.add(l.name);
    }
    const arena = ParamArena.create(
      rt,
      layers.flatMap((l) => l.params()),
    );
    const buffers = BufferStore.create(
      rt,
      layers.flatMap((l) => l.buffers?.() ?? []),
    );
    const params = new Map<string, Var>(arena.params.map((p) => [p.name, param(p.value, p.grad, p.name)]));
    const seed = opts.seed ?? 1;
    const rng = new SeededRng(seed, 2);
    for (const l of layers) {
      l.bind((name) => {
        const v = params.get(name);
        if (!v) throw new ArgumentError(`Sequential: layer ${l.name} asked for an undeclared parameter "${name}"`);
        return v;
      });
      l.bindBuffers?.((name) => buffers.buffer(name).value);
      for (const [name, values] of l.initialValues(rng)) arena.setValues(name, values);
      for (const [name, values] of l.initialBuffers?.() ?? []) buffers.setValues(name, values);
    }
    return new Sequential(layers, arena, params, buffers, seed);
  }

  /** The layers' composition (runs of Linear layers fused while {@link fuse} is on; see it for batch norm's ReLU). */
  forward(x: Var, ctx: ForwardContext): Var {
    if (this.fuseSetting === false) return this.layers.reduce((h, l) => l.forward(h, ctx), x);
    return forwardLayers(this.layers, x, ctx, { linear: this.fuse });
  }

  /** The layer called `name`; throws naming the layers if there is none. */
  layer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new ArgumentError(`Sequential: no layer "${name}" (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  /** Zeroes every parameter's gradient (one dispatch). */
  zeroGrads(): void {
    this.arena.zeroGrads();
  }

  /** A GPU copy of every parameter and buffer (two buffer copies, no readback). */
  snapshot(): ModelSnapshot {
    const params = this.arena.snapshot();
    const buffers = this.buffers.snapshot();
    return {
      params,
      buffers,
      dispose: () => {
        params.dispose();
        buffers.dispose();
      },
    };
  }

  /** Copies a {@link snapshot} back into the parameters and buffers (two buffer copies). */
  restore(s: ModelSnapshot): void {
    this.arena.restore(s.params);
    this.buffers.restore(s.buffers);
  }

  /** Reads every parameter and buffer back, by name: a checkpoint. */
  async exportState(): Promise<ModelState> {
    const [values, bufs] = await Promise.all([this.arena.values.toArray(), this.buffers.values.toArray()]);
    const params: Record<string, Float32Array> = {};
    for (const p of this.arena.params) params[p.name] = values.slice(p.offset, p.offset + p.size);
    const buffers: Record<string, Float32Array> = {};
    for (const b of this.buffers.buffers) buffers[b.name] = bufs.slice(b.offset, b.offset + b.size);
    return { params, buffers };
  }

  /** Writes a checkpoint back; every parameter and buffer of the model must be in it. */
  loadState(state: ModelState): void {
    for (const p of this.arena.params) {
      const v = state.params[p.name];
      if (!v) throw new ShapeError(`Sequential.loadState: the state has no parameter "${p.name}"`);
      this.arena.setValues(p.name, v);
    }
    for (const b of this.buffers.buffers) {
      const v = state.buffers[b.name];
      if (!v) throw new ShapeError(`Sequential.loadState: the state has no buffer "${b.name}"`);
      this.buffers.setValues(b.name, v);
    }
  }

  /** Frees the arena and the buffer store. */
  dispose(): void {
    this.arena.dispose();
    this.buffers.dispose();
  }
}
