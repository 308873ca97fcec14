/**
 * Training mode vs inference mode on the same batch-norm network: the statistics each would
 * normalize hidden layer `layer` with (the batch's own mean and variance, computed here from the
 * batch-norm layer's input read back; the running averages, read from the model's buffer store),
 * what the network then outputs for the first digits of the batch, and its held-out accuracy in
 * either mode.
 */
import { constant, GpuDataset, noGrad, tidy, type Metrics, type Sequential } from 'webgpu-regularization';
import { captureOutputs, evalContext, evaluateIn, type StatsMode } from './forward';
import { columnStats } from './stats';

/** The statistics of one batch-norm layer, for the units shown. */
export interface UnitStats {
  mean: number[];
  variance: number[];
}

/** One digit's output. */
export interface DigitOutput {
  label: number;
  predicted: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
}

/** Everything the inference panel shows. */
export interface InferenceReport {
  mode: StatsMode;
  /** 1-based hidden layer whose batch norm the statistics belong to. */
  layer: number;
  units: readonly number[];
  /** Size of the batch the batch statistics come from (the held-out digits' first batch). */
  batch: number;
  /** The batch's own statistics (what training mode uses). */
  batchStats: UnitStats;
  /** The running averages stored in `bn<layer>.runningMean` / `.runningVar` (what inference mode uses). */
  runningStats: UnitStats;
  /** The statistics the forward pass in `mode` normalizes with: one of the two above. */
  used: UnitStats;
  /** Where `used` comes from, in words. */
  source: string;
  /** Outputs for the first digits of the batch, in `mode`. */
  outputs: DigitOutput[];
  /** Held-out metrics in batches of `batch`, in each mode. */
  accuracy: Record<StatsMode, Metrics>;
  /** The step the accuracies were measured after (they are the slow part: measured every few steps). */
  accuracyStep: number;
}

/** Accuracies measured earlier, reused while the batch size and the step they belong to are current enough. */
export interface AccuracyCache {
  batch: number;
  step: number;
  accuracy: Record<StatsMode, Metrics>;
}

function softmaxArgmax(z: ArrayLike<number>, row: number, k: number): { predicted: number; confidence: number } {
  let max = -Infinity;
  let arg = 0;
  for (let c = 0; c < k; c++) {
    if (z[row * k + c] > max) {
      max = z[row * k + c];
      arg = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(z[row * k + c] - max);
  return { predicted: arg, confidence: 1 / sum };
}

/**
 * Measures both modes on `val`'s first batch of `batch` digits; `shownDigits` outputs. The held-out
 * accuracies (all of `val`, in batches of `batch`, both modes) are measured anew unless `cached`
 * holds them for this batch size; `step` is the step they are then stamped with.
 */
export async function inferenceReport(
  model: Sequential,
  val: GpuDataset,
  labels: ArrayLike<number>,
  mode: StatsMode,
  layer: number,
  units: readonly number[],
  batch: number,
  shownDigits: number,
  step: number,
  cached: AccuracyCache | null,
): Promise<InferenceReport> {
  const order = val.identityOrder();
  const b = val.batch(order, GpuDataset.windows(val.count, batch)[0]);
  order.dispose();
  try {
    // What enters batch norm `layer` in training mode (earlier batch-norm layers on batch statistics too).
    const [input] = captureOutputs(model, b.x, [`fc${layer}`], evalContext('batch'));
    const inputValues = await input.toArray();
    input.dispose();
    const width = inputValues.length / batch;
    const st = units.map((u) => columnStats(inputValues, width, u));
    const batchStats = { mean: st.map((s) => s.mean), variance: st.map((s) => s.variance) };
    const [rm, rv] = await Promise.all([
      model.buffers.buffer(`bn${layer}.runningMean`).value.toArray(),
      model.buffers.buffer(`bn${layer}.runningVar`).value.toArray(),
    ]);
    const runningStats = { mean: units.map((u) => rm[u]), variance: units.map((u) => rv[u]) };
    const logits = noGrad(() => tidy(() => model.forward(constant(b.x), evalContext(mode)).data));
    const z = await logits.toArray();
    logits.dispose();
    const k = z.length / batch;
    const outputs = Array.from({ length: Math.min(shownDigits, batch) }, (_, r) => ({ label: labels[r], ...softmaxArgmax(z, r, k) }));
    const fresh = !cached || cached.batch !== batch;
    const accuracy = fresh ? { batch: await evaluateIn(model, val, batch, 'batch'), running: await evaluateIn(model, val, batch, 'running') } : cached.accuracy;
    const accuracyStep = fresh ? step : cached.step;
    const used = mode === 'batch' ? batchStats : runningStats;
    const source =
      mode === 'batch'
        ? `the batch: mean and variance of these ${batch} digits' values at each unit, computed in the forward pass`
        : `the stored running averages: the buffers bn${layer}.runningMean and bn${layer}.runningVar (model.buffers), left unchanged`;
    return { mode, layer, units, batch, batchStats, runningStats, used, source, outputs, accuracy, accuracyStep };
  } finally {
    b.x.dispose();
    b.targets.dispose();
  }
}
