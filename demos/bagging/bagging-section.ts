/**
 * Section 1, bagging: k members trained one per call, each on its own bootstrap resample; the
 * members table with each resample drawn, eq. 7.50 against k, and, once all k are trained, the
 * library's GPU average (Ensemble.predictProbs, eq. 7.52) checked against the f64 one.
 */
import type { GpuDataset, Progress, Tensor } from 'webgpu-regularization';
import { Ensemble } from 'webgpu-regularization/regularizers';
import { el, html, pct } from '../shared/dom';
import { ensembleView } from './ensemble-view';
import { deterministicPass, trainBaggedMember, type BaggedMember, type TrainSettings } from './members';
import { DRAW_COLORS, resampleStrip } from './resample-strip';
import { distinctMoments, drawCounts, ensembleError, ensembleStats, type EnsembleStats } from './stats';

/** The held-out digits every section scores on. */
export interface HeldOut {
  x: Tensor;
  labels: ArrayLike<number>;
  images: Float32Array;
}

/** The section's element and state. */
export interface BaggingSection {
  readonly element: HTMLElement;
  /** Mean and sd of the distinct fraction of a resample of the training set. */
  readonly moments: { mean: number; sd: number };
  readonly trained: number;
  readonly uniqueFractions: number[];
  /** The members' statistics, once there are members. */
  readonly stats: EnsembleStats | undefined;
  readonly secondsPerMember: number | undefined;
  /** Once all k are trained: |GPU average's error − f64 average's| and its f32 bound. */
  readonly gpuCheck: { gap: number; bound: number } | undefined;
  /** Trains member `trained + 1` of `k`. */
  trainNext(k: number, settings: TrainSettings, onProgress: (p: Progress) => void): Promise<void>;
  /** Disposes the members; shows the empty panel for `k`. */
  reset(k: number): void;
}

/** Builds the section for the training set `train` (n digits: each resample draws n of them). */
export function baggingSection(train: GpuDataset, heldOut: HeldOut, chartWidth: number): BaggingSection {
  const n = train.count;
  const count = n.toLocaleString('en-US');
  const moments = distinctMoments(n);
  const legend = DRAW_COLORS.map((c, i) => `<i style="background:${c}"></i>${['never', 'once', 'twice', '3+ times'][i]}`).join(' ');
  const view = ensembleView(
    {
      title: '1. Bagging: k members, each on its own bootstrap resample',
      intro:
        `Member i trains on resample i: ${count} draws with replacement from the ${count} training digits (the library's <code>bootstrap</code> sampler, as <code>bagging()</code> uses it), ` +
        `so it never sees about 1/e ≈ 36.8% of them and sees others twice or more; its initial weights differ too (seed + i). ` +
        `Expected distinct fraction: 1 − (1 − 1/n)ⁿ = ${pct(moments.mean)} ± ${pct(moments.sd)} (one standard deviation for n = ${count}). ` +
        `<span class="legend">Each resample, a cell per training digit, drawn: ${legend}</span>`,
      memberWord: 'member',
      membersWord: 'members',
      letter: 'm',
      extraHeading: 'its resample',
    },
    chartWidth,
  );
  let members: BaggedMember[] = [];
  let probs: Float32Array[] = [];
  const strips: HTMLElement[] = [];
  let stats: EnsembleStats | undefined;
  let secondsPerMember: number | undefined;
  let gpuCheck: { gap: number; bound: number } | undefined;

  const trainNext = async (k: number, settings: TrainSettings, onProgress: (p: Progress) => void): Promise<void> => {
    const i = members.length;
    const t0 = performance.now();
    view.message(`Training member ${i + 1} of ${k} on resample ${i + 1}…`);
    const m = await trainBaggedMember(train, settings, i, onProgress);
    let memberProbs: Float32Array;
    try {
      memberProbs = await deterministicPass(m.model, heldOut.x);
    } catch (e) {
      m.model.dispose();
      throw e;
    }
    // From here on nothing awaits until the view shows the member: the count the test hook reads
    // (`trained`) and the members table change together.
    members.push(m);
    probs.push(memberProbs);
    const seconds = (performance.now() - t0) / 1000;
    secondsPerMember = seconds;
    const cell = el('div', 'resample');
    cell.append(resampleStrip(drawCounts(m.indices, n)), html('span', 'unique', `<b>${pct(m.unique)}</b> distinct`));
    strips.push(cell);
    stats = ensembleStats(probs, heldOut.labels);
    view.show(stats, heldOut.images, (j) => strips[j]);
    if (members.length < k) {
      view.message(`${members.length} of ${k} members trained (${seconds.toFixed(1)} s each here). Press Step or Play for the next.`);
      return;
    }
    // The library's Ensemble averages on the GPU (eq. 7.52); its error must be the f64 one.
    const avg = new Ensemble(members.map((x) => x.model)).predictProbs(heldOut.x);
    const p = (await avg.toArray()) as Float32Array;
    avg.dispose();
    const gpu = ensembleError([p], heldOut.labels, [0]).brier;
    const cpu = stats.rows[k - 1].firstK;
    // Each averaged probability is within (k + 1)·2⁻²⁴ of the exact mean; Σ|ε| ≤ 2 per digit, so ‖ε‖² moves ≤ 4(k + 1)·2⁻²⁴.
    gpuCheck = { gap: Math.abs(gpu - cpu), bound: 4 * (k + 1) * 2 ** -24 };
    view.message(
      `All ${k} members trained (${seconds.toFixed(1)} s for the last one). The library's GPU average (Ensemble.predictProbs) gives ${gpu.toFixed(6)}, the f64 average of the read-back members ${cpu.toFixed(6)}.`,
    );
  };

  const reset = (k: number): void => {
    for (const m of members) m.model.dispose();
    members = [];
    probs = [];
    strips.length = 0;
    stats = undefined;
    gpuCheck = undefined;
    view.show(ensembleStats([], heldOut.labels), heldOut.images);
    view.message(`Press ▶ Play to train ${k} members one after another (Step trains one), then the dropout net.`);
  };

  return {
    element: view.element,
    moments,
    get trained() {
      return members.length;
    },
    get uniqueFractions() {
      return members.map((x) => x.unique);
    },
    get stats() {
      return stats;
    },
    get secondsPerMember() {
      return secondsPerMember;
    },
    get gpuCheck() {
      return gpuCheck;
    },
    trainNext,
    reset,
  };
}
