/**
 * Augmentation on a convolutional network: the regularizers' LeNet-shaped `cnn` (conv 5×5 → pool →
 * conv 5×5 → pool → dense → 10) trained without and with the grid's `augmentation()`, side by side
 * on the same training digits, from the same initial weights, on the same minibatches. Accuracy on
 * the training digits and on held-out digits as they train, the gap between them, and a sentence
 * with what this run measured, beside the MLPs' augmentation result of the noise panel when that
 * has been trained on the same digits.
 */
import { cnn } from 'webgpu-regularization/regularizers';
import { liveChart } from '../shared/charts';
import { el, html, pct, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';
import { bySize, type SizeChoice } from '../shared/sizes';
import { augmentationOf, describeAugmentation, type AugmentSettings } from './augment-batch';
import type { Datasets } from './datasets';
import { GatedRun, type RunScale } from './gated-run';
import { runGroup, type RunGroup } from './run-group';

/** One model's state at its latest evaluation. */
export interface CnnAugResult {
  name: string;
  augmented: boolean;
  step: number;
  /** Accuracy on (up to 500 of) the training digits and on the held-out digits, inference mode. */
  train: number;
  val: number;
  /** train − val (0–1). */
  gap: number;
  /**
   * Mean minibatch loss (training mode: on augmented digits for the augmented model) of the latest
   * chunk whose every step has been read back (they arrive a few steps late).
   */
  loss: number;
  /** Held-out loss. */
  valLoss: number;
}

/** The section and what tests read. */
export interface CnnAugSection {
  readonly element: HTMLElement;
  readonly group: RunGroup;
  /** The CNNs' scale (steps, chunk, batch, lr). */
  readonly scale: RunScale;
  results(): CnnAugResult[];
}

const MODELS = [
  { name: 'without augmentation', short: 'plain', augmented: false, train: '#8c959f', val: '#24292f' },
  { name: 'with augmentation', short: 'augmented', augmented: true, train: '#4ac26b', val: '#116329' },
] as const;

const points = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
const percent = (x: number): string => (Number.isFinite(x) ? pct(x) : '–');
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${points(Math.abs(x))}`;

/** Builds the section: the CNNs train on `data()` (the slider's digits) with the page's batch and learning rate. */
export function cnnAugmentSection(
  data: () => Datasets,
  page: RunScale,
  sizes: SizeChoice,
  seed: () => number,
  augSettings: () => AugmentSettings,
  /** The noise panel's MLPs: its 'no noise' and 'augmentation' runs are compared with when trained on the same digits. */
  mlps: RunGroup,
  serial: JobQueue,
  onError: (e: unknown) => void,
): CnnAugSection {
  // Narrow channels and a short run on a software adapter; the regularizers' default widths on a GPU.
  const channels = bySize(sizes, [4, 8] as const, [16, 32] as const);
  const dense = bySize(sizes, 32, 128);
  const scale: RunScale = {
    ...page,
    sizes: [784, dense, 10],
    steps: bySize(sizes, 60, page.steps),
    chunk: bySize(sizes, 20, 50),
    scoreUntrained: false,
    model: (rt, regularizers, s) => cnn(rt, { channels, dense, seed: s, regularizers }),
  };
  const shape = `conv 5×5×${channels[0]} → pool → conv 5×5×${channels[1]} → pool → dense ${dense} → 10`;
  const element = html(
    'div',
    'panel cnn-aug-section',
    `<h2>Augmentation on a convolutional network</h2>
<p class="note">Two CNNs (${shape}, ReLU) from the same initial weights, trained on the same minibatches with Adam (lr ${scale.lr}), batch ${scale.batch}, ${scale.steps} steps,
on the slider's training digits; the second sees every batch through the grid's augmentation (its settings are read when the models are built: press Reset after changing them).
A convolution applies one filter at every position and max-pooling keeps the largest response of each 2×2 window, so a CNN already treats a digit shifted by a pixel much like the original:
part of what shifting teaches an MLP is built into it. The charts show how much augmentation still changes here.</p>`,
  );
  const bar = el('div', 'panel-bar');
  const resetBtn = el('button', undefined, 'Reset');
  resetBtn.dataset.role = 'cnn-aug-reset';
  const status = el('span', 'note group-status');

  const row = el('div', 'row chart-row');
  const accChart = liveChart(
    row,
    'Accuracy: training digits (light), held-out (dark)',
    'step',
    MODELS.flatMap((m) => [
      { label: `${m.short}, training`, color: m.train },
      { label: `${m.short}, held-out`, color: m.val },
    ]),
    { width: 520, height: 230 },
  );
  const gapChart = liveChart(
    row,
    'Gap: training − held-out accuracy (points)',
    'step',
    MODELS.map((m) => ({ label: m.short, color: m.val })),
    { width: 520, height: 230 },
  );
  const table = el('table', 'results cnn-aug-results');
  const finding = el('p', 'gap-line cnn-aug-finding', 'Press Play to train both networks.');

  let built = { n: 0, aug: augSettings() };
  const make = (): GatedRun[] => {
    const d = data();
    built = { n: d.train.count, aug: augSettings() };
    return MODELS.map((m) => new GatedRun(`CNN ${m.name}`, m.augmented ? [augmentationOf(built.aug)] : [], d, scale, seed()));
  };

  const results = (runs: readonly GatedRun[]): CnnAugResult[] =>
    runs.map((r, i) => {
      const last = r.last;
      const train = last?.train?.accuracy ?? NaN;
      const val = last?.val.accuracy ?? NaN;
      return {
        name: MODELS[i].name,
        augmented: MODELS[i].augmented,
        step: r.step,
        train,
        val,
        gap: train - val,
        loss: r.reports.map((x) => r.chunkLoss(x.step)).findLast(Number.isFinite) ?? NaN,
        valLoss: last?.val.loss ?? NaN,
      };
    });

  /** What the MLPs of the noise panel measured, when both have trained to the end on the same digits and seed. */
  const mlpLine = (plainCnn: GatedRun, cnnNarrowed: number): string => {
    const plain = mlps.runs.find((r) => r.name === 'no noise');
    const aug = mlps.runs.find((r) => r.name === 'augmentation');
    const same = (r: GatedRun | undefined): r is GatedRun => !!r && r.step >= r.scale.steps && r.data.train === plainCnn.data.train && r.seed === plainCnn.seed;
    if (!same(plain) || !same(aug)) return ' Train the noise panel above on the same digits to compare with the MLP.';
    const gap = (r: GatedRun): number => (r.last?.train?.accuracy ?? NaN) - (r.last?.val.accuracy ?? NaN);
    const dVal = (aug.last?.val.accuracy ?? NaN) - (plain.last?.val.accuracy ?? NaN);
    return ` For the ${plain.scale.sizes.join('-')} MLPs of the noise panel (same digits and seed, ${plain.step} steps): gap ${points(gap(plain))} → ${points(gap(aug))} points (<b>${points(gap(plain) - gap(aug))} narrower</b>, against the CNN's ${points(cnnNarrowed)}), held-out <b>${signed(dVal)} points</b>.`;
  };

  /** How far the plain CNN has learned its own digits: a model that has not learned them by heart has less gap to close. */
  const fit = (train: number): string =>
    train < 0.95 ? ` In ${scale.steps} steps the plain CNN gets ${pct(train)} of its own training digits right: it has not learned them by heart yet.` : '';

  const render = (runs: readonly GatedRun[]): void => {
    // The untrained models are not scored (a CNN's forward pass is slow on a software adapter): charts start at the first chunk.
    const xs = runs[0]?.reports.map((r) => r.step) ?? [];
    const acc = (r: GatedRun, set: 'train' | 'val'): number[] => xs.map((_, i) => r.reports[i]?.[set]?.accuracy ?? NaN);
    accChart.set(
      xs,
      runs.flatMap((r) => [acc(r, 'train'), acc(r, 'val')]),
    );
    gapChart.set(
      xs,
      runs.map((r) => {
        const val = acc(r, 'val');
        return acc(r, 'train').map((t, i) => 100 * (t - val[i]));
      }),
    );
    const rs = results(runs);
    const rows = rs
      .map((r, i) => {
        const m = MODELS[i];
        const what = m.augmented ? describeAugmentation(built.aug) : 'none';
        return `<tr><td><i class="swatch" style="background:${m.val}"></i>${m.name}</td><td>${what}</td><td>${percent(r.train)}</td><td><b>${percent(r.val)}</b></td><td>${points(r.gap)}</td><td>${Number.isFinite(r.valLoss) ? r.valLoss.toFixed(3) : '–'}</td></tr>`;
      })
      .join('');
    setHtml(
      table,
      `<thead><tr><th>CNN</th><th>Augmentation</th><th>Training digits</th><th>Held-out</th><th>Gap (points)</th><th>Held-out loss</th></tr></thead><tbody>${rows}</tbody>`,
    );
    const step = Math.min(...runs.map((r) => r.step));
    status.textContent = `${step} of ${scale.steps} steps, ${built.n.toLocaleString('en-US')} training digits, seed ${runs[0]?.seed ?? seed()}`;
    const [plain, aug] = rs;
    if (runs.length === 2 && runs.every((r) => r.step >= scale.steps)) {
      const narrower = aug.gap < plain.gap ? 'narrowed' : 'did not narrow';
      setHtml(
        finding,
        `This run: augmentation <b>${narrower}</b> the CNN's gap, ${points(plain.gap)} → <b>${points(aug.gap)} points</b>, and changed its held-out accuracy by <b>${signed(aug.val - plain.val)} points</b> (${pct(plain.val)} → ${pct(aug.val)}).${fit(plain.train)}${mlpLine(runs[0], plain.gap - aug.gap)}`,
      );
    } else if (step > 0) finding.textContent = 'Training… the comparison appears when both networks have trained all their steps.';
    else finding.textContent = 'Press Play to train both networks.';
  };

  const group = runGroup(make, serial, render, render, onError);
  resetBtn.addEventListener('click', () => void group.reset().catch(onError));
  bar.append(group.controls.element, resetBtn, status);
  element.append(bar, row, table, finding);
  return { element, group, scale, results: () => results(group.runs) };
}
