/**
 * Early stopping is L2 in disguise (chapter 7.8).
 *
 * 1. An MLP (784-64-10) trains on 500 MNIST digits with `earlyStopping({ patience, evalEvery })`:
 *    live training and validation losses, the patience window after the best evaluation, and the
 *    restored best step once patience runs out. Then, on demand, both ways of using the validation
 *    digits afterwards (retrainOnAll with same steps / same epochs, continueOnAll): cost and gain.
 * 2. The proof, on a 2-D quadratic J(w) = ½(w − w*)ᵀH(w − w*): gradient descent from 0 runs on the GPU
 *    (chain(sgd) over a ParamArena), agrees with eq. 7.40, and a τ scrubber shows w⁽τ⁾ beside the
 *    L2 solution w̃(α) at α = 1/(τε), with the filter factors of eqs. 7.40 and 7.13 per direction
 *    and the exact per-direction αᵢ of eq. 7.43 against the first-order bound of eqs. 7.44–7.45.
 *
 * Test hook (`window.__demo`): ready; mnist ({ points, bestStep, stoppedStep, stoppedEarly, done,
 * trainLossAtBest, patience, evalEvery }); stepMnist(), runMnist(); strategies, strategiesReady;
 * quad ({ eps, tau, gpuW, closedW, maxDiff, bound, lambda, zStar, gpuZ, l2AtAlphaZ, checks });
 * trajectoryVersion.
 */
import { GpuDataset } from 'webgpu-regularization';
import { trainControls } from '../shared/controls';
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { lossCurves } from './curves';
import { descentOnGpu } from './descent';
import { filterChart } from './filters';
import { meta } from './meta';
import { EarlyStoppingRun, RECIPE } from './mnist-run';
import { COLORS, weightPlane } from './plane';
import {
  alphaCheck,
  earlyFactor,
  earlyStoppedW,
  equivalentAlpha,
  l2Factor,
  makeQuadratic,
  toEigenbasis,
  trajectoryBound,
  type AlphaCheck,
  type Vec2,
} from './quadratic';
import { compareStrategies, retrainPanel, type StrategyResult } from './retrain-panel';
import { SOURCES } from './sources';
import './page.css';

/** Steps of gradient descent the GPU runs on the quadratic (the τ scrubber's range). */
const TAU_MAX = 200;
const EPS_CHOICES = [0.02, 0.05, 0.1, 0.2, 0.5];
const EVAL_CHOICES = [5, 10, 20, 50];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, html?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

const clampInt = (v: number, lo: number, hi: number, dflt: number): number => (Number.isInteger(v) ? Math.min(hi, Math.max(lo, v)) : dflt);
const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '∞');
const sci = (x: number): string => x.toExponential(1);

void mountPage(meta, SOURCES, async ({ rt, root, hook, fail }) => {
  const state = hashState({ seed: 1, patience: 8, evalEvery: 10, eps: 0.1, tau: 20 });
  state.set({
    seed: clampInt(state.value.seed, 0, 1e6, 1),
    patience: clampInt(state.value.patience, 1, 30, 8),
    evalEvery: EVAL_CHOICES.includes(state.value.evalEvery) ? state.value.evalEvery : 10,
    eps: EPS_CHOICES.includes(state.value.eps) ? state.value.eps : 0.1,
    tau: clampInt(state.value.tau, 1, TAU_MAX, 20),
  });

  // ---------------- Part 1: early stopping on 500 digits ----------------
  const s1 = el('div', 'panel es-section');
  s1.append(
    el('h2', undefined, '1 · Early stopping on 500 MNIST digits'),
    el(
      'p',
      'note',
      `A ${RECIPE.sizes.join('-')} network with momentum SGD (lr ${RECIPE.lr}, μ ${RECIPE.momentum}, batch ${RECIPE.batchSize}) has far more weights than 500 digits can pin down: the training loss falls toward zero while the validation loss bottoms out and creeps back up. Early stopping evaluates every <i>evalEvery</i> steps, copies the weights GPU-to-GPU whenever the validation loss improves, stops after <i>patience</i> evaluations without improvement, and restores the best copy.`,
    ),
  );
  const bar1 = el('div', 'topbar');
  const patienceInput = el('input');
  Object.assign(patienceInput, { type: 'range', min: '1', max: '30', step: '1', value: String(state.value.patience), id: 'patience' });
  const patienceOut = el('output');
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
  const side = el(
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
  s1.append(bar1, curveRow, runLine);

  const retrain = retrainPanel();

  // ---------------- Part 2: the quadratic ----------------
  const s2 = el('div', 'panel es-section');
  s2.append(
    el('h2', undefined, '2 · Why: on a quadratic, stopping after τ steps is L2 with α ≈ 1/(τε)'),
    el(
      'p',
      'note',
      "Near a minimum the cost is close to J(w) = ½(w − w*)ᵀH(w − w*) with H = QΛQᵀ. Gradient descent from w = 0 with learning rate ε moves along each eigenvector qᵢ of H on its own: after τ steps it has covered the fraction 1 − (1 − ελᵢ)^τ of the way to w* (eq. 7.40). L2 regularization keeps the fraction λᵢ/(λᵢ + α) (eq. 7.13). Both keep stiff directions (large λ) and shrink flat ones. For each direction some αᵢ matches exactly (eq. 7.43), and where ελᵢ and λᵢ/α are small, αᵢ ≈ 1/(τε) (eqs. 7.44–7.45): the flat direction q₂ follows the L2 curve closely, the stiff q₁ only once τ is small. Here H has λ = 1 and 0.1; the blue trajectory is computed <b>on the GPU</b> by the engine's fused optimizer. Drag τ.",
    ),
  );
  const bar2 = el('div', 'topbar');
  const tauInput = el('input');
  Object.assign(tauInput, { type: 'range', min: '1', max: String(TAU_MAX), step: '1', value: String(state.value.tau), id: 'tau' });
  const tauOut = el('output');
  const tauLabel = el('label');
  tauLabel.append('steps τ', tauInput, tauOut);
  const epsSelect = el('select');
  epsSelect.id = 'eps';
  for (const e of EPS_CHOICES) epsSelect.append(new Option(String(e), String(e), false, e === state.value.eps));
  const epsLabel = el('label');
  epsLabel.append('learning rate ε', epsSelect);
  const alphaText = el('span');
  bar2.append(tauLabel, epsLabel, alphaText);
  const q = makeQuadratic();
  const quadRow = el('div', 'quad-row');
  const left = el('div');
  const plane = weightPlane(q, 380);
  left.append(
    plane.canvas,
    el(
      'div',
      'legend',
      `<span><span class="swatch" style="background:${COLORS.early}"></span>gradient descent from 0, steps up to τ (GPU)</span><span><span class="swatch" style="background:${COLORS.l2}"></span>L2 path w̃(α), α from ∞ to 0; ring: α = 1/(τε)</span><span>✕ w*, the unregularized optimum; ellipses: contours of J</span>`,
    ),
  );
  const right = el('div', 'quad-right');
  const filters = filterChart(right, q.lambda, { width: 500, height: 250 });
  const table = el('table', 'quad-table');
  const agree = el('p', 'agree');
  right.append(table, agree);
  quadRow.append(left, right);
  s2.append(bar2, quadRow);

  root.append(s1, retrain.element, s2);

  // ---------------- Data ----------------
  runLine.textContent = 'Loading the MNIST digits…';
  const split = await loadDigits({ train: 500, val: 500, test: 1000, seed: 1 });
  const train = GpuDataset.upload(rt, split.train.images, split.train.labels, 10);
  const val = GpuDataset.upload(rt, split.val.images, split.val.labels, 10);
  const test = GpuDataset.upload(rt, split.test.images, split.test.labels, 10);
  const allImages = new Float32Array(split.train.images.length + split.val.images.length);
  allImages.set(split.train.images);
  allImages.set(split.val.images, split.train.images.length);
  const allLabels = new Uint32Array(split.train.count + split.val.count);
  allLabels.set(split.train.labels);
  allLabels.set(split.val.labels, split.train.count);
  const all = GpuDataset.upload(rt, allImages, allLabels, 10);

  // ---------------- Part 1 behaviour ----------------
  const showRun = (r: EarlyStoppingRun): void => {
    const rep = r.report;
    const best = rep.history.length > 0 ? rep.bestStep : null;
    curves.update(r.points, { bestStep: best, window: r.config.patience * r.config.evalEvery, stoppedStep: r.done ? rep.stoppedStep : null, restored: r.done });
    const last = r.points.at(-1);
    const since = rep.history.length - 1 - rep.history.findIndex((h) => h.step === rep.bestStep);
    if (!last) runLine.innerHTML = 'Press <b>▶ Play</b> (or <b>Step ›</b>: one evaluation interval at a time).';
    else if (r.done)
      runLine.innerHTML = `<span class="ok">Stopped</span> at step ${rep.stoppedStep}: ${r.config.patience} evaluations in a row without a better validation loss than step <b>${rep.bestStep}</b>'s (${rep.bestValLoss.toFixed(3)}, accuracy ${(100 * rep.bestValAccuracy).toFixed(1)}%). Its weights are restored; their training loss is ${rep.trainLossAtBest?.toFixed(3) ?? '—'}. The last ${rep.stoppedStep - rep.bestStep} steps were the price of patience.`;
    else
      runLine.innerHTML = `Step ${last.step}: validation loss ${last.valLoss.toFixed(3)} (accuracy ${(100 * last.valAccuracy).toFixed(1)}%), training loss ${last.trainLoss.toFixed(3)}. Best so far ${rep.bestValLoss.toFixed(3)} at step ${rep.bestStep}; ${since} of ${r.config.patience} evaluations without improvement.`;
    hook.mnist = {
      points: r.points,
      bestStep: rep.bestStep,
      stoppedStep: rep.stoppedStep,
      stoppedEarly: rep.stoppedEarly,
      done: r.done,
      trainLossAtBest: rep.trainLossAtBest,
      patience: r.config.patience,
      evalEvery: r.config.evalEvery,
    };
    retrain.button.disabled = !r.done || busy;
  };

  let busy = false;
  const makeRun = (): EarlyStoppingRun =>
    new EarlyStoppingRun(rt, train, val, { patience: state.value.patience, evalEvery: state.value.evalEvery, seed: state.value.seed }, showRun);
  let run = makeRun();
  const controls = trainControls(async () => {
    await run.advance();
    if (run.done) controls.pause();
  }, fail);
  bar1.append(controls.element, patienceLabel, evalLabel, seedLabel);
  patienceOut.textContent = String(state.value.patience);

  const restart = async (): Promise<void> => {
    controls.pause();
    await controls.idle();
    await run.dispose();
    retrain.clear();
    retrain.status.textContent = '';
    hook.strategies = undefined;
    hook.strategiesReady = false;
    run = makeRun();
    showRun(run);
  };
  patienceInput.addEventListener('input', () => {
    patienceOut.textContent = patienceInput.value;
  });
  patienceInput.addEventListener('change', () => {
    state.set({ patience: Number(patienceInput.value) });
    void restart().catch(fail);
  });
  evalSelect.addEventListener('change', () => {
    state.set({ evalEvery: Number(evalSelect.value) });
    void restart().catch(fail);
  });
  seedInput.addEventListener('change', () => {
    const s = Number(seedInput.value);
    if (!(Number.isInteger(s) && s >= 0 && s <= 1e6)) {
      seedInput.value = String(state.value.seed);
      return;
    }
    state.set({ seed: s });
    void restart().catch(fail);
  });
  hook.stepMnist = () => controls.stepOnce();
  hook.runMnist = async () => {
    while (!run.done) await controls.stepOnce();
  };

  retrain.button.addEventListener('click', () => {
    if (!run.done || busy) return;
    busy = true;
    retrain.button.disabled = true;
    controls.pause();
    retrain.clear();
    hook.strategiesReady = false;
    const r = run;
    let baseline = 0;
    const t0 = performance.now();
    retrain.status.textContent = 'Training…';
    void compareStrategies(rt, r, all, test, (row: StrategyResult) => {
      if (row.steps === 0) baseline = row.testAccuracy;
      retrain.add(row, baseline);
      retrain.status.textContent = `Training… ${row.name} done`;
    })
      .then((rows) => {
        hook.strategies = rows;
        hook.strategiesReady = true;
        retrain.status.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
      })
      .catch(fail)
      .finally(() => {
        busy = false;
        retrain.button.disabled = !run.done;
      });
  });

  // ---------------- Part 2 behaviour ----------------
  let trajectory: Float32Array = new Float32Array(2 * (TAU_MAX + 1));
  let trajectoryEps = NaN;
  // One GPU run per learning rate: going back to an ε already seen redraws at once.
  const computed = new Map<number, Float32Array>();
  hook.trajectoryVersion = 0;

  const renderQuad = (): void => {
    const { eps, tau } = state.value;
    const alpha = 1 / (tau * eps);
    tauOut.textContent = String(tau);
    alphaText.innerHTML = `α = 1/(τε) = <b>${fmt(alpha, 3)}</b>`;
    plane.draw({ trajectory, tau, alpha });
    filters.update(eps, tau);
    const gpuW: Vec2 = [trajectory[2 * tau], trajectory[2 * tau + 1]];
    const closedW = earlyStoppedW(q, eps, tau);
    const maxDiff = Math.max(Math.abs(gpuW[0] - closedW[0]), Math.abs(gpuW[1] - closedW[1]));
    const bound = trajectoryBound(q, eps, tau);
    const gpuZ = toEigenbasis(q, gpuW);
    const checks: AlphaCheck[] = q.lambda.map((l) => alphaCheck(l, eps, tau));
    // Eq. 7.42 at eq. 7.43's αᵢ, component i: what L2 would have to use to match direction i exactly.
    const l2AtAlphaZ = q.lambda.map((l, i) => l2Factor(l, equivalentAlpha(l, eps, tau)) * q.zStar[i]);
    const rows = q.lambda
      .map((l, i) => {
        const c = checks[i];
        const mark = c.within ? '<span class="ok">✓</span>' : '<span class="bad">✗</span>';
        const boundText = c.applies
          ? `[${c.lower.toFixed(3)}, 0] ${mark}`
          : `≥ ${c.lower.toFixed(2)} ${mark} <span class="note">(τελ = ${(tau * eps * l).toFixed(1)}: not small)</span>`;
        return `<tr><td>q${i === 0 ? '₁' : '₂'}</td><td>${l.toFixed(2)}</td><td>${(eps * l).toFixed(3)}</td><td style="color:${COLORS.early}">${earlyFactor(l, eps, tau).toFixed(4)}</td><td style="color:${COLORS.l2}">${l2Factor(l, alpha).toFixed(4)}</td><td>${fmt(c.alpha, 4)}</td><td>${c.rel.toFixed(4)}</td><td>${boundText}</td><td>${sci(Math.abs(gpuZ[i] - l2AtAlphaZ[i]))}</td></tr>`;
      })
      .join('');
    table.innerHTML = `<thead><tr><th>dir.</th><th>λᵢ</th><th>ελᵢ</th><th>kept, early stop</th><th>kept, L2 at 1/(τε)</th><th>exact αᵢ (7.43)</th><th>αᵢτε − 1</th><th>bound (7.44–45)</th><th>|GPU zᵢ − L2(αᵢ) zᵢ|</th></tr></thead><tbody>${rows}</tbody>`;
    const ok = maxDiff <= bound;
    agree.innerHTML = `On the GPU (<code>chain(sgd({ lr: ${eps} }))</code> over a ParamArena, gradient from the tape): w⁽${tau}⁾ = (${gpuW[0].toFixed(5)}, ${gpuW[1].toFixed(5)}). Eq. 7.40 in f64: (${closedW[0].toFixed(5)}, ${closedW[1].toFixed(5)}). Largest difference ${sci(maxDiff)} ${ok ? '<span class="ok">✓</span> within' : '<span class="bad">✗</span> outside'} the f32 rounding bound ${sci(bound)}. With the exact αᵢ of eq. 7.43 (one per direction: a single α matches only approximately), L2's solution agrees with the early-stopped weights component by component (last column).`;
    hook.quad = { eps, tau, gpuW, closedW, maxDiff, bound, lambda: q.lambda, zStar: q.zStar, gpuZ, l2AtAlphaZ, checks, alpha };
  };

  let quadQueue: Promise<void> = Promise.resolve();
  const ensureTrajectory = (): Promise<void> => {
    quadQueue = quadQueue.then(async () => {
      const eps = state.value.eps;
      if (eps === trajectoryEps) return;
      let t = computed.get(eps);
      if (!t) {
        t = await descentOnGpu(rt, q, eps, TAU_MAX);
        computed.set(eps, t);
      }
      trajectory = t;
      trajectoryEps = eps;
      hook.trajectoryVersion = (hook.trajectoryVersion as number) + 1;
    });
    return quadQueue.then(renderQuad);
  };
  tauInput.addEventListener('input', () => {
    state.set({ tau: clampInt(Number(tauInput.value), 1, TAU_MAX, 20) });
    if (trajectoryEps === state.value.eps) renderQuad();
  });
  epsSelect.addEventListener('change', () => {
    state.set({ eps: Number(epsSelect.value) });
    void ensureTrajectory().catch(fail);
  });

  await ensureTrajectory();
  showRun(run);
  hook.ready = true;
});
