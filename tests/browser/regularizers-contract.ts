/** What the regularizers page (regularizers-page.ts) reports to the Node test (e2e.test.ts). */

/** Sizes of the page's synthetic problem: the label is the index of the largest of the first `classes` features. */
export const REG_PROBLEM = { count: 256, val: 128, features: 16, hidden: 12, classes: 4, seed: 3 } as const;

/** The page's report. */
export interface RegularizersReport {
  adapter: string;
  /** Per-epoch training loss of the run with every regularizer on. */
  trainLoss: number[];
  valAccuracy: number[];
  /** Per-step metrics delivered to the live-chart callback. */
  stepMetrics: number;
  stepsTaken: number;
  stoppedBy: string;
  earlyStopping: { bestStep: number; evaluations: number };
  /** Largest column norm over the weights after training with maxNorm(c). */
  maxColumnNorm: number;
  maxNormC: number;
  /** Exact-zero fraction of the weights (proximal L1 is on). */
  zeroFraction: number;
  updateDispatches: number;
  /** Monte-Carlo dropout: mean spread over rows and classes. */
  mcMeanStd: number;
  /** Softmax regression with input dropout p = ½: geometric mean over all masks vs weight scaling. */
  geometricMeanGap: number;
  /** A translation of one 28×28 image by (2, −1): the input and the output. */
  translateInput: number[];
  translateOutput: number[];
  /** Label smoothing: logits, one-hot targets, ε, and the fused kernel's loss (book convention). */
  smoothing: { logits: number[]; labels: number[]; k: number; epsilon: number; loss: number };
  /** Live tensors after everything was disposed, minus before. */
  leakedTensors: number;
}
