/**
 * The page's top bar: the seed of every run and batch (a number input; an invalid entry is put
 * back) and a line on what every model here is.
 */
import { el } from '../shared/dom';

/** A seed the generators accept: an integer in [0, 2³² − 1]. */
export const validSeed = (s: number): boolean => Number.isInteger(s) && s >= 0 && s <= 0xffffffff;

/** The bar, showing `seed()`; `onSeed` gets each valid seed entered. */
export function seedBar(seed: () => number, about: string, onSeed: (s: number) => void): HTMLElement {
  const bar = el('div', 'panel topbar');
  const seedInput = el('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(seed()), id: 'seed' });
  const seedLabel = el('label');
  seedLabel.append('seed', seedInput);
  bar.append(seedLabel, el('span', 'note', about));
  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!validSeed(s)) {
      seedInput.value = String(seed());
      return;
    }
    onSeed(s);
  });
  return bar;
}
