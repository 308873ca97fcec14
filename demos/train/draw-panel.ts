/**
 * The "Draw" panel: the 28×28 pad with Clear and held-out-digit buttons, the rotation slider, the
 * image the network saw, a summary of the three predictions, the per-class bar chart, the
 * Monte-Carlo convergence chart, and the rotation sweep.
 */
import { el, pct } from '../shared/dom';
import { barChart } from './bars';
import type { Classification } from './infer';
import { drawingPad, SIDE, type Pad } from './pad';
import { convergenceChart, sweepChart, type SweepChart } from './plots';
import { CHOICES } from './settings';

/** What the page does with the panel. */
export interface DrawPanel {
  readonly pad: Pad;
  /** Rotation in radians (positive: clockwise). */
  readonly angle: number;
  /** Whether to size and centre the drawing like MNIST before classifying. */
  readonly centre: boolean;
  readonly sweep: SweepChart;
  readonly sweepButton: HTMLButtonElement;
  readonly mcSelect: HTMLSelectElement;
  show(c: Classification | null, hasDropout: boolean): void;
  note(text: string): void;
}

/** Callbacks of the panel's controls. */
export interface DrawEvents {
  /** The drawing, the angle or the centring changed. */
  changed(): void;
  heldOutDigit(): void;
  sweep(): void;
  samples(n: number): void;
}

const PAD_HINT = 'Draw with the mouse, a pen or a finger: one digit, large and roughly centred.';

/** Builds the panel into `parent`. */
export function drawPanel(parent: HTMLElement, samples: number, events: DrawEvents, showMaskSource: () => void): DrawPanel {
  const panel = el('section', 'panel draw');
  panel.append(el('h2', undefined, '2 · Draw a digit'));
  const row = el('div', 'row');

  // The pad and its controls.
  const padBox = el('div', 'pad-box');
  const pad = drawingPad(224, () => events.changed());
  const buttons = el('div', 'controls');
  const clear = el('button', undefined, 'Clear');
  clear.dataset.role = 'clear';
  clear.addEventListener('click', () => {
    pad.clear();
    padNote.textContent = PAD_HINT;
    events.changed();
  });
  const sample = el('button', undefined, 'A held-out digit');
  sample.title = 'Put the next digit of the held-out set on the pad';
  sample.addEventListener('click', () => events.heldOutDigit());
  buttons.append(clear, sample);
  const rotateLabel = el('label', 'rotate');
  const rotate = el('input');
  rotate.type = 'range';
  rotate.min = '-90';
  rotate.max = '90';
  rotate.step = '5';
  rotate.value = '0';
  rotate.name = 'rotate';
  const rotateValue = el('span', 'rotate-value', '0°');
  rotate.addEventListener('input', () => {
    rotateValue.textContent = `${rotate.value}°`;
    events.changed();
  });
  rotateLabel.append('rotate', rotate, rotateValue);
  const centreLabel = el('label');
  const centreBox = el('input');
  centreBox.type = 'checkbox';
  centreBox.checked = true;
  centreBox.addEventListener('change', () => events.changed());
  centreLabel.title = "MNIST's preprocessing: the ink's bounding box scaled to 20×20 and its centre of mass moved to the centre";
  centreLabel.append(centreBox, 'size & centre like MNIST');
  const seen = document.createElement('canvas');
  seen.width = SIDE;
  seen.height = SIDE;
  seen.className = 'pixels seen';
  const seenCtx = seen.getContext('2d');
  if (!seenCtx) throw new Error('draw panel: no 2D context');
  const seenBox = el('div', 'seen-box');
  seenBox.append(seen, el('span', 'note', 'what the network sees (rotated on the GPU by warpImages)'));
  const padNote = el('p', 'note pad-note', PAD_HINT);
  padBox.append(pad.canvas, buttons, rotateLabel, centreLabel, seenBox, padNote);

  // The predictions.
  const predBox = el('div', 'pred-box');
  const summary = el('div', 'summary');
  const bars = barChart(410, 230);
  const mcLabel = el('label');
  const mcSelect = el('select');
  mcSelect.name = 'mc';
  for (const n of CHOICES.mc) {
    const o = el('option', undefined, String(n));
    o.value = String(n);
    mcSelect.append(o);
  }
  mcSelect.value = String(samples);
  mcSelect.addEventListener('change', () => events.samples(Number(mcSelect.value)));
  mcLabel.append('Monte-Carlo masks N', mcSelect);
  const how = el('p', 'note');
  const link = el('a', undefined, 'how a mask is keyed');
  link.href = '#';
  link.addEventListener('click', (e) => {
    e.preventDefault();
    showMaskSource();
  });
  how.append(
    'The drawn digit is replicated N times as the rows of one batch and run once with dropout on: every row gets its own mask because a mask is a function of the element index (',
    link,
    '). The mean of the N distributions estimates the arithmetic mean over all masks (eq. 7.53); weight scaling is one pass with dropout off, an approximation of the geometric mean (eq. 7.56-7.66).',
  );
  predBox.append(summary, bars.canvas, mcLabel, how);

  const convBox = el('div', 'conv-box');
  const conv = convergenceChart(convBox, { width: 380, height: 260 });
  convBox.append(
    el(
      'p',
      'note',
      'The band is ±1 standard error of the estimate: it shrinks as 1/√N. The dashed spread of the masks does not shrink: it is a property of the network, the disagreement of its sub-networks.',
    ),
  );
  row.append(padBox, predBox, convBox);

  const sweepRow = el('div', 'row sweep-row');
  const sweepBox = el('div');
  const sweep = sweepChart(sweepBox, { width: 520, height: 220 });
  const sweepSide = el('div', 'sweep-side');
  const sweepButton = el('button', undefined, 'Sweep −90° … +90°');
  sweepButton.dataset.role = 'sweep';
  sweepButton.addEventListener('click', () => events.sweep());
  sweepSide.append(
    sweepButton,
    el(
      'p',
      'note',
      'Turns the digit through 13 angles on the GPU and classifies each with 64 masks. Far from upright the digit leaves the training distribution: the entropy and the disagreement between masks usually rise, though a network can also be confidently wrong (a 6 turned into a 9).',
    ),
  );
  sweepRow.append(sweepBox, sweepSide);
  panel.append(row, sweepRow);
  parent.append(panel);

  const seenImage = seenCtx.createImageData(SIDE, SIDE);
  return {
    pad,
    get angle() {
      return (Number(rotate.value) * Math.PI) / 180;
    },
    get centre() {
      return centreBox.checked;
    },
    sweep,
    sweepButton,
    mcSelect,
    note(text) {
      padNote.textContent = text;
    },
    show(c, hasDropout) {
      bars.set(c);
      conv.set(c);
      if (!c) {
        summary.replaceChildren(el('p', 'note', 'Draw a digit on the pad.'));
        seenCtx.clearRect(0, 0, SIDE, SIDE);
        return;
      }
      for (let i = 0; i < c.image.length; i++) {
        const g = Math.round(255 * Math.max(0, Math.min(1, c.image[i])));
        seenImage.data.set([g, g, g, 255], i * 4);
      }
      seenCtx.putImageData(seenImage, 0, 0);
      let wsTop = 0;
      for (let k = 1; k < 10; k++) if (c.weightScaling[k] > c.weightScaling[wsTop]) wsTop = k;
      const mi = Math.max(0, c.entropy - c.expectedEntropy);
      summary.replaceChildren();
      const big = el('div', 'verdict');
      big.append(el('span', 'digit', String(c.top)), el('span', 'verdict-text', `MC mean ${pct(c.mcMean[c.top])} ± ${pct(c.mcStd[c.top])}`));
      const table = el('table', 'pred-table');
      const rows: [string, string][] = [
        ['weight scaling (1 pass, dropout off)', `${wsTop} · ${pct(c.weightScaling[wsTop])}`],
        [`arithmetic mean, MC estimate (N = ${c.samples})`, `${c.top} · ${pct(c.mcMean[c.top])}`],
        ['spread of p(top) over the masks (s.d.)', pct(c.mcStd[c.top])],
        ['predictive entropy H[p̄]', `${c.entropy.toFixed(2)} bits of 3.32`],
        ['of which disagreement of masks (mutual information)', `${mi.toFixed(2)} bits`],
      ];
      for (const [k, v] of rows) {
        const tr = table.insertRow();
        tr.insertCell().textContent = k;
        tr.insertCell().textContent = v;
      }
      summary.append(big, table);
      if (!hasDropout)
        summary.append(
          el('p', 'note', 'This network has no dropout layers: every mask is the same network, so the spread is 0 and the MC mean equals the single pass.'),
        );
    },
  };
}
