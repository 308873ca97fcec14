/**
 * The training-mode / inference-mode panel: two buttons, the statistics each mode would normalize
 * with (the used row marked), the outputs for the first digits of the batch, and the held-out
 * accuracy in both modes (./inference.ts measures them).
 */
import { digitCanvas, drawDigit } from '../shared/digit-canvas';
import { el, html, pct, setHtml } from '../shared/dom';
import type { StatsMode } from './forward';
import type { InferenceReport } from './inference';
import { BN_MOMENTUM } from './models';

/** The panel. */
export interface InferenceView {
  readonly element: HTMLElement;
  /** The mode buttons (the caller listens to their clicks). */
  readonly buttons: Record<StatsMode, HTMLButtonElement>;
  show(r: InferenceReport): void;
}

const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** Builds the panel; `images` are the held-out digits (784 values each, 0 to 1), the batch's first rows first. */
export function inferenceView(images: Float32Array): InferenceView {
  const element = el('div', 'panel inference-panel');
  const modeBar = el('div', 'mode-bar');
  const buttons: Record<StatsMode, HTMLButtonElement> = {
    batch: el('button', undefined, 'Training mode: batch statistics'),
    running: el('button', undefined, 'Inference mode: running statistics'),
  };
  for (const m of ['batch', 'running'] as const) {
    buttons[m].dataset.mode = m;
    modeBar.append(buttons[m]);
  }
  const infNote = el('p', 'note');
  const infSource = el('p', 'inf-source');
  const infTable = el('table', 'stats-table');
  const infOutputs = el('div', 'outputs');
  const infAcc = el('table', 'acc-table');
  element.append(
    el('h2', undefined, 'Training mode vs inference mode (the network with batch norm)'),
    modeBar,
    infNote,
    infSource,
    infTable,
    infOutputs,
    infAcc,
  );

  return {
    element,
    buttons,
    show(r) {
      for (const m of ['batch', 'running'] as const) buttons[m].classList.toggle('active', m === r.mode);
      setHtml(
        infNote,
        `The same trained weights, two ways to normalize hidden layer ${r.layer}: with the mean and variance of the batch being processed (how it trains), or with running averages <code>r ← (1 − ${BN_MOMENTUM})·r + ${BN_MOMENTUM}·batch value</code> accumulated over training steps (how it predicts, one digit at a time if need be). The batch here: the first ${r.batch} held-out digits (B from the slider below).`,
      );
      setHtml(infSource, `<b>Using ${r.mode === 'batch' ? 'batch statistics' : 'running statistics'}</b>: ${r.source}.`);
      const row = (name: string, s: { mean: number[]; variance: number[] }, used: boolean, what: 'mean' | 'variance') =>
        `<tr class="${used ? 'used' : ''}"><td>${name}</td>${s[what].map((v) => `<td>${num(v)}</td>`).join('')}</tr>`;
      const head = `<tr><th></th>${r.units.map((u) => `<th>unit ${u}</th>`).join('')}</tr>`;
      setHtml(
        infTable,
        `<thead>${head}</thead><tbody>
        <tr class="group"><td colspan="${r.units.length + 1}">mean μ of bn${r.layer}'s input</td></tr>
        ${row(`batch of ${r.batch}`, r.batchStats, r.mode === 'batch', 'mean')}${row('running (buffer)', r.runningStats, r.mode === 'running', 'mean')}
        <tr class="group"><td colspan="${r.units.length + 1}">variance σ²</td></tr>
        ${row(`batch of ${r.batch}`, r.batchStats, r.mode === 'batch', 'variance')}${row('running (buffer)', r.runningStats, r.mode === 'running', 'variance')}</tbody>`,
      );
      infOutputs.replaceChildren(
        el('div', 'note', `Outputs for the first ${r.outputs.length} digits of the batch (${r.mode === 'batch' ? 'training' : 'inference'} mode):`),
      );
      const strip = el('div', 'digit-strip');
      r.outputs.forEach((o, i) => {
        const cell = el('div', `digit ${o.predicted === o.label ? 'right' : 'wrong'}`);
        // 28×28 canvas pixels shown at 42 CSS pixels.
        const c = digitCanvas(28, 28, 1.5, 'pixels');
        drawDigit(c, images, i * 784);
        cell.append(c, html('span', undefined, `${o.predicted} <small>${pct(o.confidence, 0)}</small>`));
        strip.append(cell);
      });
      infOutputs.append(strip);
      const accRow = (m: StatsMode, name: string) =>
        `<tr class="${m === r.mode ? 'used' : ''}"><td>${name}</td><td>${pct(r.accuracy[m].accuracy)}</td><td>${r.accuracy[m].loss.toFixed(3)}</td></tr>`;
      setHtml(
        infAcc,
        `<thead><tr><th>All 1,024 held-out digits, in batches of ${r.batch} (after step ${r.accuracyStep})</th><th>accuracy</th><th>loss</th></tr></thead><tbody>${accRow('batch', 'batch statistics (each batch its own)')}${accRow('running', 'running statistics')}</tbody>`,
      );
    },
  };
}
