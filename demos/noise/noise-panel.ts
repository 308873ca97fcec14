/**
 * Noise robustness side by side (chapter 7.5): the same network trained the same way with no
 * noise, with Gaussian noise on the inputs, on the hidden units, and on the weights (ε_W ~ N(0, ηI),
 * eq. 7.31), from the same initial weights on the same minibatches. Curves of the minibatch loss
 * and the held-out accuracy, and a table of the overfitting gap.
 */
import { hiddenNoise, inputNoise, weightNoise, type Regularizer } from 'webgpu-regularization/regularizers';
import { liveChart } from '../shared/charts';
import { pct, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';
import { GatedRun, type RunScale } from './gated-run';
import { runGroup, type RunGroup } from './run-group';
import { augmentationOf, describeAugmentation, type AugmentSettings } from './augment-batch';
import type { Datasets } from './datasets';

/** The noise levels (the panel's inputs), and the augmentation grid's settings. */
export interface NoiseLevels {
  inputStd: number;
  hiddenStd: number;
  eta: number;
  aug?: AugmentSettings;
}

interface ModelSpec {
  name: string;
  color: string;
  regs: (l: NoiseLevels) => Regularizer[];
  what: (l: NoiseLevels) => string;
}

const MODELS: readonly ModelSpec[] = [
  { name: 'no noise', color: '#57606a', regs: () => [], what: () => 'plain training' },
  { name: 'input noise', color: '#1f6feb', regs: (l) => [inputNoise({ std: l.inputStd })], what: (l) => `x + N(0, ${l.inputStd}²) on every pixel` },
  { name: 'hidden noise', color: '#8250df', regs: (l) => [hiddenNoise({ std: l.hiddenStd })], what: (l) => `h + N(0, ${l.hiddenStd}²) after the ReLU` },
  { name: 'weight noise', color: '#cf222e', regs: (l) => [weightNoise({ eta: l.eta })], what: (l) => `W + ε_W, ε_W ~ N(0, ${l.eta}·I), fresh each step` },
  {
    name: 'augmentation',
    color: '#1a7f37',
    regs: (l) => (l.aug ? [augmentationOf(l.aug)] : []),
    what: (l) => describeAugmentation(l.aug),
  },
];

/** The panel and what tests read. */
export interface NoisePanel {
  readonly element: HTMLElement;
  readonly group: RunGroup;
  /** Per model: name, held-out and training accuracy of the latest evaluation, steps. */
  results(): { name: string; step: number; val: number; train: number }[];
}

function numberInput(id: string, value: number, step: string, min: string, max: string): HTMLInputElement {
  const i = document.createElement('input');
  Object.assign(i, { type: 'number', id, value: String(value), step, min, max });
  return i;
}

/** Builds the panel; models are rebuilt from `data()` (the current training-set size) on Reset. */
export function noisePanel(
  data: () => Datasets,
  scale: RunScale,
  seed: () => number,
  levels: NoiseLevels,
  augSettings: () => AugmentSettings,
  serial: JobQueue,
  onLevels: (l: NoiseLevels) => void,
  onError: (e: unknown) => void,
): NoisePanel {
  const element = document.createElement('div');
  element.className = 'panel noise-panel';
  setHtml(
    element,
    `<h2>Input noise, hidden noise and weight noise, side by side</h2>
<p class="note">Five ${scale.sizes.join('-')} networks from the same initial weights, trained on the same minibatches with Adam (lr ${scale.lr}), batch ${scale.batch}, ${scale.steps} steps;
only the noise differs (the last one is augmented with the grid's settings, read when the models are built: press Reset after changing them). Every draw comes from the counter-based generator inside the kernel, keyed by (seed, stream, step), so nothing random is stored.
For small variance, input noise acts like a weight penalty (Bishop, 1995), and weight noise like a penalty η·E‖∇<sub>W</sub>ŷ‖² that favours flat minima (§7.5).
Noise is off at evaluation. The fewer the training digits (slider above), the more overfitting there is to prevent.</p>`,
  );
  const bar = document.createElement('div');
  bar.className = 'panel-bar';
  const inIn = numberInput('noise-input-std', levels.inputStd, '0.05', '0', '2');
  const inHid = numberInput('noise-hidden-std', levels.hiddenStd, '0.05', '0', '5');
  const inEta = numberInput('noise-eta', levels.eta, '0.0005', '0', '0.1');
  const labels = [
    ['input σ', inIn],
    ['hidden σ', inHid],
    ['weight η', inEta],
  ] as const;
  const status = document.createElement('span');
  status.className = 'note group-status';
  const resetBtn = document.createElement('button');
  resetBtn.textContent = 'Reset';
  resetBtn.dataset.role = 'noise-reset';

  const chartRow = document.createElement('div');
  chartRow.className = 'row chart-row';
  const series = MODELS.map((m) => ({ label: m.name, color: m.color }));
  const lossChart = liveChart(chartRow, 'Minibatch loss (noise on; mean per chunk)', 'step', series, { width: 520, height: 230 });
  const accChart = liveChart(chartRow, 'Held-out accuracy (noise off)', 'step', series, { width: 520, height: 230 });
  const table = document.createElement('table');
  table.className = 'results noise-results';

  const current = (): NoiseLevels => ({
    inputStd: Number(inIn.value) || 0,
    hiddenStd: Number(inHid.value) || 0,
    eta: Number(inEta.value) || 0,
    aug: augSettings(),
  });
  let built = { n: 0, levels };
  const make = (): GatedRun[] => {
    const d = data();
    const l = current();
    built = { n: d.train.count, levels: l };
    return MODELS.map((m) => new GatedRun(m.name, m.regs(l), d, scale, seed()));
  };

  const render = (runs: readonly GatedRun[]): void => {
    const xs = runs[0]?.reports.map((r) => r.step) ?? [];
    // From the first chunk on: the untrained models' 10% would squash the differences that matter.
    accChart.set(
      xs.slice(1),
      runs.map((r) => xs.slice(1).map((_, i) => r.reports[i + 1]?.val.accuracy ?? NaN)),
    );
    // Mean minibatch loss over each chunk.
    const lossXs = xs.slice(1);
    lossChart.set(
      lossXs,
      runs.map((r) => lossXs.map((x) => r.chunkLoss(x))),
    );
    const rows = runs
      .map((r, i) => {
        const last = r.last;
        const m = MODELS[i];
        return `<tr><td><i class="swatch" style="background:${m.color}"></i>${m.name}</td><td>${m.what(built.levels)}</td><td>${last?.train ? pct(last.train.accuracy) : '–'}</td><td>${last ? `<b>${pct(last.val.accuracy)}</b>` : '–'}</td><td>${last?.train ? (100 * (last.train.accuracy - last.val.accuracy)).toFixed(1) : '–'}</td></tr>`;
      })
      .join('');
    setHtml(table, `<thead><tr><th>Model</th><th>Noise</th><th>Training digits</th><th>Held-out</th><th>Gap (points)</th></tr></thead><tbody>${rows}</tbody>`);
    const step = Math.min(...runs.map((r) => r.step));
    status.textContent = `${step} of ${scale.steps} steps, ${built.n.toLocaleString('en-US')} training digits, seed ${runs[0]?.seed ?? seed()}`;
  };

  const group = runGroup(make, serial, render, render, onError);
  const changed = (): void => {
    onLevels(current());
    void group.reset().catch(onError);
  };
  for (const [, input] of labels) input.addEventListener('change', changed);
  resetBtn.addEventListener('click', () => void group.reset().catch(onError));
  bar.append(group.controls.element, resetBtn);
  for (const [text, input] of labels) {
    const l = document.createElement('label');
    l.append(text, input);
    bar.append(l);
  }
  bar.append(status);
  element.append(bar, chartRow, table);
  return {
    element,
    group,
    results: () => group.runs.map((r) => ({ name: r.name, step: r.step, val: r.last?.val.accuracy ?? NaN, train: r.last?.train?.accuracy ?? NaN })),
  };
}
