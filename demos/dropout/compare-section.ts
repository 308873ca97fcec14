/**
 * The inverted-dropout / weight-scaling comparison on demand: the button pauses training, trains
 * both models of ./compare.ts at the current p behind the page's other GPU jobs, and shows the table
 * of ./compare-view.ts.
 */
import type { GpuDataset, Runtime } from 'webgpu-regularization';
import type { TrainControls } from '../shared/controls';
import type { JobQueue } from '../shared/jobs';
import { compareRules, type RuleResult } from './compare';
import { compareView } from './compare-view';

/** What the test hook reads about the comparison. */
export interface CompareHook {
  comparison: RuleResult[];
  comparisonReady: boolean;
  compareSeconds: number;
}

/** What the comparison trains on and with. */
export interface CompareOptions {
  rt: Runtime;
  train: GpuDataset;
  val: GpuDataset;
  hidden: readonly number[];
  batch: number;
  steps: number;
  seed(): number;
  keepProb(): number;
  controls: TrainControls;
  queue: JobQueue;
  expose(f: Partial<CompareHook>): void;
  fail(e: unknown): void;
}

/** The panel, and `run` (what its button does). */
export function compareSection(o: CompareOptions): { element: HTMLElement; run(): Promise<RuleResult[]> } {
  const view = compareView(o.steps, o.hidden);
  o.expose({ comparisonReady: false });
  const run = (): Promise<RuleResult[]> => {
    const p = o.keepProb();
    if (p === 1) {
      view.progress('At p = 1 no unit is ever dropped: both models would be the same plain network. Lower p first.');
      return Promise.resolve([]);
    }
    o.controls.pause();
    view.button.disabled = true;
    return o.controls
      .idle()
      .then(() =>
        o.queue(async () => {
          const t0 = performance.now();
          const config = { hidden: o.hidden, keepProb: p, steps: o.steps, batch: o.batch, seed: o.seed(), lr: 0.05 };
          const results = await compareRules(o.rt, o.train, o.val, config, (done, total) => view.progress(`Training both models… ${done} / ${total} steps`));
          o.expose({ comparison: results, comparisonReady: true, compareSeconds: (performance.now() - t0) / 1000 });
          view.show(results, p, o.steps);
          return results;
        }),
      )
      .finally(() => {
        view.button.disabled = false;
      });
  };
  view.button.textContent = `Train both models (${o.steps} steps each) at the current p`;
  view.progress('Not trained yet: the button trains both (a few seconds).');
  view.button.addEventListener('click', () => void run().catch(o.fail));
  return { element: view.element, run };
}
