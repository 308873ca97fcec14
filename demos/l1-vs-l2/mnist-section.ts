/**
 * The MNIST section: an MLP trained with L1 a few steps per tick; a toggle switches the method
 * (proximal / subgradient) and a slider changes α while it trains, without a restart. After each
 * tick the weights are read back once: the exact-zero count goes on a chart, the first layer's
 * weights into a histogram and into one 28×28 image per hidden unit.
 */
import type { GpuDataset, Runtime } from 'webgpu-regularization';
import { trainControls, type TrainControls } from '../shared/controls';
import { el, html, pct, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';
import { L1Trainer, type L1Method, type L1TrainerConfig, type WeightSnapshot } from './l1-trainer';
import { weightHistogram, weightImages } from './weight-views';
import { zeroChart } from './zero-chart';

/** Minibatch steps per tick of the play loop (one readback each). */
export const STEPS_PER_TICK = 10;
/** Held-out accuracy every this many steps. */
const EVAL_EVERY = 100;
/** "Near zero" for the chart's second line. */
const NEAR = 1e-3;
/** log₁₀ α on the slider. */
export const LOG_ALPHA = { min: -4, max: -1.5, step: 0.25 } as const;

/** One point of the zero-count history. */
export interface ZeroPoint {
  step: number;
  zeros: number;
  near: number;
  method: L1Method;
  alpha: number;
}

/** The section's element, controls and state. */
export interface MnistSection {
  readonly element: HTMLElement;
  readonly controls: TrainControls;
  readonly history: readonly ZeroPoint[];
  readonly trainer: L1Trainer;
  readonly last: WeightSnapshot | null;
  readonly heldOutAccuracy: number | null;
  setMethod(m: L1Method): void;
  setLogAlpha(e: number): void;
  /** Called after each training tick (e.g. to recompute the loss surface). */
  onTick: ((playing: boolean) => void) | null;
  /** Called with (pixel, unit) when a pixel of a weight image is clicked. */
  onImagePick: ((pixel: number, unit: number) => void) | null;
}

const alphaText = (a: number): string => (a >= 0.01 ? a.toFixed(3) : a.toExponential(1));

/** Builds the section over the uploaded digits. */
export function mnistSection(
  rt: Runtime,
  data: { train: GpuDataset; val: GpuDataset },
  config: L1TrainerConfig,
  serial: JobQueue,
  onChange: (s: { method: L1Method; logAlpha: number }) => void,
  onError: (e: unknown) => void,
): MnistSection {
  const trainer = L1Trainer.create(rt, data.train, data.val, config);
  const element = el('div', 'panel mnist-section');
  element.append(
    el(
      'h2',
      undefined,
      `L1 on MNIST: ${data.train.features}-${config.hidden}-${data.train.classes} on ${data.train.count.toLocaleString('en-US')} digits, SGD ε = ${config.lr}, batch ${config.batch}`,
    ),
    html(
      'p',
      'note',
      `Two ways to follow the L1 penalty with a gradient method. <b>Subgradient</b> (eq. 7.20): add α·sign(w) to the gradient; a weight the data does not need steps across 0 and back by about ε·α forever, never landing on it. <b>Proximal</b>: after the step, soft-threshold by ε·α (eq. 7.23 applied one step at a time): whatever falls inside the threshold becomes <b>exactly 0</b> and stays there until the data gradient pushes it out. Both run in the optimizer's one fused dispatch (<code>shaders/update_chain.wgsl</code>). Switch the method and move α while it trains.`,
    ),
  );

  const bar = el('div', 'topbar');
  const methodPick = el('span', 'method-pick', 'L1 method ');
  const methodButtons = (['proximal', 'subgradient'] as const).map((m) => {
    const b = el('button', undefined, m);
    b.dataset.method = m;
    methodPick.append(b);
    return b;
  });
  const slider = el('input');
  let logAlpha = Math.log10(config.alpha);
  Object.assign(slider, { type: 'range', min: String(LOG_ALPHA.min), max: String(LOG_ALPHA.max), step: String(LOG_ALPHA.step), value: String(logAlpha) });
  slider.id = 'alpha-mnist';
  const out = el('output', 'alpha-value');
  const label = el('label');
  label.append('α', slider, out);
  const stepText = el('span', 'step-text');

  const row = el('div', 'row mnist-row');
  const left = el('div', 'mnist-left');
  const chart = zeroChart(left, 420, 220, `|w| < ${NEAR}, not 0`);
  left.append(
    el(
      'p',
      'note chart-note',
      'Grey background: steps trained with the subgradient. It drives many weights close to 0 (grey line) but none to 0 exactly; switched to proximal, the first threshold zeros every weight left within ε·α of 0 at once, and the count keeps growing.',
    ),
  );
  const hist = weightHistogram(420, 170);
  const histBox = el('div', 'hist-box');
  histBox.append(el('h3', undefined, 'First-layer weights (√count scale)'), hist.canvas);
  left.append(histBox);
  const right = el('div', 'mnist-right');
  const images = weightImages(config.hidden, config.hidden > 32 ? 2 : 2.5);
  right.append(
    el('h3', undefined, `Each hidden unit's 784 incoming weights as a 28×28 image`),
    html(
      'p',
      'note legend-line',
      '<span class="sw pos"></span>positive <span class="sw neg"></span>negative <span class="sw zero"></span>white: exactly 0 (any non-zero weight is tinted). Click a pixel to put its weight on the loss surface below.',
    ),
    images.element,
  );
  row.append(left, right);
  const summary = el('p', 'summary');
  element.append(bar, summary, row);

  const history: ZeroPoint[] = [];
  let last: WeightSnapshot | null = null;
  let heldOutAccuracy: number | null = null;

  const showSummary = (): void => {
    stepText.textContent = `${trainer.step} steps trained`;
    if (!last) return;
    const acc = heldOutAccuracy === null ? '' : ` Held-out accuracy ${pct(heldOutAccuracy)} (${data.val.count} digits).`;
    setHtml(
      summary,
      `Step ${last.step}, <b>${trainer.method}</b> L1 with α = ${alphaText(trainer.alpha)} (threshold ε·α = ${(config.lr * trainer.alpha).toExponential(1)} per step): ` +
        `<b class="zeros">${last.zerosFc1.toLocaleString('en-US')}</b> of ${last.fc1.length.toLocaleString('en-US')} first-layer weights are exactly 0 (${pct(last.zerosFc1 / last.fc1.length)}); ` +
        `${last.zerosAll.toLocaleString('en-US')} of all ${last.weightCount.toLocaleString('en-US')} weights. ${Number.isFinite(last.loss) ? `Minibatch loss ${last.loss.toFixed(3)}.` : 'Not trained yet.'}${acc}`,
    );
  };

  const show = (s: WeightSnapshot): void => {
    last = s;
    let near = 0;
    for (const x of s.fc1) if (x !== 0 && Math.abs(x) < NEAR) near++;
    history.push({ step: s.step, zeros: s.zerosFc1, near, method: trainer.method, alpha: trainer.alpha });
    chart.set(history);
    hist.draw(s.fc1);
    images.draw(s.fc1);
    showSummary();
  };

  const tick = (): Promise<void> =>
    serial(async () => {
      const s = await trainer.trainSteps(STEPS_PER_TICK);
      if (s.step % EVAL_EVERY === 0) heldOutAccuracy = (await trainer.heldOut()).accuracy;
      show(s);
      section.onTick?.(controls.playing);
    });
  const controls = trainControls(tick, onError);
  bar.append(controls.element, methodPick, label, stepText);

  const setMethod = (m: L1Method): void => {
    trainer.method = m;
    methodButtons.forEach((b) => b.classList.toggle('active', b.dataset.method === m));
    onChange({ method: m, logAlpha });
    showSummary();
  };
  const setLogAlpha = (e: number): void => {
    logAlpha = Math.min(LOG_ALPHA.max, Math.max(LOG_ALPHA.min, e));
    slider.value = String(logAlpha);
    trainer.alpha = 10 ** logAlpha;
    out.textContent = alphaText(trainer.alpha);
    onChange({ method: trainer.method, logAlpha });
    showSummary();
  };
  methodButtons.forEach((b) => b.addEventListener('click', () => setMethod(b.dataset.method as L1Method)));
  slider.addEventListener('input', () => setLogAlpha(Number(slider.value)));
  setMethod(config.method);
  setLogAlpha(logAlpha);
  void serial(async () => show(await trainer.snapshot())).catch(onError);

  const section: MnistSection = {
    element,
    controls,
    history,
    trainer,
    get last() {
      return last;
    },
    get heldOutAccuracy() {
      return heldOutAccuracy;
    },
    setMethod,
    setLogAlpha,
    onTick: null,
    onImagePick: null,
  };
  // A click on a weight image picks that pixel's weight into that unit (for the loss surface).
  images.element.addEventListener('click', (e) => {
    const c = e.target;
    if (!(c instanceof HTMLCanvasElement)) return;
    const unit = [...images.element.children].indexOf(c);
    const r = c.getBoundingClientRect();
    const x = Math.min(27, Math.floor(((e.clientX - r.left) / r.width) * 28));
    const y = Math.min(27, Math.floor(((e.clientY - r.top) / r.height) * 28));
    if (unit >= 0) section.onImagePick?.(y * 28 + x, unit);
  });
  return section;
}
