/**
 * Bagging and ensembles (chapter 7.11, eq. 7.50 and 7.52): k small MLPs, each trained on its own
 * bootstrap resample of 1,000 MNIST digits (each resample holds ≈ 63.2% distinct digits), averaged;
 * their held-out error against k, with the members' measured v and c and the book's
 * v/k + (k − 1)c/k drawn through it; the digits they disagree on. Then the same for one dropout
 * network, whose Monte-Carlo passes (a fresh mask per pass) are the members: dropout seen as bagging
 * of exponentially many weight-sharing subnetworks (chapter 7.12).
 *
 * Sections: the top bar (./settings-bar.ts), the bagged members (./bagging-section.ts), the dropout
 * net's passes (./dropout-section.ts); this file loads the digits, wires them and exposes the hook.
 *
 * Test hook (`window.__demo`): ready; k, seed, trainCount, valCount, membersTrained, done,
 * uniqueFractions, uniqueExpected { mean, sd }, bagging and dropout (the EnsembleStats of each, once
 * there are members), gpuEnsembleGap and gpuEnsembleBound (the GPU's eq. 7.52 average vs the f64
 * one), mcGap (our passes vs predictMonteCarlo), mcOffset, weightScaledBrier, secondsPerMember,
 * batched (the last run of all k at once: BatchedRun), memberProbs (each member's held-out
 * probabilities); step(), reset().
 */
import { trainControls } from '../shared/controls';
import { loadPageDigits } from '../shared/data';
import { html } from '../shared/dom';
import { hashState } from '../shared/hash';
import { exposeLive } from '../shared/live-hook';
import { mountPage } from '../shared/page';
import { bySize, pageSizes } from '../shared/sizes';
import { baggingSection } from './bagging-section';
import { dropoutSection } from './dropout-section';
import { MC_OFFSET, type TrainSettings } from './members';
import { meta } from './meta';
import { cleanK, cleanSeed, settingsBar } from './settings-bar';
import { SOURCES } from './sources';
import type { EnsembleStats } from './stats';
import type { BatchedRun } from './bagging-section';
import './bagging.css';

const TRAIN_COUNT = 1000;
const CHART_WIDTH = 520;

/** What the end-to-end test reads (tests/browser/concept-bagging.test.ts). */
interface Hook {
  k: number;
  seed: number;
  trainCount: number;
  valCount: number;
  uniqueExpected: { mean: number; sd: number };
  mcOffset: number;
  membersTrained: number;
  uniqueFractions: number[];
  done: boolean;
  bagging: EnsembleStats | undefined;
  dropout: EnsembleStats | undefined;
  gpuEnsembleGap: number | undefined;
  gpuEnsembleBound: number | undefined;
  mcGap: number | undefined;
  weightScaledBrier: number | undefined;
  secondsPerMember: number | undefined;
  batched: BatchedRun | undefined;
  memberProbs: number[][];
  step(): Promise<void>;
  reset(): Promise<void>;
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, fail }) => {
  const sizes = pageSizes(rt);
  const hidden = bySize(sizes, 32, 64);
  const valCount = bySize(sizes, 500, 2000);
  const state = hashState({ seed: 1, k: bySize(sizes, 5, 8) });
  state.set({ seed: cleanSeed(state.value.seed), k: cleanK(state.value.k) });
  const settings = (): TrainSettings => ({ sizes: [784, hidden, 10], epochs: bySize(sizes, 8, 12), batchSize: 50, lr: 0.05, seed: state.value.seed });
  const dropoutEpochs = bySize(sizes, 12, 20);

  const { split, train, val } = await loadPageDigits(rt, root, { train: TRAIN_COUNT, val: valCount, test: 0, seed: 1 });
  const heldOut = { x: val.images, labels: split.val.labels, images: split.val.images };
  const bagging = baggingSection(train, heldOut, CHART_WIDTH);
  const dropout = dropoutSection(train, heldOut, settings().sizes, CHART_WIDTH);
  const K = (): number => state.value.k;
  const done = (): boolean => bagging.trained >= K() && dropout.trained;

  let allAtOnce = false;
  const step = async (): Promise<void> => {
    if (allAtOnce) {
      allAtOnce = false;
      await bagging.trainAllBatched(K(), settings(), (e) => bar.say(`all ${K()} members at once: epoch ${e}`));
    } else if (done()) {
      controls.pause();
      return;
    } else if (bagging.trained < K()) await bagging.trainNext(K(), settings(), bar.progressOf(`member ${bagging.trained + 1} of ${K()}`));
    else await dropout.train(K(), { ...settings(), epochs: dropoutEpochs }, bar.progressOf('dropout net'), bagging.stats);
    bar.say(
      done()
        ? `All trained: ${K()} members and the dropout net.`
        : `${bagging.trained} of ${K()} members${dropout.trained ? ' and the dropout net' : ''} trained.`,
    );
    expose({ done: done() });
    if (done()) controls.pause();
  };
  const controls = trainControls(step, fail);

  const reset = async (): Promise<void> => {
    controls.pause();
    await controls.idle();
    bagging.reset(K());
    dropout.reset();
    expose({ done: false, k: K(), seed: state.value.seed });
    bar.say('Nothing trained yet.');
  };
  const bar = settingsBar(controls.element, state.value, (change) => {
    state.set(change);
    void reset().catch(fail);
  });
  // The batched button pauses Play; its run goes through the controls' queue, never overlapping a
  // step, and the button stays disabled until it ends (a second click cannot queue a second run).
  bar.onBatched(async () => {
    controls.pause();
    await controls.idle();
    allAtOnce = true;
    await controls.stepOnce();
  });

  const s0 = settings();
  const explain = html(
    'div',
    'panel explain',
    `<p>Each model below is a ${s0.sizes.join('-')} MLP (momentum SGD, batch ${s0.batchSize}) trained on ${TRAIN_COUNT.toLocaleString('en-US')} MNIST digits and scored on ${valCount.toLocaleString('en-US')} others. ` +
      `A member's <b>error</b> on a digit is the vector <b>εᵢ = p⁽ⁱ⁾ − y</b>: its 10 predicted probabilities minus the one-hot label, so ‖εᵢ‖² is its squared error (the Brier score; 0 is perfect, 2 is confidently wrong). ` +
      `Over the held-out digits, <b>v</b> = E‖εᵢ‖² averaged over the members and <b>c</b> = E⟨εᵢ, εⱼ⟩ averaged over pairs i ≠ j. ` +
      `The ensemble averages the members' probabilities (eq. 7.52), so its error is the average of theirs, and its mean squared error is exactly ` +
      `<b>v/k + (k − 1)c/k</b> (eq. 7.50): 1/k of v and (k − 1)/k of c. Uncorrelated errors (c = 0) would give v/k; identical ones (c = v) no gain at all.</p>`,
  );
  root.append(bar.element, explain, bagging.element, dropout.element);

  expose({ trainCount: TRAIN_COUNT, valCount, uniqueExpected: bagging.moments, mcOffset: MC_OFFSET, step: () => controls.stepOnce(), reset });
  exposeLive<Hook>(hook, {
    membersTrained: () => bagging.trained,
    uniqueFractions: () => bagging.uniqueFractions,
    bagging: () => bagging.stats,
    secondsPerMember: () => bagging.secondsPerMember,
    batched: () => bagging.batched,
    memberProbs: () => bagging.memberProbs.map((p) => Array.from(p)),
    gpuEnsembleGap: () => bagging.gpuCheck?.gap,
    gpuEnsembleBound: () => bagging.gpuCheck?.bound,
    dropout: () => dropout.stats,
    mcGap: () => dropout.mcGap,
    weightScaledBrier: () => dropout.weightScaledBrier,
  });
  await reset();
  hook.ready = true;
});
