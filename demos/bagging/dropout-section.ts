/**
 * Section 2, dropout as bagging: one dropout net trained on all the digits, whose Monte-Carlo passes
 * (a fresh mask per pass) are the members; eq. 7.50 for them, the passes checked against the
 * library's predictMonteCarlo, and one deterministic pass (weight scaling) as the reference level.
 */
import type { GpuDataset, Progress, Sequential } from 'webgpu-regularization';
import { pct } from '../shared/dom';
import type { HeldOut } from './bagging-section';
import { ensembleView } from './ensemble-view';
import { checkAgainstMonteCarlo, deterministicPass, DROPOUT_KEEP, monteCarloPasses, trainDropoutNet, type TrainSettings } from './members';
import { ensembleError, ensembleStats, type EnsembleStats } from './stats';

/** The section's element and state. */
export interface DropoutSection {
  readonly element: HTMLElement;
  readonly trained: boolean;
  /** The passes' statistics, once trained. */
  readonly stats: EnsembleStats | undefined;
  /** Largest gap between the mean of our passes and predictMonteCarlo's. */
  readonly mcGap: number | undefined;
  /** Squared error of one pass with dropout off. */
  readonly weightScaledBrier: number | undefined;
  /** Trains the net (`settings` with `epochs`), then scores `k` passes; `bagged` (the bagged members' statistics) for the comparison. */
  train(k: number, settings: TrainSettings, onProgress: (p: Progress) => void, bagged: EnsembleStats | undefined): Promise<void>;
  /** Disposes the net; shows the empty panel. */
  reset(): void;
}

/** Builds the section for the training set `train`. */
export function dropoutSection(train: GpuDataset, heldOut: HeldOut, sizes: readonly number[], chartWidth: number): DropoutSection {
  const view = ensembleView(
    {
      title: '2. Dropout as bagging: the subnetworks of one dropout net',
      intro:
        `One ${sizes.join('-')} net trained with dropout (keep p = ${DROPOUT_KEEP.input} on the inputs, ${DROPOUT_KEEP.hidden} on the hidden units) on all ${train.count.toLocaleString('en-US')} digits. ` +
        `Its members are Monte-Carlo passes with dropout left on: pass s draws its masks with the key of step 2³⁰ + s (as <code>predictMonteCarlo</code> does), so every pass is another subnetwork — ` +
        `one of exponentially many that share the same weights, each trained on the few minibatches where its mask was drawn. Averaging the passes is eq. 7.53's arithmetic mean. ` +
        `The dotted level is the cheap alternative: one deterministic pass with dropout off (the weight scaling rule, eq. 7.56–7.66), which often does as well as many sampled masks.`,
      memberWord: 'pass',
      membersWord: 'passes',
      letter: 's',
      referenceLabel: 'one pass, dropout off (weight scaling)',
      extraHeading: 'mask key',
    },
    chartWidth,
  );
  let net: Sequential | null = null;
  let stats: EnsembleStats | undefined;
  let mcGap: number | undefined;
  let weightScaledBrier: number | undefined;

  const trainNet = async (k: number, settings: TrainSettings, onProgress: (p: Progress) => void, bag: EnsembleStats | undefined): Promise<void> => {
    view.message(`Training the dropout net (${settings.epochs} epochs: dropout learns more slowly)…`);
    net = await trainDropoutNet(train, settings, onProgress);
    const passes = await monteCarloPasses(net, heldOut.x, k);
    mcGap = await checkAgainstMonteCarlo(net, heldOut.x, passes);
    const det = ensembleError([await deterministicPass(net, heldOut.x)], heldOut.labels, [0]);
    weightScaledBrier = det.brier;
    const s = ensembleStats(passes, heldOut.labels);
    stats = s;
    view.show(s, heldOut.images, (i) => `step 2³⁰ + ${i}`, det.brier);
    const lessCorrelated = bag && s.c / s.v < bag.c / bag.v;
    const versus =
      bag && bag.members.length > 1
        ? ` Compared with the bagged members: each pass alone is ${s.v > bag.v ? 'worse' : 'better'} (v = ${s.v.toFixed(3)} vs ${bag.v.toFixed(3)}) and their errors are ${lessCorrelated ? 'less' : 'more'} correlated (c/v = ${(s.c / s.v).toFixed(2)} vs ${(bag.c / bag.v).toFixed(2)}), so averaging gains ${lessCorrelated ? 'more' : 'less'}.`
        : '';
    view.message(
      `The mean of these ${k} passes equals predictMonteCarlo's to within ${mcGap.toExponential(1)} (same masks). One pass with dropout off: squared error ${det.brier.toFixed(4)}, ${pct(det.wrong)} misclassified.${versus}`,
    );
  };

  const reset = (): void => {
    net?.dispose();
    net = null;
    stats = undefined;
    mcGap = undefined;
    weightScaledBrier = undefined;
    view.show(ensembleStats([], heldOut.labels), heldOut.images);
    view.message('Trained after the bagged members.');
  };

  return {
    element: view.element,
    get trained() {
      return net !== null;
    },
    get stats() {
      return stats;
    },
    get mcGap() {
      return mcGap;
    },
    get weightScaledBrier() {
      return weightScaledBrier;
    },
    train: trainNet,
    reset,
  };
}
