/**
 * Panel 4, top: the batch-size slider and how much the batch statistics scatter from batch to batch
 * at each size (measured on the batch-norm network's own activations: the input of its batch-norm
 * layer for all training digits, random batches drawn on the CPU), with one digit's normalized
 * value across those batches. The short run (./short-run-section.ts) goes below it.
 */
import { GpuDataset } from 'webgpu-regularization';
import { el, setHtml } from '../shared/dom';
import { captureOutputs, evalContext } from './forward';
import { COLORS, drawValues, histCanvas } from './histograms';
import { lines } from './lines';
import { BN_EPS } from './models';
import { batchSpread } from './stats';
import type { PairTrainer } from './trainer';

/** Random batches drawn per batch size to measure the spread of the batch statistics. */
const DRAWS = 200;

/** What the hook reads: the spread at the slider's batch size. */
export interface SpreadAt {
  batch: number;
  meanSpread: number;
  stdSpread: number;
  normalizedSpread: number;
}

/** The panel and what the page reads from it. */
export interface SpreadSection {
  readonly element: HTMLElement;
  /** The slider's batch size. */
  readonly batch: number;
  /** The spread at the slider's size, once measured. */
  readonly spread: SpreadAt | undefined;
  /** Counts the renders. */
  readonly version: number;
  /** Moves the slider to `b` as a visitor would (an input event). */
  setBatch(b: number): void;
  /** Reads the batch-norm input of hidden layer `layer` for all training digits and redraws. */
  refresh(layer: number): Promise<void>;
}

/** Builds the panel over `batches` (the slider's sizes) for `unit`; `onBatch` gets each size picked on the slider (after the redraw). */
export function spreadSection(trainer: PairTrainer, batches: readonly number[], batch0: number, unit: number, onBatch: (b: number) => void): SpreadSection {
  const train = trainer.train;
  const seed = trainer.config.seed;
  const element = el('div', 'panel noise-panel');
  const input = el('input');
  Object.assign(input, { type: 'range', min: '0', max: String(batches.length - 1), step: '1', value: String(batches.indexOf(batch0)) });
  input.id = 'batch-size';
  const value = el('output', 'batch-value');
  const label = el('label', 'batch-label');
  label.append('batch size B', input, value);
  const row = el('div', 'row');
  const chart = lines(
    row,
    'Batch-to-batch scatter of the statistics',
    [
      { label: 'std of μ_B / σ', color: '#1f6feb', width: 2 },
      { label: 'std of σ_B / σ', color: '#0c8599', width: 2 },
      { label: '1/√B', color: '#8c959f', dash: [4, 4] },
      { label: 'slider’s B', color: '#d9480f', points: true },
    ],
    { width: 460, height: 240, xLabel: 'batch size B', logX: true },
  );
  const oneDigit = el('div', 'one-digit');
  const oneTitle = el('div', 'hist-head');
  const oneCanvas = histCanvas();
  const oneLabel = el('div', 'hist-label');
  oneDigit.append(oneTitle, oneCanvas, oneLabel);
  row.append(oneDigit);
  const note = el('p', 'note spread-note');
  element.append(
    el('h2', undefined, 'Batch size: the noise of batch statistics as a regularizer'),
    label,
    el(
      'p',
      'note',
      'In training, each example is normalized with the mean and variance of the batch it happens to be in, so what the next layer sees of it changes from batch to batch: multiplicative and additive noise on every hidden unit, like the noise of chapter 7.5, and larger the smaller the batch (about 1/√B). Measured here on the batch-norm network’s own activations (the input of its batch-norm layer for all training digits, random batches drawn on the CPU).',
    ),
    row,
    note,
  );

  let batch = batch0;
  /** The batch-norm layer's input for all training digits, and its layer. */
  let measured: { layer: number; values: Float32Array } | null = null;
  let spread: SpreadAt | undefined;
  let version = 0;

  const render = (): void => {
    if (!measured) return;
    const { layer, values } = measured;
    const units = trainer.config.hidden[layer - 1];
    const spreads = batches.map((b) => batchSpread(values, units, b, DRAWS, unit, BN_EPS, seed));
    const at = spreads[batches.indexOf(batch)];
    chart.set(batches, [
      spreads.map((s) => s.meanSpread),
      spreads.map((s) => s.stdSpread),
      batches.map((b) => 1 / Math.sqrt(b)),
      batches.map((b) => (b === batch ? at.meanSpread : null)),
    ]);
    value.textContent = String(batch);
    const lo = Math.min(-3, ...at.normalized);
    const hi = Math.max(3, ...at.normalized);
    drawValues(oneCanvas, at.normalized, lo, hi, 30, COLORS.bn, at.normalizedPopulation);
    oneTitle.textContent = `One digit, unit ${unit} of layer ${layer}, normalized in ${DRAWS} batches of ${batch}`;
    const sd = Math.sqrt(at.normalized.reduce((s, v) => s + (v - at.normalizedPopulation) ** 2, 0) / at.normalized.length);
    oneLabel.textContent = `spread ±${sd.toFixed(2)} around ${at.normalizedPopulation.toFixed(2)} (the whole set's statistics: tick)`;
    setHtml(
      note,
      `At B = <b>${batch}</b>, the batch mean of a unit lands on average <b>${at.meanSpread.toFixed(2)} σ</b> away from the mean of all training digits (one standard deviation across batches), and the batch std varies by <b>${(100 * at.stdSpread).toFixed(0)}%</b>. So the same digit reaches the ReLU shifted and rescaled differently each time it is drawn: the network must learn features that survive that, which is the regularizer. At B = 256 the noise has nearly gone; at B = 2 each normalized value is ±1 whatever the digit.`,
    );
    spread = { batch, meanSpread: at.meanSpread, stdSpread: at.stdSpread, normalizedSpread: sd };
    version++;
  };

  input.addEventListener('input', () => {
    batch = batches[Number(input.value)];
    render();
    onBatch(batch);
  });

  return {
    element,
    get batch() {
      return batch;
    },
    get spread() {
      return spread;
    },
    get version() {
      return version;
    },
    setBatch(b) {
      input.value = String(batches.indexOf(b));
      input.dispatchEvent(new Event('input'));
    },
    async refresh(layer) {
      // The whole training set as one batch: its statistics are the population's (what running averages approach).
      const order = train.identityOrder();
      const all = train.batch(order, GpuDataset.windows(train.count, train.count)[0]);
      order.dispose();
      const [t] = captureOutputs(trainer.models.bn, all.x, [`fc${layer}`], evalContext('batch'));
      all.x.dispose();
      all.targets.dispose();
      measured = { layer, values: await t.toArray() };
      t.dispose();
      render();
    },
  };
}
