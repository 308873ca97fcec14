/**
 * Inverted dropout and the weight scaling inference rule side by side: two MLPs with the same
 * initial weights, the same minibatches and the same masks (same seed, same keys), one trained with
 * kept units divided by p (inference: nothing to do), one trained with kept units unscaled
 * (inference: multiply each dropout layer's output by p). The second is then also evaluated with
 * the classic mistake, multiplying by 1 − p (the DROP probability: frameworks such as PyTorch call
 * that p), and with no scaling at all.
 *
 * The mistaken scales are applied through the engine's explicit-mask seam (`ctx.masks`): a "mask"
 * filled with the constant c multiplies the layer's input by c in the weight-scaling model.
 */
import {
  chain,
  constant,
  createMlp,
  fill,
  GpuDataset,
  momentum,
  noGrad,
  tidy,
  trainOnBatch,
  type ForwardContext,
  type Runtime,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';

/** How the two models train. */
export interface CompareConfig {
  hidden: readonly number[];
  keepProb: number;
  steps: number;
  batch: number;
  seed: number;
  lr: number;
}

/** One row of the comparison: a model, an inference rule, and what it scores on the held-out digits. */
export interface RuleResult {
  /** How the model was trained. */
  training: 'inverted' | 'weight-scaling';
  /** What inference multiplies each dropout layer's output by (1 for inverted dropout). */
  inferenceScale: number;
  /** 'correct', 'mistake' (1 − p) or 'unscaled'. */
  kind: 'correct' | 'mistake' | 'unscaled';
  accuracy: number;
  /** Mean cross-entropy in nats. */
  loss: number;
}

/** Trains both models for `steps` minibatches and evaluates them on `val`; `onProgress(done, total)` after each step pair. */
export async function compareRules(
  rt: Runtime,
  train: GpuDataset,
  val: GpuDataset,
  config: CompareConfig,
  onProgress: (done: number, total: number) => void,
): Promise<RuleResult[]> {
  const { hidden, keepProb: p, steps, batch, seed, lr } = config;
  const sizes = [train.features, ...hidden, train.classes];
  const models = (['inverted', 'weight-scaling'] as const).map((rule) => createMlp(rt, { sizes, seed, hiddenDropout: { keep: p }, dropoutRule: rule }));
  const opts = models.map((m) => chain(momentum({ lr, momentum: 0.9 })).init(m.arena));
  try {
    const windows = GpuDataset.windows(train.count, batch, true);
    let order: Tensor<'u32'> | null = null;
    for (let s = 0; s < steps; s++) {
      if (s % windows.length === 0) {
        order?.dispose();
        order = train.shuffledOrder(seed, s / windows.length + 1);
      }
      const b = train.batch(order!, windows[s % windows.length]);
      models.forEach((m, i) => trainOnBatch(m, opts[i], b.x, b.targets, s));
      b.x.dispose();
      b.targets.dispose();
      rt.flush();
      // Wait for the GPU every few steps: the page stays responsive and the progress is true.
      if (s % 10 === 9 || s === steps - 1) {
        await rt.sync();
        onProgress(s + 1, steps);
      }
    }
    order?.dispose();
    const labels = await val.labels.toArray();
    const [inv, ws] = models;
    const rows = val.count;
    const layers = hidden.map((_, i) => `drop${i + 1}`);
    return [
      { training: 'inverted', inferenceScale: 1, kind: 'correct', ...(await score(inv, val.images, labels, { training: false, step: 0 })) },
      { training: 'weight-scaling', inferenceScale: p, kind: 'correct', ...(await score(ws, val.images, labels, { training: false, step: 0 })) },
      { training: 'weight-scaling', inferenceScale: 1 - p, kind: 'mistake', ...(await scoreScaled(rt, ws, val.images, labels, layers, hidden, rows, 1 - p)) },
      { training: 'weight-scaling', inferenceScale: 1, kind: 'unscaled', ...(await scoreScaled(rt, ws, val.images, labels, layers, hidden, rows, 1)) },
    ];
  } finally {
    opts.forEach((o) => o.dispose());
    models.forEach((m) => m.dispose());
  }
}

/** The weight-scaling model with every dropout layer's output multiplied by `c` (a constant "mask"). */
async function scoreScaled(
  rt: Runtime,
  model: Sequential,
  x: Tensor,
  labels: ArrayLike<number>,
  layers: string[],
  widths: readonly number[],
  rows: number,
  c: number,
): Promise<{ accuracy: number; loss: number }> {
  const masks = new Map(layers.map((name, i) => [name, fill(rt.empty([rows, widths[i]]), c)] as const));
  try {
    return await score(model, x, labels, { training: false, step: 0, masks });
  } finally {
    for (const m of masks.values()) m.dispose();
  }
}

/** Accuracy and mean cross-entropy (f64 on the CPU, from the logits read back) of one forward pass. */
async function score(model: Sequential, x: Tensor, labels: ArrayLike<number>, ctx: ForwardContext): Promise<{ accuracy: number; loss: number }> {
  const logits = noGrad(() => tidy(() => model.forward(constant(x), ctx).data));
  const z = await logits.toArray();
  logits.dispose();
  const rows = labels.length;
  const k = z.length / rows;
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < k; c++) {
      if (z[r * k + c] > max) {
        max = z[r * k + c];
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[r * k + c] - max);
    loss += max + Math.log(sum) - z[r * k + labels[r]];
    if (arg === labels[r]) correct++;
  }
  return { accuracy: correct / rows, loss: loss / rows };
}
