/**
 * Bagging and ensembles (chapter 7.11, eq. 7.50 and 7.52): k small MLPs, each trained on its own
 * bootstrap resample of 1,000 MNIST digits (each resample holds ≈ 63.2% distinct digits), averaged;
 * their held-out error against k, with the members' measured v and c and the book's
 * v/k + (k − 1)c/k drawn through it; the digits they disagree on. Then the same for one dropout
 * network, whose Monte-Carlo passes (a fresh mask per pass) are the members: dropout seen as bagging
 * of exponentially many weight-sharing subnetworks (chapter 7.12).
 *
 * Test hook (`window.__demo`): ready; k, seed, trainCount, membersTrained, done, uniqueFractions,
 * uniqueExpected { mean, sd }, bagging and dropout (the EnsembleStats of each, once there are
 * members), gpuEnsembleGap and gpuEnsembleBound (the GPU's eq. 7.52 average vs the f64 one),
 * mcGap (our passes vs predictMonteCarlo), weightScaledBrier, secondsPerMember; step(), reset().
 */
import { Ensemble } from 'webgpu-regularization/regularizers';
import { GpuDataset, type Progress, type Sequential } from 'webgpu-regularization';
import { trainControls } from '../shared/controls';
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { ensembleView } from './ensemble-view';
import {
  checkAgainstMonteCarlo,
  deterministicPass,
  DROPOUT_KEEP,
  MC_OFFSET,
  monteCarloPasses,
  trainBaggedMember,
  trainDropoutNet,
  type BaggedMember,
  type TrainSettings,
} from './members';
import { meta } from './meta';
import { DRAW_COLORS, resampleStrip } from './resample-strip';
import { SOURCES } from './sources';
import { CLASSES, distinctMoments, drawCounts, ensembleError, ensembleStats, type EnsembleStats } from './stats';
import './bagging.css';

/** Members the page allows (2^k subsets are enumerated for the chart's mean: 1,023 at k = 10). */
const K_MAX = 10;
const TRAIN_COUNT = 1000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, html?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

void mountPage(meta, SOURCES, async ({ rt, root, hook, fail }) => {
  // `?sizes=large|small` overrides the adapter's choice (to see one layout on the other adapter).
  const forced = new URLSearchParams(location.search).get('sizes');
  const small = forced === 'large' ? false : forced === 'small' ? true : rt.info.isFallbackAdapter;
  const hidden = small ? 32 : 64;
  const valCount = small ? 500 : 2000;
  const state = hashState({ seed: 1, k: small ? 5 : 8 });
  const cleanK = (k: number): number => (Number.isInteger(k) ? Math.min(K_MAX, Math.max(2, k)) : 5);
  const cleanSeed = (s: number): number => (Number.isInteger(s) && s >= 0 && s < 2 ** 31 ? s : 1);
  state.set({ seed: cleanSeed(state.value.seed), k: cleanK(state.value.k) });
  const settings = (): TrainSettings => ({ sizes: [784, hidden, 10], epochs: small ? 8 : 12, batchSize: 50, lr: 0.05, seed: state.value.seed });
  const dropoutEpochs = small ? 12 : 20;

  const loading = el('p', 'note', 'Loading the MNIST digits…');
  root.append(loading);
  const split = await loadDigits({ train: TRAIN_COUNT, val: valCount, test: 0, seed: 1 });
  const train = GpuDataset.upload(rt, split.train.images, split.train.labels, CLASSES);
  const valX = rt.tensor(split.val.images, [valCount, 784]);
  const labels = split.val.labels;
  loading.remove();
  const moments = distinctMoments(TRAIN_COUNT);

  // ---- Layout ----
  const bar = el('div', 'panel topbar');
  const kInput = el('input');
  Object.assign(kInput, { type: 'number', min: '2', max: String(K_MAX), step: '1', value: String(state.value.k) });
  kInput.id = 'k';
  const kLabel = el('label');
  kLabel.append('members k', kInput);
  const seedInput = el('input');
  Object.assign(seedInput, { type: 'number', min: '0', step: '1', value: String(state.value.seed) });
  seedInput.id = 'seed';
  const seedLabel = el('label');
  seedLabel.append('seed', seedInput);
  const progress = el('span', 'progress-text');

  const s0 = settings();
  const explain = el(
    'div',
    'panel explain',
    `<p>Each model below is a ${s0.sizes.join('-')} MLP (momentum SGD, batch ${s0.batchSize}) trained on ${TRAIN_COUNT.toLocaleString('en-US')} MNIST digits and scored on ${valCount.toLocaleString('en-US')} others. ` +
      `A member's <b>error</b> on a digit is the vector <b>εᵢ = p⁽ⁱ⁾ − y</b>: its 10 predicted probabilities minus the one-hot label, so ‖εᵢ‖² is its squared error (the Brier score; 0 is perfect, 2 is confidently wrong). ` +
      `Over the held-out digits, <b>v</b> = E‖εᵢ‖² averaged over the members and <b>c</b> = E⟨εᵢ, εⱼ⟩ averaged over pairs i ≠ j. ` +
      `The ensemble averages the members' probabilities (eq. 7.52), so its error is the average of theirs, and its mean squared error is exactly ` +
      `<b>v/k + (k − 1)c/k</b> (eq. 7.50): 1/k of v and (k − 1)/k of c. Uncorrelated errors (c = 0) would give v/k; identical ones (c = v) no gain at all.</p>`,
  );
  const baggingView = ensembleView(
    {
      title: '1. Bagging: k members, each on its own bootstrap resample',
      intro:
        `Member i trains on resample i: ${TRAIN_COUNT.toLocaleString('en-US')} draws with replacement from the ${TRAIN_COUNT.toLocaleString('en-US')} training digits (the library's <code>bootstrap</code> sampler, as <code>bagging()</code> uses it), ` +
        `so it never sees about 1/e ≈ 36.8% of them and sees others twice or more; its initial weights differ too (seed + i). ` +
        `Expected distinct fraction: 1 − (1 − 1/n)ⁿ = ${(100 * moments.mean).toFixed(1)}% ± ${(100 * moments.sd).toFixed(1)}% (one standard deviation for n = ${TRAIN_COUNT.toLocaleString('en-US')}). ` +
        `<span class="legend">Each resample, a cell per training digit, drawn: ${DRAW_COLORS.map((c, i) => `<i style="background:${c}"></i>${i === 3 ? '3+ times' : i === 1 ? 'once' : i === 2 ? 'twice' : 'never'}`).join(' ')}</span>`,
      memberWord: 'member',
      membersWord: 'members',
      letter: 'm',
      extraHeading: 'its resample',
    },
    520,
  );
  const dropoutView = ensembleView(
    {
      title: '2. Dropout as bagging: the subnetworks of one dropout net',
      intro:
        `One ${s0.sizes.join('-')} net trained with dropout (keep p = ${DROPOUT_KEEP.input} on the inputs, ${DROPOUT_KEEP.hidden} on the hidden units) on all ${TRAIN_COUNT.toLocaleString('en-US')} digits. ` +
        `Its members are Monte-Carlo passes with dropout left on: pass s draws its masks with the key of step 2³⁰ + s (as <code>predictMonteCarlo</code> does), so every pass is another subnetwork — ` +
        `one of exponentially many that share the same weights, each trained on the few minibatches where its mask was drawn. Averaging the passes is eq. 7.53's arithmetic mean. ` +
        `The dotted level is the cheap alternative: one deterministic pass with dropout off (the weight scaling rule, eq. 7.56–7.66), which often does as well as many sampled masks.`,
      memberWord: 'pass',
      membersWord: 'passes',
      letter: 's',
      referenceLabel: 'one pass, dropout off (weight scaling)',
      extraHeading: 'mask key',
    },
    520,
  );
  root.append(bar, explain, baggingView.element, dropoutView.element);

  // ---- State ----
  let members: BaggedMember[] = [];
  let memberProbs: Float32Array[] = [];
  const strips: HTMLElement[] = [];
  let dropNet: Sequential | null = null;
  const K = (): number => state.value.k;
  const done = (): boolean => members.length >= K() && dropNet !== null;
  let lastStats: { bagging?: EnsembleStats; dropout?: EnsembleStats } = {};

  const progressText = (what: string) => (p: Progress) => {
    progress.textContent = `${what}: epoch ${p.epoch}`;
  };

  const showBagging = (): void => {
    const stats = ensembleStats(memberProbs, labels);
    lastStats.bagging = stats;
    hook.bagging = stats;
    baggingView.show(stats, split.val.images, (i) => strips[i]);
  };

  const trainNextMember = async (): Promise<void> => {
    const i = members.length;
    const t0 = performance.now();
    baggingView.message(`Training member ${i + 1} of ${K()} on resample ${i + 1}…`);
    const m = await trainBaggedMember(train, settings(), i, progressText(`member ${i + 1} of ${K()}`));
    members.push(m);
    memberProbs.push(await deterministicPass(m.model, valX));
    hook.secondsPerMember = (performance.now() - t0) / 1000;
    const cell = el('div', 'resample');
    cell.append(resampleStrip(drawCounts(m.indices, TRAIN_COUNT)), el('span', 'unique', `<b>${(100 * m.unique).toFixed(1)}%</b> distinct`));
    strips.push(cell);
    hook.uniqueFractions = members.map((x) => x.unique);
    hook.membersTrained = members.length;
    showBagging();
    if (members.length === K()) {
      // The library's Ensemble averages on the GPU (eq. 7.52); its error must be the f64 one.
      const avg = new Ensemble(members.map((x) => x.model)).predictProbs(valX);
      const p = (await avg.toArray()) as Float32Array;
      avg.dispose();
      const gpu = ensembleError([p], labels, [0]).brier;
      const cpu = lastStats.bagging!.rows[K() - 1].firstK;
      hook.gpuEnsembleGap = Math.abs(gpu - cpu);
      // Each averaged probability is within (k + 1)·2⁻²⁴ of the exact mean; Σ|ε| ≤ 2 per digit, so ‖ε‖² moves ≤ 4(k + 1)·2⁻²⁴.
      hook.gpuEnsembleBound = 4 * (K() + 1) * 2 ** -24;
      baggingView.message(
        `All ${K()} members trained (${(hook.secondsPerMember as number).toFixed(1)} s for the last one). The library's GPU average (Ensemble.predictProbs) gives ${gpu.toFixed(6)}, the f64 average of the read-back members ${cpu.toFixed(6)}.`,
      );
    } else {
      baggingView.message(
        `${members.length} of ${K()} members trained (${(hook.secondsPerMember as number).toFixed(1)} s each here). Press Step or Play for the next.`,
      );
    }
  };

  const trainDropout = async (): Promise<void> => {
    dropoutView.message(`Training the dropout net (${dropoutEpochs} epochs: dropout learns more slowly)…`);
    const net = await trainDropoutNet(train, { ...settings(), epochs: dropoutEpochs }, progressText('dropout net'));
    dropNet = net;
    const passes = await monteCarloPasses(net, valX, K());
    hook.mcGap = await checkAgainstMonteCarlo(net, valX, passes);
    const det = ensembleError([await deterministicPass(net, valX)], labels, [0]);
    hook.weightScaledBrier = det.brier;
    const stats = ensembleStats(passes, labels);
    lastStats.dropout = stats;
    hook.dropout = stats;
    dropoutView.show(stats, split.val.images, (s) => `step 2³⁰ + ${s}`, det.brier);
    const bag = lastStats.bagging;
    const versus =
      bag && bag.members.length > 1
        ? ` Compared with the bagged members: each pass alone is ${stats.v > bag.v ? 'worse' : 'better'} (v = ${stats.v.toFixed(3)} vs ${bag.v.toFixed(3)}) and their errors are ${stats.c / stats.v < bag.c / bag.v ? 'less' : 'more'} correlated (c/v = ${(stats.c / stats.v).toFixed(2)} vs ${(bag.c / bag.v).toFixed(2)}), so averaging gains ${stats.c / stats.v < bag.c / bag.v ? 'more' : 'less'}.`
        : '';
    dropoutView.message(
      `The mean of these ${K()} passes equals predictMonteCarlo's to within ${(hook.mcGap as number).toExponential(1)} (same masks). One pass with dropout off: squared error ${det.brier.toFixed(4)}, ${(100 * det.wrong).toFixed(1)}% misclassified.${versus}`,
    );
  };

  const step = async (): Promise<void> => {
    if (done()) {
      controls.pause();
      return;
    }
    if (members.length < K()) await trainNextMember();
    else await trainDropout();
    progress.textContent = done()
      ? `All trained: ${K()} members and the dropout net.`
      : `${members.length} of ${K()} members${dropNet ? ' and the dropout net' : ''} trained.`;
    hook.done = done();
    if (done()) controls.pause();
  };
  const controls = trainControls(step, fail);
  bar.append(controls.element, kLabel, seedLabel, progress);

  const reset = async (): Promise<void> => {
    controls.pause();
    await controls.idle();
    for (const m of members) m.model.dispose();
    dropNet?.dispose();
    members = [];
    memberProbs = [];
    strips.length = 0;
    dropNet = null;
    lastStats = {};
    for (const key of ['bagging', 'dropout', 'gpuEnsembleGap', 'mcGap', 'weightScaledBrier']) delete hook[key];
    hook.membersTrained = 0;
    hook.uniqueFractions = [];
    hook.done = false;
    hook.k = K();
    hook.seed = state.value.seed;
    const empty = ensembleStats([], labels);
    baggingView.show(empty, split.val.images);
    dropoutView.show(empty, split.val.images);
    baggingView.message(`Press ▶ Play to train ${K()} members one after another (Step trains one), then the dropout net.`);
    dropoutView.message('Trained after the bagged members.');
    progress.textContent = 'Nothing trained yet.';
  };

  kInput.addEventListener('change', () => {
    const k = cleanK(Number(kInput.value));
    kInput.value = String(k);
    if (k === K()) return;
    state.set({ k });
    void reset().catch(fail);
  });
  seedInput.addEventListener('change', () => {
    const s = cleanSeed(Number(seedInput.value));
    seedInput.value = String(s);
    if (s === state.value.seed) return;
    state.set({ seed: s });
    void reset().catch(fail);
  });

  Object.assign(hook, {
    trainCount: TRAIN_COUNT,
    valCount,
    uniqueExpected: moments,
    mcOffset: MC_OFFSET,
    step: () => controls.stepOnce(),
    reset,
  });
  await reset();
  hook.ready = true;
});
