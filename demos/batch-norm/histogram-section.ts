/**
 * Panel 1: what enters the ReLU of a few hidden units, both networks, on a fixed probe batch after
 * the steps trained so far (./histograms.ts draws the grid), and each unit's mean and std over
 * training (one point per step whose activations were read back).
 */
import { GpuDataset } from 'webgpu-regularization';
import { el, html } from '../shared/dom';
import { cellSummary, COLORS, histogramGrid, type CellSummary } from './histograms';
import { lines } from './lines';
import { KINDS, type Activations, type PairTrainer } from './trainer';

/** Shades of the shown units in the moment charts, per network. */
const UNIT_SHADES = { plain: ['#d9480f', '#f08c00', '#c2255c', '#a61e4d'], bn: ['#1f6feb', '#0c8599', '#5f3dc4', '#2b8a3e'] } as const;

/** The panel and what the page reads from it. */
export interface HistogramSection {
  readonly element: HTMLElement;
  /** What each histogram shows ([network][shown unit]), once drawn. */
  readonly cells: CellSummary[][] | undefined;
  /** The step of the activations shown (-1 before the first read-back). */
  readonly step: number;
  /** Reads the probe batch's activations back and redraws. */
  refresh(): Promise<void>;
  /** Redraws for hidden layer `layer` (1-based) from what was read back. */
  render(layer: number): void;
}

/** Builds the panel for `shown` units of the trainer's hidden layers, starting on hidden layer `layer0`. */
export function histogramSection(trainer: PairTrainer, shown: readonly number[], layer0: number): HistogramSection {
  const hidden = trainer.config.hidden;
  // The probe batch: the first 512 training digits, one batch.
  const probeOrder = trainer.train.identityOrder();
  const probe = trainer.train.batch(probeOrder, GpuDataset.windows(trainer.train.count, 512)[0]).x;
  probeOrder.dispose();
  const element = el('div', 'panel');
  const title = el('h2');
  const note = html(
    'p',
    'note',
    `What enters the ReLU of ${shown.length} units, for a fixed batch of 512 training digits, after the steps trained so far. <b>Without batch norm</b> it is the Linear layer's output, whose center and width drift as the weights below it change (the next layer must keep re-adapting: Ioffe & Szegedy's "internal covariate shift"). <b>With batch norm</b> each unit is first standardized over the batch, then scaled by a learned γ and shifted by a learned β: its mean and std are exactly β and γ, which move only as fast as they are trained. The dashed line is 0, where the ReLU cuts.`,
  );
  const grid = histogramGrid(
    [
      { title: 'without batch norm', color: COLORS.plain },
      { title: 'with batch norm', color: COLORS.bn },
    ],
    shown.length,
  );
  const momentRow = el('div', 'row');
  const momentSeries = () =>
    KINDS.flatMap((k) =>
      shown.map((u, i) => ({ label: `${k === 'bn' ? 'BN' : 'plain'} u${u}`, color: UNIT_SHADES[k][i], dash: k === 'plain' ? [6, 4] : undefined })),
    );
  const meanChart = lines(momentRow, 'Mean of each unit’s pre-activation', momentSeries(), { width: 520, height: 230, xLabel: 'step' });
  const stdChart = lines(momentRow, 'Std of each unit’s pre-activation', momentSeries(), { width: 520, height: 230, xLabel: 'step' });
  const momentNote = html(
    'p',
    'note',
    `The same probe batch after every step: <b style="color:${COLORS.plain}">dashed, warm colors</b>: without batch norm; <b style="color:${COLORS.bn}">solid, cool colors</b>: with batch norm (there the mean is β and the std γ of each unit, which start at 0 and 1).`,
  );
  element.append(title, note, grid.element, momentNote, momentRow);

  let layer = layer0;
  let last: Activations | null = null;
  let cells: CellSummary[][] | undefined;
  /** Per step read back: each layer's ([1-based layer]) shown-unit summaries of both networks. */
  const history: { step: number; cells: Record<number, CellSummary[][]> }[] = [];
  const summarize = (acts: Activations, l: number): CellSummary[][] =>
    [acts.plain[l - 1], acts.bn[l - 1]].map((a) => shown.map((u) => cellSummary(a, hidden[l - 1], u)));

  const render = (l: number): void => {
    layer = l;
    if (!last) return;
    cells = grid.draw([last.plain[layer - 1], last.bn[layer - 1]], hidden[layer - 1], shown);
    title.textContent = `Pre-activations of hidden layer ${layer}, after step ${last.step}`;
    const xs = history.map((h) => h.step);
    const series = (pick: (c: CellSummary) => number) => [0, 1].flatMap((k) => shown.map((_, i) => history.map((h) => pick(h.cells[layer][k][i]))));
    meanChart.set(
      xs,
      series((c) => c.mean),
    );
    stdChart.set(
      xs,
      series((c) => c.std),
    );
  };

  return {
    element,
    get cells() {
      return cells;
    },
    get step() {
      return last?.step ?? -1;
    },
    async refresh() {
      const acts = await trainer.activations(probe);
      last = acts;
      if (history.at(-1)?.step !== acts.step)
        history.push({ step: acts.step, cells: Object.fromEntries(hidden.map((_, i) => [i + 1, summarize(acts, i + 1)])) });
      render(layer);
    },
    render,
  };
}
