/**
 * What a run of the train page is made of: the model and regularizer settings a visitor picks (kept
 * in the URL hash), the sizes chosen for the adapter (small on a software adapter so that the page
 * stays responsive), and the regularizer objects the settings stand for.
 */
import { MNIST_CNN_RECIPE } from 'webgpu-regularization';
import { augmentation, batchNorm, dropout, earlyStopping, l1, l2, labelSmoothing, maxNorm, type Regularizer } from 'webgpu-regularization/regularizers';

/**
 * The settings of a run; every field is in the URL hash. A keep probability of 1 means no dropout
 * there; an α, c or ε of 0 means the technique is off.
 */
export type TrainSettings = {
  /** The network: the MLP, or the LeNet-shaped CNN (two 5×5 convolutions, a dense layer). */
  model: ModelKind;
  /** Seeds the digit split, the initial weights, the epoch order and every random draw. */
  seed: number;
  /** Keep probability of the input pixels. */
  pIn: number;
  /** Keep probability of the hidden units (the CNN's dense layer only: see {@link regularizersOf}). */
  pHidden: number;
  /** Coupled L2 (eq. 7.5) on the weights. */
  l2: number;
  /** Proximal L1 (exact zeros, eq. 7.23) on the weights. */
  l1: number;
  /** Max-norm bound on each unit's incoming weights. */
  maxNorm: number;
  /** Random shifts (±2 px), rotations (±0.15 rad) and zooms (0.9-1.1) of every training batch. */
  augment: boolean;
  /** Label smoothing ε (the book's convention: 1 − ε at the label, ε/9 elsewhere). */
  smoothing: number;
  /** Batch normalization before every hidden ReLU. */
  batchNorm: boolean;
  /** Early stopping: patience 5 epochs on the held-out loss, best parameters restored. */
  earlyStop: boolean;
  /** Monte-Carlo dropout samples for the drawn digit (one batch of this many rows). */
  mc: number;
};

/** The networks the page trains. */
export const MODELS = ['mlp', 'cnn'] as const;
export type ModelKind = (typeof MODELS)[number];

/** The defaults: dropout on the hidden units (so Monte-Carlo dropout has something to sample) and a little L2. */
export const DEFAULT_SETTINGS: TrainSettings = {
  model: 'mlp',
  seed: 1,
  pIn: 1,
  pHidden: 0.5,
  l2: 1e-4,
  l1: 0,
  maxNorm: 0,
  augment: false,
  smoothing: 0,
  batchNorm: false,
  earlyStop: false,
  mc: 256,
};

/** The choices each setting offers in the form (the first is the "off" value where there is one). */
export const CHOICES = {
  pIn: [1, 0.9, 0.8],
  pHidden: [1, 0.8, 0.5, 0.3],
  l2: [0, 1e-4, 1e-3, 1e-2],
  l1: [0, 1e-5, 1e-4, 1e-3],
  maxNorm: [0, 4, 3, 2],
  smoothing: [0, 0.05, 0.1, 0.2],
  mc: [16, 64, 256, 1024],
} as const satisfies Partial<Record<keyof TrainSettings, readonly number[]>>;

/** The CNN's widths: channels of its two 5×5 convolutions and of its dense layer. */
export interface CnnShape {
  channels: readonly [number, number];
  dense: number;
}

/** The shape of a network, enough to build it again (a checkpoint stores it). */
export type NetShape = { kind: 'mlp'; sizes: readonly number[] } | ({ kind: 'cnn' } & CnnShape);

/** Sizes of a run, chosen for the adapter. */
export interface RunScale {
  /** Training and held-out digits. */
  train: number;
  val: number;
  /** The MLP's layer widths, inputs first. */
  sizes: readonly number[];
  /** The CNN's widths. */
  cnn: CnnShape;
  batchSize: number;
  /** Adam's learning rate for the MLP, and for the CNN. */
  lr: number;
  cnnLr: number;
  /** Training stops after this many epochs at most. */
  maxEpochs: number;
}

/**
 * A software adapter (SwiftShader, lavapipe) runs a 784-128-10 network on 1,500 digits: an epoch
 * of 30 minibatches takes a second or two there; its CNN is narrow (4 and 8 channels, 32 dense
 * units), and still takes several seconds an epoch. A real GPU gets 8,000 digits, two hidden layers,
 * and the CNN recipe's widths (engine/train/mnist-cnn.ts: 16 and 32 channels, 128 dense units).
 * Adam needs a larger step for the CNN to learn within the first epochs.
 */
export function scaleFor(softwareAdapter: boolean): RunScale {
  return softwareAdapter
    ? { train: 1500, val: 500, sizes: [784, 128, 10], cnn: { channels: [4, 8], dense: 32 }, batchSize: 50, lr: 2e-3, cnnLr: 5e-3, maxEpochs: 100 }
    : {
        train: 8000,
        val: 2000,
        sizes: [784, 256, 256, 10],
        cnn: { channels: [MNIST_CNN_RECIPE.channels[0], MNIST_CNN_RECIPE.channels[1]], dense: MNIST_CNN_RECIPE.dense },
        batchSize: 64,
        lr: 1e-3,
        cnnLr: 2e-3,
        maxEpochs: 100,
      };
}

/** The shape of the network `s` asks for at `scale`. */
export function netShapeOf(s: TrainSettings, scale: RunScale): NetShape {
  return s.model === 'cnn' ? { kind: 'cnn', ...scale.cnn } : { kind: 'mlp', sizes: scale.sizes };
}

/** A network's shape in words: "784-128-10 network", "CNN 5×5×4, 5×5×8, 32". */
export function describeNet(n: NetShape): string {
  return n.kind === 'mlp' ? `${n.sizes.join('-')} network` : `CNN 5×5×${n.channels[0]}, 5×5×${n.channels[1]}, ${n.dense}`;
}

/** Early stopping's patience, in epochs (one evaluation per epoch). */
export const PATIENCE = 5;

/**
 * The regularizer objects of `s` (fresh ones: a regularizer keeps per-run state). In the CNN the
 * hidden keep p applies to the dense layer only, as in the CNN recipe: dropping half of the pooled
 * feature maps' units as well stalls so small a network for epochs.
 */
export function regularizersOf(s: TrainSettings): Regularizer[] {
  const regs: Regularizer[] = [];
  const hidden = s.model === 'cnn' ? [{ keep: 1 }, { keep: 1 }, { keep: s.pHidden }] : { keep: s.pHidden };
  if (s.pIn < 1 || s.pHidden < 1) regs.push(dropout({ input: { keep: s.pIn }, hidden }));
  if (s.l2 > 0) regs.push(l2({ alpha: s.l2 }));
  if (s.l1 > 0) regs.push(l1({ alpha: s.l1 }));
  if (s.maxNorm > 0) regs.push(maxNorm({ c: s.maxNorm }));
  if (s.augment) regs.push(augmentation({ maxShift: 2, maxRotation: 0.15, scale: [0.9, 1.1] }));
  if (s.smoothing > 0) regs.push(labelSmoothing({ epsilon: s.smoothing }));
  if (s.batchNorm) regs.push(batchNorm());
  if (s.earlyStop) regs.push(earlyStopping({ patience: PATIENCE }));
  return regs;
}

/** Whether a model built with `s` has dropout layers (Monte-Carlo dropout then has a spread). */
export function hasDropout(s: TrainSettings): boolean {
  return s.pIn < 1 || s.pHidden < 1;
}

/** `s` with every field checked against the defaults' types and the form's choices; unknown values fall back to the default. */
export function sanitize(s: Partial<Record<keyof TrainSettings, unknown>>): TrainSettings {
  const out: TrainSettings = { ...DEFAULT_SETTINGS };
  if (MODELS.includes(s.model as ModelKind)) out.model = s.model as ModelKind;
  const seed = s.seed;
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31) out.seed = seed;
  for (const key of Object.keys(CHOICES) as (keyof typeof CHOICES)[]) {
    const v = s[key];
    if (typeof v === 'number' && (CHOICES[key] as readonly number[]).includes(v)) out[key] = v;
  }
  for (const key of ['augment', 'batchNorm', 'earlyStop'] as const) {
    const v = s[key];
    if (typeof v === 'boolean') out[key] = v;
  }
  return out;
}
