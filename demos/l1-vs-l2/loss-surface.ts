/**
 * The data loss of the MNIST model as a function of two of its real weights, on a grid, on the GPU.
 * For each grid point the two weights are written into the parameter arena (two 4-byte writes, no
 * kernel), the model runs forward without a tape on a fixed batch of training digits, and the mean
 * cross-entropy is copied into slot k of one results buffer; all losses come back in ONE readback at
 * the end. The arena is snapshotted first and restored afterwards with a buffer copy, so the model's
 * weights are bit-for-bit what they were.
 */
import { ag, constant, evaluate, GpuDataset, noGrad, tidy, type Runtime, type Sequential } from 'webgpu-regularization';

/** One of the two weights: an entry (row, col) of a weight matrix [in, out] of the model. */
export interface WeightPick {
  /** The parameter, e.g. `fc1.weight` ([784, hidden]) or `fc2.weight` ([hidden, 10]). */
  param: string;
  row: number;
  col: number;
}

/** A computed surface. */
export interface LossSurface {
  picks: [WeightPick, WeightPick];
  /** Grid points per axis (odd: the middle one is the current value exactly). */
  size: number;
  /** The grid values of weight A (x) and weight B (y), f32-exact. */
  xs: number[];
  ys: number[];
  /** losses[j * size + i]: the loss with A = xs[i], B = ys[j]. */
  losses: number[];
  /** The weights' values when the surface was computed. */
  current: [number, number];
  /** The loss at the current weights, by the engine's `evaluate` (a separate code path). */
  currentLoss: number;
  /** Half-width of the grid around the current values. */
  halfWidth: number;
  /** Training step at which it was computed. */
  step: number;
  /** Digits in the evaluation batch. */
  examples: number;
}

/** The arena index of a pick, checked against the parameter's shape. */
export function pickIndex(model: Sequential, pick: WeightPick): number {
  const p = model.arena.param(pick.param);
  const [rows, cols] = p.shape;
  if (!(Number.isInteger(pick.row) && pick.row >= 0 && pick.row < rows && Number.isInteger(pick.col) && pick.col >= 0 && pick.col < cols)) {
    throw new RangeError(`loss-surface: ${pick.param} is [${rows}, ${cols}]; (${pick.row}, ${pick.col}) is outside it`);
  }
  return p.offset + pick.row * cols + pick.col;
}

/** The fixed evaluation batch and the grid computation over one model. */
export class SurfaceEvaluator {
  private constructor(
    private readonly rt: Runtime,
    private readonly model: Sequential,
    /** The first `examples` training digits as their own data set (for `evaluate`)… */
    private readonly set: GpuDataset,
    /** …and as one batch already gathered (for the grid). */
    private readonly x: ReturnType<GpuDataset['batch']>,
  ) {}

  /** Uploads the first `examples` digits of `images` / `labels` once. */
  static create(rt: Runtime, model: Sequential, images: Float32Array, labels: ArrayLike<number>, examples: number): SurfaceEvaluator {
    const features = images.length / labels.length;
    const n = Math.min(examples, labels.length);
    const set = GpuDataset.upload(
      rt,
      images.slice(0, n * features),
      Array.from({ length: n }, (_, i) => labels[i]),
      10,
    );
    const order = set.identityOrder();
    const batch = set.batch(order, GpuDataset.windows(n, n)[0]);
    order.dispose();
    return new SurfaceEvaluator(rt, model, set, batch);
  }

  /** Digits in the evaluation batch. */
  get examples(): number {
    return this.set.count;
  }

  /** All parameter values, as the arena holds them now (one readback). */
  values(): Promise<Float32Array> {
    return this.model.arena.values.toArray();
  }

  /**
   * The loss on a size × size grid around the two weights' current values, ± `spread` × the RMS of
   * their matrices (the larger of the two, the same on both axes so that a circle stays a circle).
   * The caller keeps other GPU work (training) out while this runs.
   */
  async compute(picks: [WeightPick, WeightPick], size: number, spread: number, step: number): Promise<LossSurface> {
    if (!(Number.isInteger(size) && size >= 3 && size % 2 === 1)) throw new RangeError(`loss-surface: grid size ${size} (an odd integer ≥ 3)`);
    const arena = this.model.arena;
    const idx = picks.map((p) => pickIndex(this.model, p));
    const [values, now] = await Promise.all([this.values(), evaluate(this.model, this.set, this.set.count)]);
    const current: [number, number] = [values[idx[0]], values[idx[1]]];
    const rms = (name: string): number => {
      const p = arena.param(name);
      let s = 0;
      for (let i = p.offset; i < p.offset + p.size; i++) s += values[i] * values[i];
      return Math.sqrt(s / p.size);
    };
    const halfWidth = spread * Math.max(rms(picks[0].param), rms(picks[1].param), 1e-3);
    const c = (size - 1) / 2;
    // f32 grid values; the middle one is the current value itself (offset exactly 0).
    const axis = (v: number): number[] => Array.from({ length: size }, (_, i) => Math.fround(v + ((i - c) / c) * halfWidth));
    const xs = axis(current[0]);
    const ys = axis(current[1]);

    const rt = this.rt;
    const saved = arena.snapshot();
    const results = rt.empty([size * size]);
    const buf = arena.values.buffer;
    const at = (i: number): number => arena.values.byteOffset + i * 4;
    try {
      for (let j = 0; j < size; j++) {
        for (let i = 0; i < size; i++) {
          // Submit what is recorded first, so that these writes land after the previous forward pass.
          rt.flush();
          rt.device.queue.writeBuffer(buf, at(idx[0]), Float32Array.of(xs[i]));
          rt.device.queue.writeBuffer(buf, at(idx[1]), Float32Array.of(ys[j]));
          const k = j * size + i;
          noGrad(() =>
            tidy(() => {
              const logits = this.model.forward(constant(this.x.x), { training: false, step: 0 });
              const loss = ag.softmaxCrossEntropy(logits, constant(this.x.targets), 'mean');
              rt.copy(loss.data, { buffer: results.buffer, offset: results.byteOffset + k * 4, size: 4 }, 4);
            }),
          );
        }
      }
    } finally {
      // Put every weight back bit for bit (one buffer copy), whatever happened above.
      arena.restore(saved);
      saved.dispose();
    }
    const losses = Array.from(await results.toArray());
    results.dispose();
    return { picks, size, xs, ys, losses, current, currentLoss: now.loss, halfWidth, step, examples: this.set.count };
  }

  /** Frees the evaluation batch. */
  dispose(): void {
    this.x.x.dispose();
    this.x.targets.dispose();
    this.set.dispose();
  }
}
