/**
 * The page's top bar: play / pause / step, the button that trains all k members at once (batched),
 * the number of members k and the seed (each entry cleaned to an allowed value; a change restarts
 * the page's training), and a line on what is training.
 */
import type { Progress } from 'webgpu-regularization';
import { el } from '../shared/dom';

/** Members the page allows (2^k subsets are enumerated for the chart's mean: 1,023 at k = 10). */
export const K_MAX = 10;

/** k as an integer in [2, K_MAX] (5 if it is not an integer). */
export const cleanK = (k: number): number => (Number.isInteger(k) ? Math.min(K_MAX, Math.max(2, k)) : 5);
/** A seed in [0, 2³¹) (1 otherwise). */
export const cleanSeed = (s: number): number => (Number.isInteger(s) && s >= 0 && s < 2 ** 31 ? s : 1);

/** The bar and its progress line. */
export interface SettingsBar {
  readonly element: HTMLElement;
  /** Runs `run` on each click of the button that trains all k members at once (its label follows k), the button disabled until the run settles. */
  onBatched(run: () => Promise<void>): void;
  /** Shows `text` as the progress line. */
  say(text: string): void;
  /** A fit progress callback that shows the epoch of `what`. */
  progressOf(what: string): (p: Progress) => void;
}

/** Builds the bar around `controls`, starting at `initial`; `onChange` gets each new k or seed. */
export function settingsBar(
  controls: HTMLElement,
  initial: { k: number; seed: number },
  onChange: (change: { k: number } | { seed: number }) => void,
): SettingsBar {
  const element = el('div', 'panel topbar');
  const current = { ...initial };
  const batched = el('button', 'batched');
  batched.dataset.role = 'batched';
  batched.title = "bagging({ batched: true }): the members' weights stacked, one matmul per layer for all of them; the same members, bit for bit";
  const nameButton = (): void => {
    batched.textContent = `Train all ${current.k} at once (batched)`;
  };
  nameButton();
  const input = (id: 'k' | 'seed', text: string, attrs: Record<string, string>, clean: (x: number) => number): HTMLLabelElement => {
    const i = el('input');
    Object.assign(i, { type: 'number', step: '1', value: String(current[id]), ...attrs });
    i.id = id;
    i.addEventListener('change', () => {
      const x = clean(Number(i.value));
      i.value = String(x);
      if (x === current[id]) return;
      current[id] = x;
      nameButton();
      onChange(id === 'k' ? { k: x } : { seed: x });
    });
    const label = el('label');
    label.append(text, i);
    return label;
  };
  const progress = el('span', 'progress-text');
  element.append(
    controls,
    batched,
    input('k', 'members k', { min: '2', max: String(K_MAX) }, cleanK),
    input('seed', 'seed', { min: '0' }, cleanSeed),
    progress,
  );
  return {
    element,
    onBatched(run) {
      batched.addEventListener('click', () => {
        batched.disabled = true;
        void run().finally(() => {
          batched.disabled = false;
        });
      });
    },
    say(text) {
      progress.textContent = text;
    },
    progressOf: (what) => (p) => {
      progress.textContent = `${what}: epoch ${p.epoch}`;
    },
  };
}
