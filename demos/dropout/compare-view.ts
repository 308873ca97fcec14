/**
 * The side-by-side panel: a button that trains the two models of ./compare.ts on demand, and a
 * table of what each inference rule scores on the held-out digits, with a bar per accuracy.
 */
import { el, html, pct, setHtml } from '../shared/dom';
import type { RuleResult } from './compare';

/** The panel. */
export interface CompareView {
  readonly element: HTMLElement;
  readonly button: HTMLButtonElement;
  /** Shows training progress. */
  progress(text: string): void;
  /** Shows the results, for models trained at keep probability `p` over `steps` steps. */
  show(results: readonly RuleResult[], p: number, steps: number): void;
}

function describe(r: RuleResult, p: number): { model: string; rule: string } {
  if (r.training === 'inverted') return { model: 'Inverted dropout: kept units ×1/p in training', rule: 'nothing to do (×1)' };
  const model = 'Weight scaling: kept units unscaled in training';
  if (r.kind === 'correct') return { model, rule: `×p = ×${p.toFixed(2)} at each dropout layer` };
  if (r.kind === 'mistake') return { model, rule: `×(1 − p) = ×${(1 - p).toFixed(2)}: the drop probability in place of the keep probability` };
  return { model, rule: '×1: the rescaling forgotten' };
}

/** Builds the panel around `button`'s click handler (set by the caller). */
export function compareView(steps: number, hidden: readonly number[]): CompareView {
  const element = html(
    'div',
    'panel compare',
    `<h2>Inverted dropout vs the weight scaling rule</h2>
<p class="note">Two ${[784, ...hidden, 10].join('-')} networks with dropout after each hidden layer, trained for ${steps} steps from the same initial weights on the same
minibatches with the same masks (same seed, same keys). Only where the factor 1/p goes differs: inverted dropout divides the kept units by p while
training, so inference uses the network as it is; the weight scaling rule trains with unscaled units and multiplies each dropout layer's output by p at
inference (the same network, eq. 7.56–7.66 of the book). The classic mistake confuses the keep and the drop probability (PyTorch's <code>p</code> is a
drop probability; this page's p is the keep probability) and scales by 1 − p.</p>`,
  );
  const bar = el('div', 'controls');
  const button = el('button');
  button.dataset.role = 'compare';
  const status = el('span', 'note compare-status');
  bar.append(button, status);
  const table = el('table', 'compare-table');
  element.append(bar, table);
  return {
    element,
    button,
    progress(text) {
      status.textContent = text;
    },
    show(results, p, done) {
      const rows = results
        .map((r) => {
          const d = describe(r, p);
          const cls = r.kind === 'mistake' ? 'mistake' : r.kind === 'unscaled' ? 'unscaled' : 'correct';
          return `<tr class="${cls}"><td>${d.model}</td><td>${d.rule}</td><td class="acc"><span class="track"><span class="bar" style="width:${pct(r.accuracy)}"></span></span><span class="num">${pct(r.accuracy)}</span></td><td>${r.loss.toFixed(3)}</td></tr>`;
        })
        .join('');
      setHtml(
        table,
        `<thead><tr><th>Model (how it trained)</th><th>Inference: each dropout layer's output ×</th><th>Held-out accuracy</th><th>Held-out loss (nats)</th></tr></thead><tbody>${rows}</tbody>`,
      );
      const same = Math.abs(p - 0.5) < 1e-9;
      status.textContent = `Trained ${done} steps each at p = ${p.toFixed(2)} on the page's digits; scored on 1,000 held-out digits.${same ? ' At p = ½, 1 − p = p: the mistake is invisible; move p away from ½ and train again.' : ' Accuracy can hide a mis-scaled layer (a softmax ignores a common scale only up to the biases); the loss shows it.'}`;
    },
  };
}
