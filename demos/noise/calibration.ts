/**
 * What a classifier's logits say about its confidence, computed on the CPU (f64) from logits read
 * back from the GPU: the reliability diagram (examples binned by their top probability, each bin's
 * accuracy against its mean confidence), the expected calibration error, a histogram of the
 * confidence, and the size of the logits, which label smoothing keeps finite.
 */

/** One bin of a reliability diagram: the examples whose top probability lies in [lo, hi). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Fraction of the bin's examples classified correctly (NaN when empty). */
  accuracy: number;
  /** Mean top probability of the bin's examples (NaN when empty). */
  confidence: number;
}

/** A model's calibration on a set of examples. */
export interface Calibration {
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ (count/n)·|accuracy − confidence| over the bins. */
  ece: number;
  accuracy: number;
  /** Mean of the top probability: how sure the model is on average. */
  meanConfidence: number;
  /** Mean cross-entropy against the hard labels, in nats. */
  nll: number;
  /** Mean of the largest logit. */
  meanMaxLogit: number;
  /** Mean of (the label's logit − the mean of the other logits): infinite at the optimum of hard targets. */
  meanLabelGap: number;
  /** Counts of the top probability in `histBins` equal bins of [0, 1]. */
  histogram: number[];
  count: number;
}

/** Calibration of `logits` ([rows, k] row-major) against `labels`, with `bins` reliability bins. */
export function calibrate(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, bins = 10, histBins = 20): Calibration {
  const rows = labels.length;
  if (logits.length !== rows * k) throw new Error(`calibrate: ${logits.length} logits are not ${rows} rows × ${k} classes`);
  const acc = Array.from({ length: bins }, () => ({ n: 0, correct: 0, conf: 0 }));
  const histogram = new Array<number>(histBins).fill(0);
  let correct = 0;
  let confSum = 0;
  let nll = 0;
  let maxLogitSum = 0;
  let gapSum = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = -Infinity;
    let arg = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      total += logits[o + c];
      if (logits[o + c] > max) {
        max = logits[o + c];
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[o + c] - max);
    const top = 1 / sum;
    const y = labels[r];
    const ok = arg === y;
    nll += max + Math.log(sum) - logits[o + y];
    maxLogitSum += max;
    gapSum += logits[o + y] - (total - logits[o + y]) / (k - 1);
    confSum += top;
    if (ok) correct++;
    const b = acc[Math.min(bins - 1, Math.floor(top * bins))];
    b.n++;
    b.conf += top;
    if (ok) b.correct++;
    histogram[Math.min(histBins - 1, Math.floor(top * histBins))]++;
  }
  const out = acc.map((b, i) => ({
    lo: i / bins,
    hi: (i + 1) / bins,
    count: b.n,
    accuracy: b.n ? b.correct / b.n : NaN,
    confidence: b.n ? b.conf / b.n : NaN,
  }));
  const ece = out.reduce((s, b) => (b.count ? s + (b.count / rows) * Math.abs(b.accuracy - b.confidence) : s), 0);
  return {
    bins: out,
    ece,
    accuracy: correct / rows,
    meanConfidence: confSum / rows,
    nll: nll / rows,
    meanMaxLogit: maxLogitSum / rows,
    meanLabelGap: gapSum / rows,
    histogram,
    count: rows,
  };
}

/**
 * The gap between the label's logit and each other logit at the minimum of the cross-entropy
 * against smoothed targets (on at the label, off elsewhere): there softmax(z) equals the target, so
 * z_label − z_j = log(on / off). Hard targets (off = 0) have no minimum: the gap grows forever.
 */
export function optimalLogitGap(on: number, off: number): number {
  return off > 0 ? Math.log(on / off) : Infinity;
}
