/**
 * The bar above the dropout page: the keep probability slider, the seed, which hidden layer's mask
 * is shown, and how many steps have been trained (main puts the Play / Pause / Step controls first).
 */
import { el } from '../shared/dom';

/** Keep probabilities the slider offers: 0.05 … 1 in steps of 0.05. */
const P_MIN = 0.05;
const P_STEP = 0.05;

/** p snapped to the slider's grid and range (a hand-edited hash may hold anything). */
export function snapP(p: number): number {
  if (!Number.isFinite(p)) return 0.8;
  // Two decimals: 6 · 0.05 is 0.30000000000000004 in binary floating point, and p shows in the hash.
  return Math.min(1, Math.max(P_MIN, Number((Math.round(p / P_STEP) * P_STEP).toFixed(2))));
}

/** A seed the page accepts: an integer from 0 to 2⁵³ − 1. */
export function safeSeed(s: number): boolean {
  return Number.isInteger(s) && s >= 0 && s <= Number.MAX_SAFE_INTEGER;
}

/** What the bar reports. */
export interface KeepBarEvents {
  /** The slider moved (p already snapped). */
  p(p: number): void;
  /** A valid seed was entered. */
  seed(seed: number): void;
  /** A layer button was pressed (0-based). */
  layer(i: number): void;
}

/** The bar. */
export interface KeepBar {
  readonly element: HTMLElement;
  /** Moves the slider to `p` as the visitor would (an input event). */
  setP(p: number): void;
  /** Shows `p` next to the slider. */
  showP(p: number): void;
  /** Marks the shown layer (0-based) and the steps trained. */
  showState(layer: number, steps: number): void;
}

/** Builds the bar for `layers` hidden layers, starting at `start`'s p and seed. */
export function keepBar(layers: number, start: { p: number; seed: number }, on: KeepBarEvents): KeepBar {
  const element = el('div', 'panel topbar');
  const pInput = el('input');
  Object.assign(pInput, { type: 'range', min: String(P_MIN), max: '1', step: String(P_STEP), value: String(start.p) });
  pInput.id = 'keep-p';
  const pValue = el('output', 'p-value');
  const pLabel = el('label', 'p-label');
  pLabel.append('keep probability p', pInput, pValue);
  const seedInput = el('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(start.seed) });
  seedInput.id = 'seed';
  const seedLabel = el('label');
  seedLabel.append('seed', seedInput);
  const layerPick = el('span', 'layer-pick', 'hidden layer');
  const layerButtons = Array.from({ length: layers }, (_, i) => {
    const b = el('button', undefined, String(i + 1));
    b.dataset.layer = String(i);
    b.addEventListener('click', () => on.layer(i));
    layerPick.append(b);
    return b;
  });
  const stepText = el('span', 'step-text');
  element.append(pLabel, seedLabel, layerPick, stepText);

  let seed = start.seed;
  pInput.addEventListener('input', () => on.p(snapP(Number(pInput.value))));
  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!safeSeed(s)) {
      seedInput.value = String(seed);
      return;
    }
    seed = s;
    on.seed(s);
  });
  return {
    element,
    setP(p) {
      pInput.value = String(p);
      pInput.dispatchEvent(new Event('input'));
    },
    showP(p) {
      pValue.textContent = p.toFixed(2);
    },
    showState(layer, steps) {
      layerButtons.forEach((b, i) => b.classList.toggle('active', i === layer));
      stepText.textContent = `${steps} step${steps === 1 ? '' : 's'} trained`;
    },
  };
}
