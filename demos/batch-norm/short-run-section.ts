/**
 * Panel 4, bottom: on demand, both networks trained from scratch at the slider's batch size
 * (./short-run.ts), and a table of each size tried: accuracy on the training and held-out digits
 * and the gap between them.
 */
import type { GpuDataset, Metrics, Runtime } from 'webgpu-regularization';
import { el, pct, setHtml } from '../shared/dom';
import type { TrainControls } from '../shared/controls';
import type { JobQueue } from '../shared/jobs';
import { COLORS } from './histograms';
import { shortRun, type ShortRunConfig, type ShortRunResult } from './short-run';
import type { ModelKind } from './models';

/** The button, its status line and the table, and what the page reads from them. */
export interface ShortRunSection {
  /** The run bar and the table, in this order. */
  readonly elements: readonly HTMLElement[];
  /** One result per batch size tried (the latest), in the order run. */
  readonly runs: ShortRunResult[];
  readonly running: boolean;
  /** Shows the slider's batch size on the button. */
  setBatch(b: number): void;
  /** Pauses the page's training, then trains both at the slider's batch size, in the page's queue. */
  run(): Promise<ShortRunResult>;
}

/**
 * Builds the section; a run (the button, or `run()`) trains on `train` and is scored on `train` and
 * `val` with `config` (its batch from the slider); `onError` gets a failed run's error from the button.
 */
export function shortRunSection(
  rt: Runtime,
  data: { train: GpuDataset; val: GpuDataset },
  config: Omit<ShortRunConfig, 'batch'>,
  batch0: number,
  queue: JobQueue,
  controls: TrainControls,
  onError: (e: unknown) => void,
): ShortRunSection {
  const bar = el('div', 'controls run-bar');
  const button = el('button');
  button.dataset.role = 'short-run';
  const status = el('span', 'note', 'Not run yet: trains both networks from scratch at the slider’s batch size.');
  bar.append(button, status);
  const table = el('table', 'run-table');
  const runs: ShortRunResult[] = [];
  let running = false;
  let batch = batch0;
  const digits = data.train.count.toLocaleString('en-US');

  const setBatch = (b: number): void => {
    batch = b;
    button.textContent = `Train both from scratch at B = ${b} (${config.epochs} epochs, ${(config.epochs * data.train.count) / b} steps each)`;
  };
  const render = (): void => {
    const gap = (s: { train: Metrics; heldOut: Metrics }) => s.train.accuracy - s.heldOut.accuracy;
    const cells = (k: ModelKind, r: ShortRunResult) =>
      `<td>${pct(r.scores[k].train.accuracy)}</td><td>${pct(r.scores[k].heldOut.accuracy)}</td><td class="gap">${(100 * gap(r.scores[k])).toFixed(1)}</td>`;
    const sorted = [...runs].sort((a, b) => a.batch - b.batch);
    setHtml(
      table,
      `<thead><tr><th rowspan="2">B</th><th rowspan="2">steps</th><th colspan="3" style="color:${COLORS.plain}">without batch norm</th><th colspan="3" style="color:${COLORS.bn}">with batch norm</th></tr>
      <tr><th>train</th><th>held-out</th><th>gap (points)</th><th>train</th><th>held-out</th><th>gap (points)</th></tr></thead>
      <tbody>${sorted.map((r) => `<tr data-batch="${r.batch}"><td>${r.batch}</td><td>${r.steps}</td>${cells('plain', r)}${cells('bn', r)}</tr>`).join('')}</tbody>`,
    );
  };

  const run = (): Promise<ShortRunResult> => {
    controls.pause();
    button.disabled = true;
    const b = batch;
    return controls
      .idle()
      .then(() =>
        queue(async () => {
          running = true;
          const r = await shortRun(rt, data.train, data.val, { ...config, batch: b }, (done, total) => {
            status.textContent = `Training both at B = ${b}… ${done} / ${total} steps`;
          });
          const i = runs.findIndex((x) => x.batch === b);
          if (i >= 0) runs.splice(i, 1);
          runs.push(r);
          render();
          status.textContent = `Trained ${r.steps} steps each at B = ${b} in ${r.seconds.toFixed(1)} s; both scored in inference mode on the ${digits} training digits and the ${data.val.count.toLocaleString('en-US')} held-out ones. Try a small and a large B: every size sees the same digits equally often, so the steps (and the noise of the gradient) differ too; the two networks at one size differ only by batch norm.`;
          return r;
        }),
      )
      .finally(() => {
        running = false;
        button.disabled = false;
      });
  };

  button.addEventListener('click', () => void run().catch(onError));
  setBatch(batch0);
  render();
  return {
    elements: [bar, table],
    runs,
    get running() {
      return running;
    },
    setBatch,
    run,
  };
}
