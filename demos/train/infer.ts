/**
 * Classifying one drawn digit three ways, on the GPU:
 *
 *   weight scaling     one deterministic pass with dropout off (the library's inference mode: with
 *                      inverted dropout the 1/p was applied in training, so nothing is scaled here)
 *   Monte-Carlo        the digit replicated N times in ONE batch (a broadcast on the GPU) and run
 *                      with dropout on: the masks are keyed per element (seed, layer, step, index),
 *                      so every row draws its own mask and one batched pass gives N samples of
 *                      p(y | x, μ). Their mean estimates the arithmetic mean over all masks (eq. 7.53).
 *   convergence        the estimate from the first n rows, n = 1, 2, 4, …, N
 *
 * The library's `predictMonteCarlo` loops over k separate passes (one readback each); batching
 * the samples as rows is the same estimate in one pass for one input.
 * The digit is first rotated on the GPU (`warpImages`, one dispatch), which the rotate slider uses
 * to show the uncertainty rise as the digit leaves the training distribution.
 */
import { ag, constant, noGrad, softmaxRows, tidy, warpImages, type Sequential } from 'webgpu-regularization';

/** Key offset of the Monte-Carlo masks: far from any training step, fixed so that a drawing always gets the same masks. */
export const MC_OFFSET = 2 ** 30;

/** The three predictions of one digit. */
export interface Classification {
  /** The 28×28 input the network saw (after rotation), row-major. */
  image: Float32Array;
  /** Angle of the rotation, radians (positive: clockwise as displayed). */
  angle: number;
  /** One deterministic pass (dropout off): 10 probabilities. */
  weightScaling: Float32Array;
  /** Mean of the N sampled distributions: the estimate of the arithmetic mean over masks. */
  mcMean: Float32Array;
  /** Standard deviation of each class's probability over the N masks. */
  mcStd: Float32Array;
  samples: number;
  /** The class with the highest Monte-Carlo mean. */
  top: number;
  /** Predictive entropy H[p̄] of the Monte-Carlo mean, in bits (at most log2 10 ≈ 3.32). */
  entropy: number;
  /** Mean entropy of the individual samples, in bits; entropy − this is the mutual information (the part due to the masks). */
  expectedEntropy: number;
  /** The estimate of p̄(top) from the first n samples, for n = 1, 2, 4, …, N. */
  convergence: { n: number[]; mean: number[]; std: number[]; stdError: number[] };
}

/** Bits of entropy of a distribution. */
export function entropyBits(p: ArrayLike<number>, from = 0, count = p.length): number {
  let h = 0;
  for (let i = from; i < from + count; i++) if (p[i] > 0) h -= p[i] * Math.log2(p[i]);
  return h;
}

/**
 * Classifies `pixels` (784 values in [0, 1]) rotated by `angle` radians, with weight scaling and
 * with `samples` Monte-Carlo dropout masks in one batch. Three readbacks, no other CPU work on the
 * network.
 */
export async function classify(model: Sequential, pixels: Float32Array, angle: number, samples: number): Promise<Classification> {
  const rt = model.arena.rt;
  const x = rt.tensor(pixels, [1, 784]);
  const image = warpImages(x, { height: 28, width: 28, angle });
  x.dispose();
  const ws = noGrad(() => tidy(() => softmaxRows(model.forward(constant(image), { training: false, step: 0 }).data)));
  const mc = noGrad(() =>
    tidy(() => {
      const rows = ag.broadcastTo(constant(image), [samples, 784]);
      return softmaxRows(model.forward(rows, { training: false, dropout: true, step: MC_OFFSET }).data);
    }),
  );
  try {
    const [img, w, m] = await Promise.all([image.toArray(), ws.toArray(), mc.toArray()]);
    return { image: img as Float32Array, angle, weightScaling: w as Float32Array, ...summarize(m as Float32Array, samples) };
  } finally {
    image.dispose();
    ws.dispose();
    mc.dispose();
  }
}

/** Mean, spread, entropies and the convergence of the estimate, from N rows of 10 probabilities (f64 sums). */
export function summarize(p: Float32Array, samples: number): Omit<Classification, 'image' | 'angle' | 'weightScaling'> {
  const k = 10;
  const sum = new Float64Array(k);
  const sq = new Float64Array(k);
  let expectedEntropy = 0;
  for (let r = 0; r < samples; r++) {
    for (let c = 0; c < k; c++) {
      const v = p[r * k + c];
      sum[c] += v;
      sq[c] += v * v;
    }
    expectedEntropy += entropyBits(p, r * k, k) / samples;
  }
  const mcMean = new Float32Array(k);
  const mcStd = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    const m = sum[c] / samples;
    mcMean[c] = m;
    mcStd[c] = Math.sqrt(Math.max(sq[c] / samples - m * m, 0));
  }
  let top = 0;
  for (let c = 1; c < k; c++) if (mcMean[c] > mcMean[top]) top = c;
  const convergence = { n: [] as number[], mean: [] as number[], std: [] as number[], stdError: [] as number[] };
  let s = 0;
  let s2 = 0;
  let next = 1;
  for (let r = 0; r < samples; r++) {
    const v = p[r * k + top];
    s += v;
    s2 += v * v;
    const n = r + 1;
    if (n === next || n === samples) {
      const m = s / n;
      // The spread of the masks' predictions (it settles to a property of the model, not to zero)
      // and the standard error of the estimate (the Monte-Carlo error, shrinking as 1/√n).
      const sd = n > 1 ? Math.sqrt(Math.max((s2 - n * m * m) / (n - 1), 0)) : 0;
      convergence.n.push(n);
      convergence.mean.push(m);
      convergence.std.push(sd);
      convergence.stdError.push(sd / Math.sqrt(n));
      if (n === next) next *= 2;
    }
  }
  return { mcMean, mcStd, samples, top, entropy: entropyBits(mcMean), expectedEntropy, convergence };
}
