/**
 * After early stopping: the two ways of also learning from the validation digits (algorithms 7.2
 * and 7.3), run on demand, with what each costs in training steps and what it gains in accuracy on
 * held-out test digits that no run ever trains on.
 *
 *   (a) retrainOnAll: a fresh model on training + validation digits for the same number of
 *       steps, or the same number of epochs (twice the steps here: the set is twice as large);
 *   (b) continueOnAll: keep the early-stopped weights and train on all the digits until the
 *       validation loss falls below the training loss at the best step (with a step limit).
 *
 * The section's button runs them on the early-stopped run once it is done.
 */
import { evaluate, GpuDataset, momentum, type MnistSplit, type Runtime } from 'webgpu-regularization';
import { continueOnAll, mlp, retrainOnAll } from 'webgpu-regularization/regularizers';
import type { TrainControls } from '../shared/controls';
import { el, html, pct } from '../shared/dom';
import { RECIPE, type EarlyStoppingRun } from './mnist-run';

/** One row of the comparison. */
export interface StrategyResult {
  name: string;
  /** Training steps this strategy adds after the early-stopping run. */
  steps: number;
  testAccuracy: number;
  testLoss: number;
  note: string;
}

/** Runs the baseline and the three strategies, reporting each row as it is done. */
export async function compareStrategies(
  rt: Runtime,
  run: EarlyStoppingRun,
  all: GpuDataset,
  test: GpuDataset,
  onRow: (r: StrategyResult) => void,
): Promise<StrategyResult[]> {
  const found = run.report;
  const rows: StrategyResult[] = [];
  const push = (r: StrategyResult): void => {
    rows.push(r);
    onRow(r);
  };
  const optimizer = momentum({ lr: RECIPE.lr, momentum: RECIPE.momentum });
  const common = { optimizer, batchSize: RECIPE.batchSize, seed: run.config.seed };
  const base = await evaluate(run.model, test, 1000);
  push({
    name: 'early stopping alone (500 digits)',
    steps: 0,
    testAccuracy: base.accuracy,
    testLoss: base.loss,
    note: `best step ${found.bestStep}; the run itself took ${found.stoppedStep} steps`,
  });

  for (const same of ['steps', 'epochs'] as const) {
    const { model, report } = await retrainOnAll(() => mlp(rt, { sizes: RECIPE.sizes, seed: run.config.seed }), all, found, {
      ...common,
      same,
      trainCount: run.train.count,
    });
    const m = await evaluate(model, test, 1000);
    report.optimizer.dispose();
    model.dispose();
    push({
      name: `(a) retrain on all 1,000, same ${same}`,
      steps: report.steps,
      testAccuracy: m.accuracy,
      testLoss: m.loss,
      note:
        same === 'steps'
          ? `${report.targetSteps} steps = half as many passes over the larger set`
          : `${report.targetSteps} steps = as many passes as the best run made`,
    });
  }

  // (b) changes the early-stopped model: keep a copy and put it back afterwards.
  const kept = run.model.snapshot();
  try {
    const target = found.trainLossAtBest ?? Number.NaN;
    const maxSteps = Math.max(200, 3 * found.bestStep);
    const r = await continueOnAll(run.model, all, run.val, { ...common, targetLoss: target, maxSteps, evalEvery: 10 });
    const m = await evaluate(run.model, test, 1000);
    r.optimizer.dispose();
    push({
      name: '(b) continue on all 1,000',
      steps: r.steps,
      testAccuracy: m.accuracy,
      testLoss: m.loss,
      note: r.reached
        ? `validation loss ${r.finalValLoss.toFixed(3)} fell below the training loss at the best step, ${target.toFixed(3)}`
        : `gave up after ${maxSteps} steps: validation loss ${r.finalValLoss.toFixed(3)} never fell below ${target.toFixed(3)}`,
    });
  } finally {
    run.model.restore(kept);
    kept.dispose();
  }
  return rows;
}

/** The training and validation digits together, uploaded: what both strategies train on. */
export function trainAndValDigits(rt: Runtime, split: MnistSplit): GpuDataset {
  const images = new Float32Array(split.train.images.length + split.val.images.length);
  images.set(split.train.images);
  images.set(split.val.images, split.train.images.length);
  const labels = new Uint32Array(split.train.count + split.val.count);
  labels.set(split.train.labels);
  labels.set(split.val.labels, split.train.count);
  return GpuDataset.upload(rt, images, labels, 10);
}

/** What the test hook reads: the rows once every strategy has run. */
export interface StrategiesState {
  strategies?: StrategyResult[];
  strategiesReady: boolean;
}

/** The section: its element; `allow` enables the button (the run is done); `reset` empties the table. */
export interface RetrainSection {
  readonly element: HTMLElement;
  allow(runDone: boolean): void;
  reset(): void;
}

/**
 * Builds the section: its button pauses the early-stopping run and compares the strategies on `all`
 * (training + validation digits), scored on `test`; `onState` receives the hook's fields.
 */
export function retrainSection(
  rt: Runtime,
  data: { all: GpuDataset; test: GpuDataset },
  stopping: { readonly run: EarlyStoppingRun; readonly controls: TrainControls },
  onState: (s: StrategiesState) => void,
  onError: (e: unknown) => void,
): RetrainSection {
  const element = el('div', 'panel retrain');
  element.append(
    el('h2', undefined, 'Then use the validation digits too'),
    html(
      'p',
      'note',
      'Early stopping spent 500 digits on validation. Two ways to get them back (section 7.8): <b>(a)</b> retrain a fresh network on all 1,000 digits for the number of steps early stopping found, or for the same number of passes over the data; <b>(b)</b> keep the early-stopped weights and go on training on all 1,000 until the validation loss falls below the training loss at the best step (not guaranteed to happen). Accuracy is measured on 1,000 test digits no run trains on.',
    ),
  );
  const button = el('button', undefined, 'Run both strategies');
  button.dataset.role = 'retrain';
  button.disabled = true;
  const status = el('span', 'note retrain-status');
  const bar = el('div', 'controls');
  bar.append(button, status);
  const table = el('table', 'retrain-table');
  const head = el('tr');
  for (const h of ['strategy', 'extra steps (cost)', 'test accuracy', 'gain', 'how it went']) head.append(el('th', undefined, h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  table.append(thead, body);
  element.append(bar, table);

  const add = (r: StrategyResult, baseline: number): void => {
    const tr = el('tr');
    const gain = r.testAccuracy - baseline;
    const cells = [
      r.name,
      r.steps === 0 ? '—' : r.steps.toLocaleString('en-US'),
      pct(r.testAccuracy),
      r.steps === 0 ? '—' : `${gain >= 0 ? '+' : '−'}${Math.abs(100 * gain).toFixed(1)} pts`,
      r.note,
    ];
    for (const c of cells) tr.append(el('td', undefined, c));
    body.append(tr);
  };

  let busy = false;
  button.addEventListener('click', () => {
    const run = stopping.run;
    if (!run.done || busy) return;
    busy = true;
    button.disabled = true;
    stopping.controls.pause();
    body.replaceChildren();
    onState({ strategiesReady: false });
    let baseline = 0;
    const t0 = performance.now();
    status.textContent = 'Training…';
    void compareStrategies(rt, run, data.all, data.test, (row) => {
      if (row.steps === 0) baseline = row.testAccuracy;
      add(row, baseline);
      status.textContent = `Training… ${row.name} done`;
    })
      .then((rows) => {
        onState({ strategies: rows, strategiesReady: true });
        status.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
      })
      .catch(onError)
      .finally(() => {
        busy = false;
        button.disabled = !stopping.run.done;
      });
  });

  return {
    element,
    allow(runDone) {
      button.disabled = !runDone || busy;
    },
    reset() {
      body.replaceChildren();
      status.textContent = '';
      onState({ strategies: undefined, strategiesReady: false });
    },
  };
}
