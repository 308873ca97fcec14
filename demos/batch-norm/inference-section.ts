/**
 * Panel 2: the batch-norm network evaluated in training mode (the batch's statistics) or inference
 * mode (the running ones). Owns the mode and the report shown; the held-out accuracies in both
 * modes (the slow part) are measured again only when asked or when the batch size changes.
 */
import type { GpuDataset, Sequential } from 'webgpu-regularization';
import type { StatsMode } from './forward';
import { inferenceReport, type AccuracyCache, type InferenceReport } from './inference';
import { inferenceView } from './inference-view';

/** The panel and what the page reads from it. */
export interface InferenceSection {
  readonly element: HTMLElement;
  readonly mode: StatsMode;
  /** The report shown, once measured. */
  readonly report: InferenceReport | undefined;
  /** Counts the reports shown. */
  readonly version: number;
  /** Clicks the mode's button, as a visitor would. */
  click(mode: StatsMode): void;
  /** Measures and shows hidden layer `layer` with batches of `batch`, stamped `step`; `remeasure` measures the accuracies anew. */
  refresh(layer: number, batch: number, step: number, remeasure?: boolean): Promise<void>;
}

/** What the panel shows. */
export interface InferenceData {
  val: GpuDataset;
  labels: ArrayLike<number>;
  images: Float32Array;
  units: readonly number[];
  /** Digits whose outputs are listed. */
  shownDigits: number;
}

/** Builds the panel for `model` in `mode0`; `onMode` gets a mode clicked (the caller refreshes). */
export function inferenceSection(model: Sequential, d: InferenceData, mode0: StatsMode, onMode: (m: StatsMode) => void): InferenceSection {
  const view = inferenceView(d.images);
  let mode = mode0;
  let report: InferenceReport | undefined;
  let version = 0;
  let cache: AccuracyCache | null = null;
  for (const m of ['batch', 'running'] as const) {
    view.buttons[m].addEventListener('click', () => {
      mode = m;
      onMode(m);
    });
  }
  return {
    element: view.element,
    get mode() {
      return mode;
    },
    get report() {
      return report;
    },
    get version() {
      return version;
    },
    click: (m) => view.buttons[m].click(),
    async refresh(layer, batch, step, remeasure = false) {
      if (remeasure) cache = null;
      const r = await inferenceReport(model, d.val, d.labels, mode, layer, d.units, batch, d.shownDigits, step, cache);
      cache = { batch: r.batch, step: r.accuracyStep, accuracy: r.accuracy };
      report = r;
      version++;
      view.show(r);
    },
  };
}
