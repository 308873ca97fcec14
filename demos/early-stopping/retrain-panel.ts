/**
 * After early stopping: the two ways of also learning from the validation digits (algorithms 7.2
 * and 7.3), run on demand, with what each costs in training steps and what it gains in accuracy on
 * held-out test digits that no run ever trains on.
 *
 *   (a) retrainOnAll: a fresh model on training + validation digits for the same number of
 *       steps, or the same number of epochs (twice the steps here: the set is twice as large);
 *   (b) continueOnAll: keep the early-stopped weights and train on all the digits until the
 *       validation loss falls below the training loss at the best step (with a step limit).
 */
import { evaluate, momentum, type GpuDataset, type Runtime } from 'webgpu-regularization';
import { continueOnAll, mlp, retrainOnAll } from 'webgpu-regularization/regularizers';
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

/** The panel: a button and the table it fills. */
export function retrainPanel(): {
  element: HTMLElement;
  button: HTMLButtonElement;
  status: HTMLElement;
  clear(): void;
  add(r: StrategyResult, baseline: number): void;
} {
  const element = document.createElement('div');
  element.className = 'panel retrain';
  element.innerHTML = `<h2>Then use the validation digits too</h2>
<p class="note">Early stopping spent 500 digits on validation. Two ways to get them back (section 7.8): <b>(a)</b> retrain a fresh network on all 1,000 digits for the number of steps early stopping found, or for the same number of passes over the data; <b>(b)</b> keep the early-stopped weights and go on training on all 1,000 until the validation loss falls below the training loss at the best step (not guaranteed to happen). Accuracy is measured on 1,000 test digits no run trains on.</p>`;
  const button = document.createElement('button');
  button.textContent = 'Run both strategies';
  button.dataset.role = 'retrain';
  button.disabled = true;
  const status = document.createElement('span');
  status.className = 'note retrain-status';
  const bar = document.createElement('div');
  bar.className = 'controls';
  bar.append(button, status);
  const table = document.createElement('table');
  table.className = 'retrain-table';
  table.innerHTML =
    '<thead><tr><th>strategy</th><th>extra steps (cost)</th><th>test accuracy</th><th>gain</th><th>how it went</th></tr></thead><tbody></tbody>';
  const body = table.querySelector('tbody')!;
  element.append(bar, table);
  return {
    element,
    button,
    status,
    clear() {
      body.innerHTML = '';
    },
    add(r, baseline) {
      const tr = document.createElement('tr');
      const gain = r.testAccuracy - baseline;
      const cells = [
        r.name,
        r.steps === 0 ? '—' : r.steps.toLocaleString('en-US'),
        `${(100 * r.testAccuracy).toFixed(1)}%`,
        r.steps === 0 ? '—' : `${gain >= 0 ? '+' : '−'}${Math.abs(100 * gain).toFixed(1)} pts`,
        r.note,
      ];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.append(td);
      }
      body.append(tr);
    },
  };
}
