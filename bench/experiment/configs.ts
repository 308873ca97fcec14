/**
 * The configurations of the regularization experiment: no regularization, each chapter-7 technique
 * alone, and a few combinations, each with the hyperparameters it runs with (shown in the report).
 * Every configuration trains the same MLP with the same optimizer on the same digits; only its
 * regularizers differ. The values of the swept knobs (L2, L1, max-norm, the three noises, label
 * smoothing) were chosen by a one-seed sweep scored on the validation digits, never on the held-out
 * test digits (bench/experiment/README.md has the sweep); the others are the usual defaults. Elastic
 * net takes half of each chosen coefficient; the combinations reuse the chosen values. (Max-norm
 * with dropout at Srivastava et al.'s c = 3 never binds at this learning rate — the largest column
 * norm after 30 epochs of dropout is about 2.1 — and gave results identical to dropout alone.)
 */
import { ArgumentError } from '../../engine/index';
import {
  augmentation,
  batchNorm,
  dropout,
  earlyStopping,
  elasticNet,
  hiddenNoise,
  inputNoise,
  l1,
  l2,
  labelSmoothing,
  maxNorm,
  weightNoise,
  type Regularizer,
} from '../../regularizers/index';
import type { Hyper } from './types';

/** One configuration: how to make its regularizers (fresh for every run), and what it is. */
export interface ExperimentConfig {
  /** Name on the command line (`--configs=a,b`) and in the JSON. */
  name: string;
  /** Name in the table. */
  label: string;
  /** Name in the charts (their turned axis labels fit about 18 characters); default: `label`. */
  short?: string;
  about: string;
  hyper: Hyper;
  /** The run's regularizers (new objects: they hold per-run state). */
  regularizers(): Regularizer[];
  /** Bagging: train this many members on bootstrap resamples and average their distributions. */
  bagging?: number;
  /** Whether training needs the validation digits (early stopping evaluates on them after each epoch). */
  usesValidation?: boolean;
}

const L2_ALPHA = 1e-2;
const L1_ALPHA = 3e-3;
const MAX_NORM_C = 1;
const INPUT_NOISE_STD = 0.5;
const HIDDEN_NOISE_STD = 1;
const WEIGHT_NOISE_ETA = 3e-3;
const SMOOTHING = 0.2;
const PATIENCE = 5;
const KEEP_INPUT = 0.8;
const KEEP_HIDDEN = 0.5;
const BAGGING_K = 3;
const AUG = { maxShift: 2, maxRotation: 0.15, scale: [0.9, 1.1] as const };

/** Every configuration, in the order of the table. */
export const CONFIGS: readonly ExperimentConfig[] = [
  { name: 'none', label: 'none', about: 'no regularization', hyper: {}, regularizers: () => [] },
  {
    name: 'l2',
    label: 'L2',
    about: 'coupled L2 on the weights: α·w added to the gradient (eq. 7.5)',
    hyper: { alpha: L2_ALPHA },
    regularizers: () => [l2({ alpha: L2_ALPHA })],
  },
  {
    name: 'l1',
    label: 'L1 (proximal)',
    short: 'L1 (prox)',
    about: 'L1 on the weights by the proximal soft threshold after each update (exact zeros)',
    hyper: { alpha: L1_ALPHA },
    regularizers: () => [l1({ alpha: L1_ALPHA })],
  },
  {
    name: 'elastic-net',
    label: 'elastic net',
    about: 'proximal L1 and coupled L2 on the weights',
    hyper: { l1: L1_ALPHA / 2, l2: L2_ALPHA / 2 },
    regularizers: () => [elasticNet({ l1: L1_ALPHA / 2, l2: L2_ALPHA / 2 })],
  },
  {
    name: 'max-norm',
    label: 'max-norm',
    about: "each unit's incoming weight vector projected to norm ≤ c after every update",
    hyper: { c: MAX_NORM_C },
    regularizers: () => [maxNorm({ c: MAX_NORM_C })],
  },
  {
    name: 'augmentation',
    label: 'augmentation',
    about: 'random shifts, small rotations and zooms of every training image (GPU, per example)',
    hyper: { maxShift: AUG.maxShift, maxRotation: AUG.maxRotation, scale: AUG.scale.join('–') },
    regularizers: () => [augmentation({ ...AUG })],
  },
  {
    name: 'input-noise',
    label: 'input noise',
    about: 'Gaussian noise added to the input pixels (values in [0, 1])',
    hyper: { std: INPUT_NOISE_STD },
    regularizers: () => [inputNoise({ std: INPUT_NOISE_STD })],
  },
  {
    name: 'hidden-noise',
    label: 'hidden noise',
    about: 'Gaussian noise added to the hidden units after each ReLU',
    hyper: { std: HIDDEN_NOISE_STD },
    regularizers: () => [hiddenNoise({ std: HIDDEN_NOISE_STD })],
  },
  {
    name: 'weight-noise',
    label: 'weight noise',
    about: 'ε_W ~ N(0, ηI) added to the weights for each step (eq. 7.31)',
    hyper: { eta: WEIGHT_NOISE_ETA },
    regularizers: () => [weightNoise({ eta: WEIGHT_NOISE_ETA })],
  },
  {
    name: 'label-smoothing',
    label: 'label smoothing',
    short: 'label smooth',
    about: "targets 1 − ε and ε/(k − 1) (the book's convention)",
    hyper: { epsilon: SMOOTHING },
    regularizers: () => [labelSmoothing({ epsilon: SMOOTHING })],
  },
  {
    name: 'early-stopping',
    label: 'early stopping',
    about: 'validation loss after each epoch; stop after `patience` epochs without improvement, restore the best',
    hyper: { patience: PATIENCE },
    regularizers: () => [earlyStopping({ patience: PATIENCE })],
    usesValidation: true,
  },
  {
    name: 'dropout',
    label: 'dropout',
    about: 'inverted dropout, keep probabilities on the inputs and hidden units',
    hyper: { keepInput: KEEP_INPUT, keepHidden: KEEP_HIDDEN },
    regularizers: () => [dropout({ input: { keep: KEEP_INPUT }, hidden: { keep: KEEP_HIDDEN } })],
  },
  {
    name: 'batch-norm',
    label: 'batch norm',
    about: 'batch normalization before each hidden ReLU (running statistics at inference)',
    hyper: { momentum: 0.1, eps: 1e-5 },
    regularizers: () => [batchNorm()],
  },
  {
    name: 'bagging',
    label: `bagging (k=${BAGGING_K})`,
    about: 'k members, each on its own bootstrap resample and initial weights; the average of their distributions',
    hyper: { k: BAGGING_K },
    regularizers: () => [],
    bagging: BAGGING_K,
  },
  {
    name: 'dropout+max-norm',
    label: 'dropout + max-norm',
    short: 'drop + max-norm',
    about: 'dropout with max-norm on every weight matrix (Srivastava et al.)',
    hyper: { keepInput: KEEP_INPUT, keepHidden: KEEP_HIDDEN, c: MAX_NORM_C },
    regularizers: () => [dropout({ input: { keep: KEEP_INPUT }, hidden: { keep: KEEP_HIDDEN } }), maxNorm({ c: MAX_NORM_C })],
  },
  {
    name: 'l2+augmentation+early-stopping',
    label: 'L2 + aug + early stop',
    short: 'L2 + aug + ES',
    about: 'coupled L2, augmentation and early stopping together',
    hyper: { alpha: L2_ALPHA, maxShift: AUG.maxShift, maxRotation: AUG.maxRotation, patience: PATIENCE },
    regularizers: () => [l2({ alpha: L2_ALPHA }), augmentation({ ...AUG }), earlyStopping({ patience: PATIENCE })],
    usesValidation: true,
  },
  {
    name: 'dropout+augmentation+smoothing',
    label: 'dropout + aug + smoothing',
    short: 'drop + aug + smooth',
    about: 'dropout, augmentation and label smoothing together',
    hyper: { keepInput: KEEP_INPUT, keepHidden: KEEP_HIDDEN, maxShift: AUG.maxShift, epsilon: SMOOTHING },
    regularizers: () => [
      dropout({ input: { keep: KEEP_INPUT }, hidden: { keep: KEEP_HIDDEN } }),
      augmentation({ ...AUG }),
      labelSmoothing({ epsilon: SMOOTHING }),
    ],
  },
];

/**
 * The network of `--model=cnn`: LeNet-shaped, as the CNN recipe's (engine/train/mnist-cnn.ts) but
 * narrower, so that the 16 configurations × 3 seeds (bagging trains 3 members) fit in about an hour
 * on lavapipe with 2 CPU cores. Everything else (digits, optimizer, epochs, batch) is the MLP's.
 */
export const EXPERIMENT_CNN = { channels: [8, 16] as const, dense: 64 };

/**
 * The CNN's dropout: kept with higher probabilities on the convolution blocks than on the dense
 * layer, the pattern Srivastava et al. (2014) used for convolutional nets (a feature map's units
 * share their filter, and its neighbours carry much the same signal). The MLP's 0.5 on every hidden
 * layer would drop half of each pooled map. Not swept: set by that pattern before any run.
 */
const CNN_KEEP_INPUT = 0.9;
const CNN_KEEP_HIDDEN = [0.75, 0.75, 0.5] as const;
const cnnDropout = () => dropout({ input: { keep: CNN_KEEP_INPUT }, hidden: CNN_KEEP_HIDDEN.map((keep) => ({ keep })) });
const CNN_DROPOUT_HYPER = { keepInput: CNN_KEEP_INPUT, keepHidden: CNN_KEEP_HIDDEN.join('/') };

/**
 * The configurations for the CNN (`--model=cnn`): the same list, the same values, except dropout's
 * keep probabilities (see above). A configuration with dropout gets the CNN's; the others are the
 * MLP's objects unchanged.
 */
export const CNN_CONFIGS: readonly ExperimentConfig[] = CONFIGS.map((c) => {
  if (!('keepHidden' in c.hyper)) return c;
  return {
    ...c,
    hyper: { ...c.hyper, ...CNN_DROPOUT_HYPER },
    about: `${c.about} (CNN: keep ${CNN_KEEP_INPUT} on the inputs, ${CNN_KEEP_HIDDEN.join(', ')} on the two convolution blocks and the dense layer)`,
    regularizers: () => c.regularizers().map((r) => (r.name === 'dropout' ? cnnDropout() : r)),
  };
});

/** The configurations named in `names` (all when undefined), in table order; unknown names throw. */
export function selectConfigs(names?: readonly string[], all: readonly ExperimentConfig[] = CONFIGS): ExperimentConfig[] {
  if (!names || names.length === 0) return [...all];
  const known = new Set(all.map((c) => c.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new ArgumentError(`experiment: unknown configuration(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return all.filter((c) => names.includes(c.name));
}
