/**
 * The settings as a form: the model (MLP or CNN), a select per numeric setting (its choices from
 * CHOICES), a checkbox per switch, and the seed. Every change reports the whole new settings object.
 */
import { CHOICES, MODELS, PATIENCE, type ModelKind, type TrainSettings } from './settings';

type NumericKey = keyof typeof CHOICES;
type SwitchKey = 'augment' | 'batchNorm' | 'earlyStop';

/** The form and a way to show settings in it (after loading a checkpoint). */
export interface SettingsForm {
  readonly element: HTMLElement;
  show(s: TrainSettings): void;
}

/** How the model select names each network. */
const MODEL_LABELS: Record<ModelKind, string> = { mlp: 'MLP', cnn: 'CNN' };

const NUMERIC: { key: NumericKey; label: string; title: string; off?: string; fmt?: (v: number) => string }[] = [
  {
    key: 'pHidden',
    label: 'dropout, hidden keep p',
    title: 'Probability of keeping each hidden unit in training (inverted dropout; in the CNN, the dense layer’s units). 1 = no dropout.',
    off: '1 (off)',
  },
  { key: 'pIn', label: 'dropout, input keep p', title: 'Probability of keeping each input pixel in training. 1 = no input dropout.', off: '1 (off)' },
  {
    key: 'l2',
    label: 'L2 α',
    title: 'Coupled weight decay: α·w added to the gradient (eq. 7.5). Biases are not penalized.',
    off: '0 (off)',
    fmt: (v) => v.toExponential(0),
  },
  { key: 'l1', label: 'L1 α', title: 'Proximal L1: soft threshold after each update, exact zeros (eq. 7.23).', off: '0 (off)', fmt: (v) => v.toExponential(0) },
  { key: 'maxNorm', label: 'max-norm c', title: "Each hidden unit's incoming weight vector is projected back to norm ≤ c after every update.", off: 'off' },
  { key: 'smoothing', label: 'label smoothing ε', title: 'Targets 1 − ε at the label and ε/9 elsewhere (the book’s convention).', off: '0 (off)' },
];

const SWITCHES: { key: SwitchKey; label: string; title: string }[] = [
  { key: 'augment', label: 'augmentation', title: 'Every training batch shifted (±2 px), rotated (±0.15 rad) and zoomed (0.9-1.1) on the GPU, per example.' },
  { key: 'batchNorm', label: 'batch norm', title: 'Batch normalization before every hidden ReLU (batch statistics in training, running ones at inference).' },
  {
    key: 'earlyStop',
    label: `early stopping (patience ${PATIENCE})`,
    title: `Stop when the held-out loss has not improved for ${PATIENCE} epochs and restore the best parameters.`,
  },
];

/** A form over `initial`; `onChange` receives each new settings object. */
export function settingsForm(initial: TrainSettings, onChange: (s: TrainSettings) => void): SettingsForm {
  let current = { ...initial };
  const element = document.createElement('fieldset');
  element.className = 'settings';
  const legend = document.createElement('legend');
  legend.textContent = 'Model and regularizers · a change restarts';
  element.append(legend);
  const modelLabel = document.createElement('label');
  modelLabel.title = 'The MLP (fully connected), or a LeNet-shaped CNN: two 5×5 convolutions with max pooling, a dense layer, the classes.';
  const modelSelect = document.createElement('select');
  modelSelect.name = 'model';
  for (const m of MODELS) {
    const o = document.createElement('option');
    o.value = m;
    o.textContent = MODEL_LABELS[m];
    modelSelect.append(o);
  }
  modelSelect.addEventListener('change', () => emit({ model: modelSelect.value as ModelKind }));
  modelLabel.append('model', modelSelect);
  element.append(modelLabel);
  const selects = new Map<NumericKey, HTMLSelectElement>();
  const boxes = new Map<SwitchKey, HTMLInputElement>();
  const emit = (patch: Partial<TrainSettings>): void => {
    current = { ...current, ...patch };
    onChange(current);
  };

  for (const n of NUMERIC) {
    const label = document.createElement('label');
    label.title = n.title;
    const select = document.createElement('select');
    select.name = n.key;
    for (const v of CHOICES[n.key]) {
      const o = document.createElement('option');
      o.value = String(v);
      o.textContent = v === CHOICES[n.key][0] && n.off ? n.off : n.fmt ? n.fmt(v) : String(v);
      select.append(o);
    }
    select.addEventListener('change', () => emit({ [n.key]: Number(select.value) }));
    label.append(n.label, select);
    selects.set(n.key, select);
    element.append(label);
  }
  for (const s of SWITCHES) {
    const label = document.createElement('label');
    label.title = s.title;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = s.key;
    box.addEventListener('change', () => emit({ [s.key]: box.checked }));
    label.append(box, s.label);
    boxes.set(s.key, box);
    element.append(label);
  }
  const seedLabel = document.createElement('label');
  seedLabel.title = 'Seeds the split of the digits, the initial weights, the epoch order, and every mask and augmentation draw.';
  const seed = document.createElement('input');
  seed.type = 'number';
  seed.min = '0';
  seed.step = '1';
  seed.name = 'seed';
  seed.addEventListener('change', () => {
    const v = Number(seed.value);
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 31) emit({ seed: v });
    else seed.value = String(current.seed);
  });
  seedLabel.append('seed', seed);
  element.append(seedLabel);

  const show = (s: TrainSettings): void => {
    current = { ...s };
    modelSelect.value = s.model;
    for (const [k, sel] of selects) sel.value = String(s[k]);
    for (const [k, box] of boxes) box.checked = s[k];
    seed.value = String(s.seed);
  };
  show(initial);
  return { element, show };
}
