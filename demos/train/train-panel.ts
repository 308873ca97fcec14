/**
 * The "Train" panel: the model and regularizer form, the play / pause / step controls, a status
 * line, the loss and accuracy curves (training minibatches every step, held-out after every epoch),
 * a slot for the CNN's filters and the held-out confusion matrix.
 */
import type { Metrics, StepMetrics } from 'webgpu-regularization';
import { confusionTable } from './confusion';
import { settingsForm, type SettingsForm } from './form';
import { curveChart } from './plots';
import type { TrainSettings } from './settings';
import { el } from '../shared/dom';

/** Experiments worth a click, each a claim the page lets a visitor check. */
const TIPS = [
  'Hidden keep p = 1 (no dropout): the drawn digit’s Monte-Carlo spread drops to 0 and the MC mean equals the single pass.',
  'Hidden keep p = 0.3: the masks disagree more on the drawn digit, and the training curve (dropout on) falls further below the held-out one.',
  'Label smoothing ε = 0.2: even a clear digit’s probability settles well below 100%.',
  'Augmentation: the network has seen digits shifted and turned by up to 9°; compare the rotation sweep with and without.',
  'Early stopping: the run ends 5 epochs after the best held-out loss, and the best parameters come back.',
  'Model = CNN, then tick L2 beside its filters: the run starts again from the very same filters, and ‖W₁‖ ends every epoch smaller than without L2.',
];

/** Weight of the newest minibatch in the smoothed training curve. */
const EMA = 0.1;

/** What the page does with the panel. */
export interface TrainPanel {
  readonly form: SettingsForm;
  /** Where the play / pause / step buttons go. */
  readonly controlsSlot: HTMLElement;
  readonly resetButton: HTMLButtonElement;
  /** Where the first-layer filters go (between the curves and the confusion matrix). */
  readonly filtersSlot: HTMLElement;
  status(text: string): void;
  /** Replaces the paragraph that describes the run (a restart may change the model). */
  describe(text: string): void;
  addSteps(m: readonly StepMetrics[]): void;
  addHeldOut(step: number, val: Metrics): void;
  setConfusion(counts: number[][] | null): void;
  clear(): void;
}

/** Builds the panel into `parent`; `onSettings` receives each new settings object from the form. */
export function trainPanel(parent: HTMLElement, initial: TrainSettings, describe: string, onSettings: (s: TrainSettings) => void): TrainPanel {
  const panel = el('section', 'panel train');
  panel.append(el('h2', undefined, '1 · Train on real digits'));
  const intro = el('p', 'note', describe);
  const top = el('div', 'row');
  const left = el('div', 'train-left');
  const form = settingsForm(initial, onSettings);
  const controlsRow = el('div', 'controls-row');
  const controlsSlot = el('div');
  const resetButton = el('button', undefined, '↺ Reset');
  resetButton.title = 'A fresh, untrained network with the same settings and seed';
  resetButton.dataset.role = 'reset';
  controlsRow.append(controlsSlot, resetButton);
  const statusLine = el('p', 'train-status', 'untrained');
  statusLine.setAttribute('aria-live', 'polite');
  left.append(controlsRow, statusLine, form.element);

  const charts = el('div', 'train-charts');
  const size = { width: 380, height: 210 };
  const loss = curveChart(
    charts,
    'Loss (cross-entropy)',
    [
      { label: 'training minibatches', color: '#f0883e', width: 1.5 },
      { label: 'held-out', color: '#1f6feb', points: true },
    ],
    size,
  );
  const acc = curveChart(
    charts,
    'Accuracy',
    [
      { label: 'training minibatches', color: '#f0883e', width: 1.5 },
      { label: 'held-out', color: '#1f6feb', points: true },
    ],
    size,
    [0, 1],
  );
  charts.append(
    el(
      'p',
      'note curves-note',
      'Training: a moving average of each minibatch in training mode (with dropout and augmentation when chosen), read back every 8 steps without stalling the GPU. Held-out: inference mode, after every epoch.',
    ),
  );
  top.append(left, charts);

  const confusionBox = el('div', 'confusion-box');
  const table = confusionTable();
  const side = el('div', 'confusion-side');
  side.append(
    el(
      'p',
      'note',
      'Rows: the true digit; columns: the prediction of one deterministic pass (weight scaling). Blue: correct, red: confused, shaded by the fraction of the row.',
    ),
    el('h3', undefined, 'Things to try'),
  );
  const tips = el('ul', 'tips');
  for (const t of TIPS) tips.append(el('li', undefined, t));
  side.append(tips);
  confusionBox.append(el('h3', undefined, 'Held-out confusion matrix'), table.element, side);
  const filtersSlot = el('div', 'filters-slot');
  panel.append(intro, top, filtersSlot, confusionBox);
  parent.append(panel);

  let smoothLoss: number | null = null;
  let smoothAcc: number | null = null;
  return {
    form,
    controlsSlot,
    resetButton,
    filtersSlot,
    status(text) {
      statusLine.textContent = text;
    },
    describe(text) {
      intro.textContent = text;
    },
    addSteps(m) {
      for (const s of m) {
        if (!Number.isFinite(s.loss)) continue;
        smoothLoss = smoothLoss === null ? s.loss : smoothLoss + EMA * (s.loss - smoothLoss);
        smoothAcc = smoothAcc === null ? s.accuracy : smoothAcc + EMA * (s.accuracy - smoothAcc);
        // x is the number of steps taken after this one, the same count the held-out points use.
        loss.push(s.step + 1, [smoothLoss, null]);
        acc.push(s.step + 1, [smoothAcc, null]);
      }
    },
    addHeldOut(step, val) {
      loss.push(step, [null, val.loss]);
      acc.push(step, [null, val.accuracy]);
    },
    setConfusion(counts) {
      table.set(counts);
    },
    clear() {
      smoothLoss = null;
      smoothAcc = null;
      loss.clear();
      acc.clear();
      table.set(null);
    },
  };
}
