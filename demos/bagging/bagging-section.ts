/**
 * Section 1, bagging: k members trained one per call, each on its own bootstrap resample, or all k
 * at once (batched: the library's `bagging({ batched: true })`), which replaces them with the same
 * members bit for bit: the members trained one at a time are compared with their batched twins, and
 * the time per member of both ways is shown. The members table with each resample drawn, eq. 7.50
 * against k, and, once all k are trained, the library's GPU average (Ensemble.predictProbs, eq.
 * 7.52) checked against the f64 one.
 */
import type { GpuDataset, Progress, Tensor } from 'webgpu-regularization';
import { Ensemble } from 'webgpu-regularization/regularizers';
import { el, html, pct, setHtml } from '../shared/dom';
import { ensembleView } from './ensemble-view';
import { deterministicPass, trainBaggedBatched, trainBaggedMember, type BaggedMember, type TrainSettings } from './members';
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
  /** The last batched run, once there is one. */
  readonly batched: BatchedRun | undefined;
  /** Each member's held-out probabilities [digit·10 + class], read back. */
  readonly memberProbs: readonly Float32Array[];
  /** Trains member `trained + 1` of `k`. */
  trainNext(k: number, settings: TrainSettings, onProgress: (p: Progress) => void): Promise<void>;
  /** Trains all k members at once (batched); they replace the members trained so far, each compared with its batched twin. */
  trainAllBatched(k: number, settings: TrainSettings, onEpoch: (epoch: number) => void): Promise<void>;
  /** Disposes the members; shows the empty panel for `k`. */
  reset(k: number): void;
}

/** A batched run of all k members and how it compares with the members trained one at a time before it. */
export interface BatchedRun {
  k: number;
  /** Training and the held-out passes of all k, seconds. */
  seconds: number;
  /** Members trained before (one at a time, or by the previous batched run) compared with their batched twins, probability values compared, and values whose f32 bits differ. */
  compared: number;
  values: number;
  differing: number;
}

/** Values of `a` and `b` (same length) whose f32 bits differ. */
function bitDiffs(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
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
        `<span class="legend">Each resample, a cell per training digit, drawn: ${legend}</span><br>` +
        `<b>Train all k at once</b> trains the same members with <code>bagging({ batched: true })</code>: their weights stacked, one matmul dispatch per layer for all of them, each member still on its own resample, ending bit for bit where training them one at a time ends.`,
      memberWord: 'member',
      membersWord: 'members',
      letter: 'm',
      extraHeading: 'its resample',
    },
    chartWidth,
  );
  const timing = view.line('ens-status note timing');
  let members: BaggedMember[] = [];
  let probs: Float32Array[] = [];
  let strips: HTMLElement[] = [];
  let stats: EnsembleStats | undefined;
  let secondsPerMember: number | undefined;
  let batched: BatchedRun | undefined;
  let gpuCheck: { gap: number; bound: number } | undefined;

  const stripOf = (m: BaggedMember): HTMLElement => {
    const cell = el('div', 'resample');
    cell.append(resampleStrip(drawCounts(m.indices, n)), html('span', 'unique', `<b>${pct(m.unique)}</b> distinct`));
    return cell;
  };
  const showMembers = (): void => {
    stats = ensembleStats(probs, heldOut.labels);
    view.show(stats, heldOut.images, (j) => strips[j]);
  };
  const showTiming = (): void => {
    const one = secondsPerMember;
    const oneText = one !== undefined ? `<b>${one.toFixed(2)} s</b> one at a time (the last member trained alone)` : 'one at a time: none trained yet';
    const batchedText = batched
      ? ` · <b>${(batched.seconds / batched.k).toFixed(2)} s</b> batched, all ${batched.k} at once (${batched.seconds.toFixed(2)} s in all)`
      : '';
    setHtml(timing, `Time per member (its training and held-out pass): ${oneText}${batchedText}.`);
    timing.hidden = one === undefined && !batched;
  };
  /** The library's Ensemble averages on the GPU (eq. 7.52); its error must be the f64 one. Returns the sentence that says so. */
  const checkGpuAverage = async (k: number): Promise<string> => {
    const avg = new Ensemble(members.map((x) => x.model)).predictProbs(heldOut.x);
    const p = (await avg.toArray()) as Float32Array;
    avg.dispose();
    const gpu = ensembleError([p], heldOut.labels, [0]).brier;
    const cpu = stats!.rows[k - 1].firstK;
    // Each averaged probability is within (k + 1)·2⁻²⁴ of the exact mean; Σ|ε| ≤ 2 per digit, so ‖ε‖² moves ≤ 4(k + 1)·2⁻²⁴.
    gpuCheck = { gap: Math.abs(gpu - cpu), bound: 4 * (k + 1) * 2 ** -24 };
    return `The library's GPU average (Ensemble.predictProbs) gives ${gpu.toFixed(6)}, the f64 average of the read-back members ${cpu.toFixed(6)}.`;
  };

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
    strips.push(stripOf(m));
    showMembers();
    showTiming();
    if (members.length < k) {
      view.message(
        `${members.length} of ${k} members trained (${seconds.toFixed(1)} s each here). Press Step or Play for the next, or train all ${k} at once.`,
      );
      return;
    }
    view.message(`All ${k} members trained (${seconds.toFixed(1)} s for the last one). ${await checkGpuAverage(k)}`);
  };

  const trainAllBatched = async (k: number, settings: TrainSettings, onEpoch: (epoch: number) => void): Promise<void> => {
    view.message(`Training all ${k} members at once (batched: one matmul per layer for all of them)…`);
    const t0 = performance.now();
    const twins = await trainBaggedBatched(train, settings, k, onEpoch);
    const twinProbs: Float32Array[] = [];
    try {
      for (const m of twins) twinProbs.push(await deterministicPass(m.model, heldOut.x));
    } catch (e) {
      for (const m of twins) m.model.dispose();
      throw e;
    }
    // The members so far were trained one at a time, or all at once by the last batched run.
    const before = batched ? 'in the last batched run' : 'one at a time';
    const compared = Math.min(members.length, k);
    let differing = 0;
    for (let i = 0; i < compared; i++) differing += bitDiffs(probs[i], twinProbs[i]);
    const values = compared * twinProbs[0].length;
    batched = { k, seconds: (performance.now() - t0) / 1000, compared, values, differing };
    // The batched members take the place of those trained one at a time (nothing awaits until the table shows them).
    for (const m of members) m.model.dispose();
    members = twins;
    probs = twinProbs;
    strips = twins.map(stripOf);
    showMembers();
    showTiming();
    const same =
      compared === 0
        ? 'None was trained one at a time to compare them with (Step trains one).'
        : differing === 0
          ? `Member${compared > 1 ? `s 1–${compared}` : ' 1'}, trained ${before} before, give the same held-out probabilities bit for bit (${values.toLocaleString('en-US')} of ${values.toLocaleString('en-US')} values).`
          : `Members 1–${compared}, trained ${before} before, differ from their batched twins in ${differing} of ${values} values: they should be the same bit for bit.`;
    view.message(`All ${k} members trained at once (batched). ${same} ${await checkGpuAverage(k)}`);
  };

  const reset = (k: number): void => {
    for (const m of members) m.model.dispose();
    members = [];
    probs = [];
    strips = [];
    stats = undefined;
    gpuCheck = undefined;
    secondsPerMember = undefined;
    batched = undefined;
    showTiming();
    view.show(ensembleStats([], heldOut.labels), heldOut.images);
    view.message(`Press ▶ Play to train ${k} members one after another (Step trains one), then the dropout net; or train all ${k} at once, batched.`);
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
    get batched() {
      return batched;
    },
    get memberProbs() {
      return probs;
    },
    trainNext,
    trainAllBatched,
    reset,
  };
}
