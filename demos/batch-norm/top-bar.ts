/**
 * The page's top bar: play / pause / step, the steps trained, the hidden-layer picker (which layer
 * the histograms, the inference panel and the batch-size panel show) and the networks' sizes.
 */
import { el } from '../shared/dom';
import type { PairTrainer } from './trainer';

/** The bar. */
export interface TopBar {
  readonly element: HTMLElement;
  /** Marks `layer` (1-based) as picked and shows the steps trained. */
  show(layer: number, steps: number): void;
}

/** Builds the bar around `controls` for the trainer's networks, one button per hidden layer; `onLayer` gets a clicked layer. */
export function topBar(controls: HTMLElement, trainer: PairTrainer, onLayer: (layer: number) => void): TopBar {
  const { hidden, batch, lr } = trainer.config;
  const sizes = `784-${hidden.join('-')}-10 · ${trainer.train.count.toLocaleString('en-US')} training digits · batch ${batch} · momentum SGD, lr ${lr}`;
  const element = el('div', 'panel topbar');
  const stepText = el('span', 'step-text');
  const layerPick = el('span', 'layer-pick', 'hidden layer');
  const buttons = hidden.map((_, i) => {
    const b = el('button', undefined, String(i + 1));
    b.dataset.layer = String(i + 1);
    b.addEventListener('click', () => onLayer(i + 1));
    layerPick.append(b);
    return b;
  });
  element.append(controls, stepText, layerPick, el('span', 'note', sizes));
  return {
    element,
    show(layer, steps) {
      buttons.forEach((b, i) => b.classList.toggle('active', i + 1 === layer));
      stepText.textContent = `${steps} step${steps === 1 ? '' : 's'} trained`;
    },
  };
}
