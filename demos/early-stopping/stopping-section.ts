/**
 * Part 1: early stopping on 500 MNIST digits. The run's settings (patience, evaluation interval,
 * seed), play / pause / step, the live training and validation curves with the patience window, and
 * a line saying where the run is. Changing a setting starts a new run.
 */
import type { GpuDataset, Runtime } from 'webgpu-regularization';
import { trainControls, type TrainControls } from '../shared/controls';
import { el, html, pct, setHtml } from '../shared/dom';
import type { HashState } from '../shared/hash';
import { lossCurves } from './curves';
import { EarlyStoppingRun, RECIPE, type CurvePoint } from './mnist-run';
import { EVAL_CHOICES, type Settings } from './settings';

/** What the test hook reads about the run. */
export interface RunState {
  points: readonly CurvePoint[];
  bestStep: number;
  stoppedStep: number;
  stoppedEarly: boolean;
  done: boolean;
  trainLossAtBest?: number;
  patience: number;
  evalEvery: number;
}

/** The section's element, its controls and the run now shown. */
export interface StoppingSection {
  readonly element: HTMLElement;
  readonly controls: TrainControls;
  readonly run: EarlyStoppingRun;
  /** Draws the run as it is now (and tells `onShow`). */
  show(): void;
}

/** What the section tells the page. */
export interface StoppingEvents {
  /** After each redraw of the run. */
  onShow(run: EarlyStoppingRun, state: RunState): void;
  /** When a setting changed, after the old run is stopped and before the new one starts. */
  onRestart(): void;
}

/** Builds the section over the uploaded digits; the first run starts paused. */
export function stoppingSection(
  rt: Runtime,
  data: { train: GpuDataset; val: GpuDataset },
  state: HashState<Settings>,
  events: StoppingEvents,
  onError: (e: unknown) => void,
): StoppingSection {
  const element = el('div', 'panel es-section');
  element.append(
    el('h2', undefined, '1 · Early stopping on 500 MNIST digits'),
    html(
      'p',
      'note',
      `A ${RECIPE.sizes.join('-')} network with momentum SGD (lr ${RECIPE.lr}, μ ${RECIPE.momentum}, batch ${RECIPE.batchSize}) has far more weights than 500 digits can pin down: the training loss falls toward zero while the validation loss bottoms out and creeps back up. Early stopping evaluates every <i>evalEvery</i> steps, copies the weights GPU-to-GPU whenever the validation loss improves, stops after <i>patience</i> evaluations without improvement, and restores the best copy.`,
    ),
  );
  const bar = el('div', 'topbar');
  const patienceInput = el('input');
  Object.assign(patienceInput, { type: 'range', min: '1', max: '30', step: '1', value: String(state.value.patience), id: 'patience' });
  const patienceOut = el('output', undefined, String(state.value.patience));
  const patienceLabel = el('label');
  patienceLabel.append('patience', patienceInput, patienceOut);
  const evalSelect = el('select');
  evalSelect.id = 'eval-every';
  for (const n of EVAL_CHOICES) evalSelect.append(new Option(`${n} steps`, String(n), false, n === state.value.evalEvery));
  const evalLabel = el('label');
  evalLabel.append('evaluate every', evalSelect);
  const seedInput = el('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(state.value.seed), id: 'seed' });
  seedInput.style.width = '4.5rem';
  const seedLabel = el('label');
  seedLabel.append('seed', seedInput);
  const curveRow = el('div', 'curve-row');
  const chartBox = el('div');
  const curves = lossCurves(chartBox, { width: 680, height: 300 });
  const side = html(
    'div',
    'side',
    `<b>Reading the chart</b><ul>
<li><span class="swatch" style="background:#2da44e"></span>training loss, on all 500 training digits</li>
<li><span class="swatch" style="background:#cf222e"></span>validation loss, 500 other digits (one dot per evaluation)</li>
<li><span class="swatch" style="background:#1f6feb"></span>the best evaluation so far; once training stops, the weights restored</li>
<li><span class="swatch" style="background:rgba(255,196,0,0.45)"></span>the patience window: if no evaluation in it beats the best, training stops at its right edge</li></ul>
<p class="note">The stopping step is a hyperparameter found for free, in one run. Its costs: the evaluations, and one copy of the weights (written at each new best, never read while training).</p>`,
  );
  curveRow.append(chartBox, side);
  const runLine = el('p', 'run-line');
  element.append(bar, curveRow, runLine);

  const showRun = (r: EarlyStoppingRun): void => {
    const rep = r.report;
    const best = rep.history.length > 0 ? rep.bestStep : null;
    curves.update(r.points, { bestStep: best, window: r.config.patience * r.config.evalEvery, stoppedStep: r.done ? rep.stoppedStep : null, restored: r.done });
    const last = r.points.at(-1);
    const since = rep.history.length - 1 - rep.history.findIndex((h) => h.step === rep.bestStep);
    if (!last) setHtml(runLine, 'Press <b>▶ Play</b> (or <b>Step ›</b>: one evaluation interval at a time).');
    else if (r.done)
      setHtml(
        runLine,
        `<span class="ok">Stopped</span> at step ${rep.stoppedStep}: ${r.config.patience} evaluations in a row without a better validation loss than step <b>${rep.bestStep}</b>'s (${rep.bestValLoss.toFixed(3)}, accuracy ${pct(rep.bestValAccuracy)}). Its weights are restored; their training loss is ${rep.trainLossAtBest?.toFixed(3) ?? '—'}. The last ${rep.stoppedStep - rep.bestStep} steps were the price of patience.`,
      );
    else
      setHtml(
        runLine,
        `Step ${last.step}: validation loss ${last.valLoss.toFixed(3)} (accuracy ${pct(last.valAccuracy)}), training loss ${last.trainLoss.toFixed(3)}. Best so far ${rep.bestValLoss.toFixed(3)} at step ${rep.bestStep}; ${since} of ${r.config.patience} evaluations without improvement.`,
      );
    events.onShow(r, {
      points: r.points,
      bestStep: rep.bestStep,
      stoppedStep: rep.stoppedStep,
      stoppedEarly: rep.stoppedEarly,
      done: r.done,
      trainLossAtBest: rep.trainLossAtBest,
      patience: r.config.patience,
      evalEvery: r.config.evalEvery,
    });
  };

  const makeRun = (): EarlyStoppingRun =>
    new EarlyStoppingRun(rt, data.train, data.val, { patience: state.value.patience, evalEvery: state.value.evalEvery, seed: state.value.seed }, showRun);
  let run = makeRun();
  const controls = trainControls(async () => {
    await run.advance();
    if (run.done) controls.pause();
  }, onError);
  bar.append(controls.element, patienceLabel, evalLabel, seedLabel);

  const restart = async (): Promise<void> => {
    controls.pause();
    await controls.idle();
    await run.dispose();
    events.onRestart();
    run = makeRun();
    showRun(run);
  };
  patienceInput.addEventListener('input', () => {
    patienceOut.textContent = patienceInput.value;
  });
  patienceInput.addEventListener('change', () => {
    state.set({ patience: Number(patienceInput.value) });
    void restart().catch(onError);
  });
  evalSelect.addEventListener('change', () => {
    state.set({ evalEvery: Number(evalSelect.value) });
    void restart().catch(onError);
  });
  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!(Number.isInteger(s) && s >= 0 && s <= 1e6)) {
      seedInput.value = String(state.value.seed);
      return;
    }
    state.set({ seed: s });
    void restart().catch(onError);
  });

  return {
    element,
    controls,
    get run() {
      return run;
    },
    show: () => showRun(run),
  };
}
