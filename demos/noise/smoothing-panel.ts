/**
 * Label smoothing (chapter 7.5.1), both conventions against none: the same network trained on hard
 * targets, on the book's targets (1 − ε at the label, ε/(k − 1) elsewhere) and on the frameworks'
 * ((1 − ε)·y + ε/k), fused into the softmax cross-entropy kernel. After every chunk, the held-out
 * logits are read back: a reliability diagram and a confidence histogram per model, and the logits'
 * size against the closed-form gap log(on/off) where the smoothed loss has its minimum.
 */
import { constant, noGrad, smoothedTargetValues, tidy, type SmoothingConvention } from 'webgpu-regularization';
import { labelSmoothing, type Regularizer } from 'webgpu-regularization/regularizers';
import { liveChart } from '../shared/charts';
import { pct, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';
import { calibrate, optimalLogitGap, type Calibration } from './calibration';
import type { Datasets } from './datasets';
import { GatedRun, type RunScale } from './gated-run';
import { reliabilityView } from './reliability-view';
import { runGroup, type RunGroup } from './run-group';

interface ModelSpec {
  name: string;
  color: string;
  convention: SmoothingConvention | null;
}

const MODELS: readonly ModelSpec[] = [
  { name: 'hard targets', color: '#57606a', convention: null },
  { name: 'book: 1 − ε, ε/(k − 1)', color: '#1a7f37', convention: 'book' },
  { name: 'frameworks: (1 − ε)y + ε/k', color: '#bf8700', convention: 'uniform' },
];
const K = 10;

/** One model's calibration at its latest evaluation. */
export interface SmoothingResult extends Calibration {
  name: string;
  convention: SmoothingConvention | 'none';
  step: number;
  /** Mean gap between the label's logit and the others' on the training digits. */
  trainLabelGap: number;
  /** log(on/off) for the model's targets (Infinity for hard targets). */
  optimalGap: number;
}

/** The panel and what tests read. */
export interface SmoothingPanel {
  readonly element: HTMLElement;
  readonly group: RunGroup;
  results(): SmoothingResult[];
}

/** Logits of the model on every row of `x` (inference mode), read back. */
async function logitsOf(run: GatedRun, x: Parameters<typeof constant>[0]): Promise<Float32Array> {
  const z = noGrad(() => tidy(() => run.model.forward(constant(x), { training: false, step: 0 }).data));
  const out = (await z.toArray()) as Float32Array;
  z.dispose();
  return out;
}

function targetsOf(convention: SmoothingConvention | null, epsilon: number): { on: number; off: number } {
  return convention ? smoothedTargetValues(epsilon, K, convention) : { on: 1, off: 0 };
}

const fmtGap = (g: number): string => (Number.isFinite(g) ? g.toFixed(2) : '∞ (no minimum)');

/** Builds the panel; `epsilon` is the slider's initial value, `onEpsilon` keeps it in the URL. */
export function smoothingPanel(
  data: () => Datasets,
  scale: RunScale,
  seed: () => number,
  epsilon0: number,
  serial: JobQueue,
  onEpsilon: (e: number) => void,
  onError: (e: unknown) => void,
): SmoothingPanel {
  const element = document.createElement('div');
  element.className = 'panel smoothing-panel';
  setHtml(
    element,
    `<h2>Label smoothing: the book's convention against the frameworks'</h2>
<p class="note">With hard 0/1 targets, maximum likelihood can always lower the loss by making the label's logit larger: the logits grow without end and the
softmax becomes ever more sure. Smoothing the targets puts the loss's minimum at a finite logit gap, log(on/off), without discouraging correct
classification. The book (§7.5.1) gives 1 − ε to the label and ε/(k − 1) to each other class; PyTorch, Keras and Optax mix with the uniform
distribution, (1 − ε)·y + ε/k, which is the book's convention at ε·(k − 1)/k. Three ${scale.sizes.join('-')} networks, same initial weights and minibatches.
At the minimum of its loss, a smoothed model gives each training digit's label exactly its target (1 − ε for the book's), so whether smoothing improves calibration
depends on how over-confident the hard-target model was: on a few hundred digits and a short run, it can overshoot into under-confidence. The diagrams bin the ${data().val.count.toLocaleString('en-US')} held-out digits by the model's top probability: a bar below the red mark is a bin where the model claims more than it achieves.</p>`,
  );
  const bar = document.createElement('div');
  bar.className = 'panel-bar';
  const eps = document.createElement('input');
  Object.assign(eps, { type: 'range', min: '0.05', max: '0.5', step: '0.05', value: String(epsilon0), id: 'epsilon' });
  const epsOut = document.createElement('output');
  epsOut.className = 'eps-value';
  const epsLabel = document.createElement('label');
  epsLabel.append('ε', eps, epsOut);
  const resetBtn = document.createElement('button');
  resetBtn.textContent = 'Reset';
  resetBtn.dataset.role = 'smoothing-reset';
  const status = document.createElement('span');
  status.className = 'note group-status';
  const targetsLine = document.createElement('p');
  targetsLine.className = 'targets-line';

  const views = MODELS.map((m) => reliabilityView(m.name, m.color));
  const diagrams = document.createElement('div');
  diagrams.className = 'row diagrams';
  diagrams.append(...views.map((v) => v.element));
  const side = document.createElement('div');
  side.className = 'smoothing-side';
  const gapChart = liveChart(
    side,
    'Logit gap, label − others (training digits)',
    'step',
    [...MODELS.map((m) => ({ label: m.name, color: m.color })), { label: 'book optimum', color: '#8fd19e' }, { label: 'frameworks optimum', color: '#f2cc60' }],
    { width: 330, height: 260 },
  );
  const gapNote = document.createElement('p');
  gapNote.className = 'note';
  setHtml(
    gapNote,
    'Mean of z<sub>label</sub> − mean of the other logits, on the training digits. The pale lines are where each smoothed loss has its minimum, log(on/off); with hard targets the gap keeps growing.',
  );
  side.append(gapNote);
  const lower = document.createElement('div');
  lower.className = 'row smoothing-row';
  lower.append(diagrams, side);
  const table = document.createElement('table');
  table.className = 'results smoothing-results';

  let epsilon = epsilon0;
  const results = new Map<GatedRun, SmoothingResult>();
  const history = new Map<GatedRun, { step: number; gap: number }[]>();
  let labels: { val: Uint32Array; train: Uint32Array } | null = null;
  let built = { n: 0, epsilon };

  const make = (): GatedRun[] => {
    const d = data();
    built = { n: d.train.count, epsilon };
    labels = null;
    results.clear();
    history.clear();
    return MODELS.map((m) => {
      const regs: Regularizer[] = m.convention ? [labelSmoothing({ epsilon, convention: m.convention })] : [];
      return new GatedRun(m.name, regs, d, scale, seed(), false);
    });
  };

  const measure = async (runs: readonly GatedRun[]): Promise<void> => {
    const d = runs[0]?.data;
    if (!d) return;
    labels ??= { val: (await d.val.labels.toArray()) as Uint32Array, train: (await d.probe.labels.toArray()) as Uint32Array };
    for (const [i, run] of runs.entries()) {
      const done = results.get(run);
      if (run.reports.length === 0 || done?.step === run.step) continue;
      const step = run.step;
      const { valZ, trainZ } = await serial(async () => ({ valZ: await logitsOf(run, d.val.images), trainZ: await logitsOf(run, d.probe.images) }));
      const cal = calibrate(valZ, labels.val, K);
      const trainCal = calibrate(trainZ, labels.train, K, 1, 1);
      const t = targetsOf(MODELS[i].convention, built.epsilon);
      results.set(run, {
        ...cal,
        name: run.name,
        convention: MODELS[i].convention ?? 'none',
        step,
        trainLabelGap: trainCal.meanLabelGap,
        optimalGap: optimalLogitGap(t.on, t.off),
      });
      const h = history.get(run) ?? [];
      h.push({ step, gap: trainCal.meanLabelGap });
      history.set(run, h);
    }
  };

  const render = (runs: readonly GatedRun[]): void => {
    runs.forEach((r, i) => views[i].draw(results.get(r) ?? null));
    const xs = (history.get(runs[0]) ?? []).map((h) => h.step);
    const book = targetsOf('book', built.epsilon);
    const uni = targetsOf('uniform', built.epsilon);
    gapChart.set(xs, [
      ...runs.map((r) => xs.map((_, j) => history.get(r)?.[j]?.gap ?? NaN)),
      xs.map(() => optimalLogitGap(book.on, book.off)),
      xs.map(() => optimalLogitGap(uni.on, uni.off)),
    ]);
    const rows = runs
      .map((r, i) => {
        const c = results.get(r);
        const t = targetsOf(MODELS[i].convention, built.epsilon);
        const target = MODELS[i].convention ? `${t.on.toFixed(3)} / ${t.off.toFixed(4)}` : '1 / 0';
        return `<tr><td><i class="swatch" style="background:${MODELS[i].color}"></i>${MODELS[i].name}</td><td>${target}</td><td>${c ? pct(c.accuracy) : '–'}</td><td>${c ? `<b>${pct(c.meanConfidence)}</b>` : '–'}</td><td>${c ? pct(c.ece) : '–'}</td><td>${c ? c.meanMaxLogit.toFixed(2) : '–'}</td><td>${c ? c.trainLabelGap.toFixed(2) : '–'}</td><td>${fmtGap(optimalLogitGap(t.on, t.off))}</td></tr>`;
      })
      .join('');
    setHtml(
      table,
      `<thead><tr><th>Targets</th><th>on / off</th><th>Held-out accuracy</th><th>Mean confidence</th><th>ECE</th><th>Mean max logit</th><th>Logit gap (train)</th><th>Gap at the minimum, log(on/off)</th></tr></thead><tbody>${rows}</tbody>`,
    );
    const step = runs.length ? Math.min(...runs.map((r) => r.step)) : 0;
    status.textContent = `${step} of ${scale.steps} steps at ε = ${built.epsilon.toFixed(2)}, ${built.n.toLocaleString('en-US')} training digits`;
  };

  const showTargets = (): void => {
    epsOut.textContent = epsilon.toFixed(2);
    const b = targetsOf('book', epsilon);
    const u = targetsOf('uniform', epsilon);
    setHtml(
      targetsLine,
      `For k = 10 and ε = ${epsilon.toFixed(2)}: the book's targets are <b>${b.on.toFixed(3)}</b> at the label and <b>${b.off.toFixed(4)}</b> elsewhere (minimum at a logit gap of ${fmtGap(optimalLogitGap(b.on, b.off))}); the frameworks' are <b>${u.on.toFixed(3)}</b> and <b>${u.off.toFixed(4)}</b> (gap ${fmtGap(optimalLogitGap(u.on, u.off))}).`,
    );
  };

  const onChunk = async (runs: readonly GatedRun[]): Promise<void> => {
    await measure(runs);
    render(runs);
  };
  const group = runGroup(make, serial, onChunk, render, onError);
  eps.addEventListener('input', () => {
    epsilon = Number(eps.value);
    onEpsilon(epsilon);
    showTargets();
  });
  eps.addEventListener('change', () => void group.reset().catch(onError));
  resetBtn.addEventListener('click', () => void group.reset().catch(onError));
  bar.append(group.controls.element, resetBtn, epsLabel, status);
  showTargets();
  element.append(bar, targetsLine, lower, table);
  return {
    element,
    group,
    results: () => group.runs.flatMap((r) => results.get(r) ?? []),
  };
}
