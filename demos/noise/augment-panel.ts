/**
 * The augmented minibatch as the GPU makes it: each digit of one training step's minibatch beside
 * its augmented version (28×28 canvases, one canvas pixel per image pixel), with the transform the
 * Philox twin says the kernel drew for it. Sliders choose the transforms; the seed (top bar) and the
 * step pick the minibatch and the draws, so the same seed and step always give the same batch.
 */
import { augmentedBatch, type AugmentedBatch, type AugmentSettings } from './augment-batch';
import type { Datasets } from './datasets';
import { canvasGray, digitCanvas, drawDigit } from '../shared/digit-canvas';
import { setHtml } from '../shared/dom';
import { coalesced, type JobQueue } from '../shared/jobs';

/** The panel and what tests read. */
export interface AugmentPanel {
  readonly element: HTMLElement;
  /** Redraws the batch for the current seed, step and settings. */
  refresh(): Promise<void>;
  /** The batch shown (GPU values). */
  readonly shown: AugmentedBatch | null;
  /** The sliders' current values. */
  readonly controls: AugmentControls;
  /** Counts redraws. */
  readonly version: number;
  /** The augmented canvases' gray values, concatenated (what is on screen). */
  shownPixels(): number[];
  setStep(step: number): Promise<void>;
}

/** Slider definitions: [key, label, min, max, step, unit shown]. */
const SLIDERS = [
  ['maxShift', 'shift ±', 0, 4, 1, 'px'],
  ['rotationDeg', 'rotation ±', 0, 45, 1, '°'],
  ['zoomPct', 'zoom ±', 0, 25, 1, '%'],
  ['noiseStd', 'noise σ', 0, 0.5, 0.05, ''],
] as const;

/** The sliders' values, as kept in the URL. */
export interface AugmentControls {
  maxShift: number;
  rotationDeg: number;
  zoomPct: number;
  noiseStd: number;
  step: number;
}

/** The regularizer's settings from the sliders' values. */
export function settingsOf(c: AugmentControls): AugmentSettings {
  return { maxShift: c.maxShift, maxRotation: (c.rotationDeg * Math.PI) / 180, zoom: c.zoomPct / 100, noiseStd: c.noiseStd };
}

const ZOOM = 2;

/** Builds the panel; `data()` and `seed()` give the current training set and seed. */
export function augmentPanel(
  data: () => Datasets,
  seed: () => number,
  batch: number,
  initial: AugmentControls,
  serial: JobQueue,
  onChange: (c: AugmentControls) => void,
  onError: (e: unknown) => void,
): AugmentPanel {
  const element = document.createElement('div');
  element.className = 'panel augment-panel';
  setHtml(
    element,
    `<h2>The augmented minibatch, as the GPU makes it</h2>
<p class="note">One training step's minibatch (the window of the epoch's seeded order that <code>fit</code> gathers), each digit on the left and
what <code>augmentation()</code> made of it on the right: one dispatch of <code>augment.wgsl</code> shifts, rotates and zooms every example
with its own transform drawn from Philox keyed by (seed, stream, step, example), then adds input noise. Nothing is stored: the same seed and step
always give the same batch, and the next step a new one. No flips and no large rotations: a mirrored 'b' is a 'd', a 6 turned over is a 9.</p>`,
  );
  const c: AugmentControls = { ...initial };
  const bar = document.createElement('div');
  bar.className = 'panel-bar';
  const stepInput = document.createElement('input');
  Object.assign(stepInput, { type: 'number', min: '0', step: '1', value: String(c.step), id: 'aug-step' });
  const stepLabel = document.createElement('label');
  stepLabel.append('step', stepInput);
  const next = document.createElement('button');
  next.textContent = 'Next step ›';
  next.dataset.role = 'aug-next';
  bar.append(stepLabel, next);
  const outputs: HTMLOutputElement[] = [];
  for (const [key, text, min, max, step, unit] of SLIDERS) {
    const input = document.createElement('input');
    Object.assign(input, { type: 'range', min: String(min), max: String(max), step: String(step), value: String(c[key]), id: `aug-${key}` });
    const out = document.createElement('output');
    const show = (): void => {
      out.textContent = `${c[key]}${unit}`;
    };
    show();
    outputs.push(out);
    input.addEventListener('input', () => {
      c[key] = Number(input.value);
      show();
      onChange({ ...c });
      void refresh().catch(onError);
    });
    const label = document.createElement('label');
    label.append(text, input, out);
    bar.append(label);
  }

  const grid = document.createElement('div');
  grid.className = 'aug-grid';
  const cells = Array.from({ length: batch }, () => {
    const cell = document.createElement('figure');
    const orig = digitCanvas(28, 28, ZOOM);
    orig.classList.add('orig');
    const aug = digitCanvas(28, 28, ZOOM);
    aug.classList.add('aug');
    const cap = document.createElement('figcaption');
    const pair = document.createElement('div');
    pair.className = 'pair';
    pair.append(orig, aug);
    cell.append(pair, cap);
    grid.append(cell);
    return { cell, orig, aug, cap };
  });
  const caption = document.createElement('p');
  caption.className = 'note aug-caption';
  element.append(bar, grid, caption);

  let shown: AugmentedBatch | null = null;
  let version = 0;
  const draw = (b: AugmentedBatch): void => {
    cells.forEach((cl, r) => {
      cl.cell.hidden = r >= b.rows;
      if (r >= b.rows) return;
      drawDigit(cl.orig, b.original, r * 784);
      drawDigit(cl.aug, b.augmented, r * 784);
      const p = b.params[r];
      const deg = (p.angle * 180) / Math.PI;
      cl.cap.textContent = `${b.labels[r]}: (${p.dx >= 0 ? '+' : ''}${p.dx}, ${p.dy >= 0 ? '+' : ''}${p.dy}) ${deg >= 0 ? '+' : ''}${deg.toFixed(0)}° ×${p.scale.toFixed(2)}`;
      cl.cap.title = `label ${b.labels[r]}; shift right ${p.dx}, down ${p.dy} px; rotated ${deg.toFixed(1)}° clockwise; zoom ×${p.scale.toFixed(3)}`;
    });
    caption.textContent = `Step ${b.step} of the runs with seed ${b.seed} on ${data().train.count.toLocaleString('en-US')} training digits: ${b.rows} examples, label and drawn transform (shift in px, rotation, zoom) under each pair.`;
  };
  // Coalesces bursts of slider events: one redraw, queued, reads the latest settings when it runs.
  const refresh = coalesced(serial, async () => {
    const b = await augmentedBatch(data().train, seed(), c.step, batch, settingsOf(c));
    shown = b;
    draw(b);
    version++;
  });
  const setStep = (s: number): Promise<void> => {
    c.step = Math.max(0, Math.floor(s));
    stepInput.value = String(c.step);
    onChange({ ...c });
    return refresh();
  };
  next.addEventListener('click', () => void setStep(c.step + 1).catch(onError));
  stepInput.addEventListener('change', () => {
    const s = Number(stepInput.value);
    if (Number.isInteger(s) && s >= 0) void setStep(s).catch(onError);
    else stepInput.value = String(c.step);
  });
  return {
    element,
    refresh,
    get shown() {
      return shown;
    },
    get controls() {
      return { ...c };
    },
    get version() {
      return version;
    },
    shownPixels: () => cells.filter((cl) => !cl.cell.hidden).flatMap((cl) => canvasGray(cl.aug)),
    setStep,
  };
}
