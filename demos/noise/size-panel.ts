/**
 * Overfitting against the size of the training set: the slider picks n, and a plain network (no
 * regularizer) trains on the first n digits; its accuracy on those digits and on held-out digits is
 * drawn as it trains, and every size tried adds a point to accuracy-against-n, where the gap
 * between the two lines is the overfitting. The slider's n is also what the noise and smoothing
 * panels train on.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { liveChart } from '../shared/charts';
import type { Datasets } from './datasets';
import { GatedRun, type RunScale } from './gated-run';
import { pct, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';

/** Training-set sizes the slider offers. */
export const SIZES = [100, 200, 500, 1000, 2000, 4000, 8000] as const;

/** The result of a plain run at one size. */
export interface SizeResult {
  n: number;
  seed: number;
  train: number;
  val: number;
  /** train − val, in accuracy (0–1). */
  gap: number;
}

/** The panel and what tests read. */
export interface SizePanel {
  readonly element: HTMLElement;
  readonly slider: HTMLInputElement;
  /** The training-set size chosen. */
  readonly n: number;
  /** Trains at the chosen size unless that size (and seed) is done; resolves with its result. */
  trainCurrent(): Promise<SizeResult>;
  results(): SizeResult[];
}

/** Builds the panel over the sizes up to `maxN`; `onSize` is told of every new n (the slider moves). */
export function sizePanel(
  data: (n: number) => Datasets,
  maxN: number,
  n0: number,
  scale: RunScale,
  seed: () => number,
  serial: JobQueue,
  onSize: (n: number) => void,
  onError: (e: unknown) => void,
): SizePanel {
  const sizes = SIZES.filter((s) => s <= maxN);
  const element = document.createElement('div');
  element.className = 'panel size-panel';
  setHtml(
    element,
    `<h2>Training-set size and overfitting</h2>
<p class="note">A plain ${scale.sizes.join('-')} network (no regularizer) trained ${scale.steps} steps on the first n digits. With few digits it learns them by heart:
accuracy on its own training digits reaches 100% while accuracy on digits it never saw stays far lower. That gap is what regularization fights
(chapter 7 opens with it); more data closes it best. Moving the slider trains at the new size; every size tried stays on the right-hand chart.</p>`,
  );
  const bar = document.createElement('div');
  bar.className = 'panel-bar';
  const slider = document.createElement('input');
  // The offered size nearest to n0 (a hand-edited hash may hold anything), nearest on a log scale.
  const idx0 = sizes.reduce((best, s, i) => (Math.abs(Math.log(s / n0)) < Math.abs(Math.log(sizes[best] / n0)) ? i : best), 0);
  Object.assign(slider, { type: 'range', min: '0', max: String(sizes.length - 1), step: '1', value: String(idx0), id: 'train-size' });
  const out = document.createElement('output');
  out.className = 'n-value';
  const label = document.createElement('label');
  label.append('training digits n', slider, out);
  const status = document.createElement('span');
  status.className = 'note size-status';
  bar.append(label, status);

  const row = document.createElement('div');
  row.className = 'row chart-row';
  const curves = liveChart(
    row,
    'Accuracy while training at this n',
    'step',
    [
      { label: 'training digits', color: '#cf222e' },
      { label: 'held-out digits', color: '#1f6feb' },
    ],
    { width: 460, height: 230 },
    [0, 1],
  );
  const sweepEl = document.createElement('div');
  sweepEl.className = 'chart';
  row.append(sweepEl);
  const sweep = new uPlot(
    {
      title: 'Accuracy after training, against n (log scale)',
      width: 460,
      height: 230,
      scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
      axes: [{ label: 'training digits n' }, {}],
      series: [
        { label: 'n' },
        { label: 'training digits', stroke: '#cf222e', width: 2, points: { size: 7 } },
        { label: 'held-out digits', stroke: '#1f6feb', width: 2, points: { size: 7 } },
      ],
      bands: [{ series: [1, 2], fill: 'rgba(207, 34, 46, 0.12)' }],
    },
    [[], [], []],
    sweepEl,
  );
  const gapLine = document.createElement('p');
  gapLine.className = 'gap-line';
  element.append(bar, row, gapLine);

  const done = new Map<string, SizeResult>();
  const keyOf = (n: number, s: number): string => `${s}:${n}`;
  const n = (): number => sizes[Number(slider.value)] ?? sizes[0];

  const drawSweep = (): void => {
    const rs = [...done.values()].filter((r) => r.seed === seed()).sort((a, b) => a.n - b.n);
    sweep.setData([rs.map((r) => r.n), rs.map((r) => r.train), rs.map((r) => r.val)]);
  };
  const showGap = (r: SizeResult): void => {
    setHtml(
      gapLine,
      `At n = <b>${r.n.toLocaleString('en-US')}</b>: <b>${pct(r.train)}</b> on the training digits, <b>${pct(r.val)}</b> on held-out digits — a gap of <b>${(100 * r.gap).toFixed(1)} points</b>.`,
    );
  };

  let running: Promise<SizeResult> | null = null;
  const trainAt = async (size: number): Promise<SizeResult> => {
    const s = seed();
    const cached = done.get(keyOf(size, s));
    if (cached) {
      showGap(cached);
      return cached;
    }
    const run = new GatedRun(`plain, n = ${size}`, [], data(size), scale, s);
    curves.clear();
    try {
      for (;;) {
        status.textContent = `training at n = ${size.toLocaleString('en-US')}: step ${run.step} of ${scale.steps}…`;
        const r = await serial(() => run.nextChunk());
        curves.set(
          run.reports.map((x) => x.step),
          [run.reports.map((x) => x.train?.accuracy ?? NaN), run.reports.map((x) => x.val.accuracy)],
        );
        if (!r) break;
      }
      const last = run.last!;
      const trainAcc = last.train?.accuracy ?? NaN;
      const result = { n: size, seed: s, train: trainAcc, val: last.val.accuracy, gap: trainAcc - last.val.accuracy };
      done.set(keyOf(size, s), result);
      status.textContent = `trained ${run.step} steps at n = ${size.toLocaleString('en-US')}, seed ${s}`;
      drawSweep();
      showGap(result);
      return result;
    } finally {
      await serial(() => run.dispose());
    }
  };
  const trainCurrent = (): Promise<SizeResult> => {
    // One size at a time: a slider moved during training queues the new size after the current one.
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(() => trainAt(n()));
    running = next;
    return next;
  };

  const showN = (): void => {
    out.textContent = n().toLocaleString('en-US');
  };
  slider.addEventListener('input', showN);
  slider.addEventListener('change', () => {
    showN();
    onSize(n());
    void trainCurrent().catch(onError);
  });
  showN();
  gapLine.textContent = 'Move the slider (or release it where it is) to train at that size.';
  return {
    element,
    slider,
    get n() {
      return n();
    },
    trainCurrent,
    results: () => [...done.values()],
  };
}
