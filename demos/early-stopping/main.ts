/**
 * Early stopping is L2 in disguise (chapter 7.8).
 *
 * 1. An MLP (784-64-10) trains on 500 MNIST digits with `earlyStopping({ patience, evalEvery })`:
 *    live training and validation losses, the patience window after the best evaluation, and the
 *    restored best step once patience runs out (stopping-section.ts). Then, on demand, both ways of
 *    using the validation digits afterwards (retrainOnAll with same steps / same epochs,
 *    continueOnAll): cost and gain (retrain-panel.ts).
 * 2. The proof, on a 2-D quadratic J(w) = ½(w − w*)ᵀH(w − w*): gradient descent from 0 runs on the GPU
 *    (chain(sgd) over a ParamArena), agrees with eq. 7.40, and a τ scrubber shows w⁽τ⁾ beside the
 *    L2 solution w̃(α) at α = 1/(τε), with the filter factors of eqs. 7.40 and 7.13 per direction
 *    and the exact per-direction αᵢ of eq. 7.43 against the first-order bound of eqs. 7.44–7.45
 *    (quadratic-section.ts).
 *
 * Test hook (`window.__demo`): ready; mnist ({ points, bestStep, stoppedStep, stoppedEarly, done,
 * trainLossAtBest, patience, evalEvery }); stepMnist(), runMnist(); strategies, strategiesReady;
 * quad ({ eps, tau, gpuW, closedW, maxDiff, bound, lambda, zStar, gpuZ, l2AtAlphaZ, checks });
 * trajectoryVersion.
 */
import { loadPageDigits } from '../shared/data';
import { mountPage } from '../shared/page';
import { meta } from './meta';
import { quadraticSection, type QuadState } from './quadratic-section';
import { retrainSection, trainAndValDigits, type StrategyResult } from './retrain-panel';
import { pageSettings } from './settings';
import { SOURCES } from './sources';
import { stoppingSection, type RunState } from './stopping-section';
import './page.css';

/** The fields tests/browser/concept-early-stopping.test.ts reads. */
interface Hook {
  mnist: RunState;
  /** One evaluation interval (as the Step button). */
  stepMnist(): Promise<void>;
  /** Steps until patience runs out. */
  runMnist(): Promise<void>;
  strategies: StrategyResult[] | undefined;
  strategiesReady: boolean;
  quad: QuadState;
  /** Counts the trajectories the GPU has computed (one per new ε). */
  trajectoryVersion: number;
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, fail }) => {
  const state = pageSettings();
  const digits = await loadPageDigits(rt, root, { train: 500, val: 500, test: 1000, seed: 1 });
  const test = digits.test;
  if (!test) throw new Error('demos/early-stopping: the split gave no test digits');

  const stopping = stoppingSection(
    rt,
    digits,
    state,
    {
      onShow: (run, mnist) => {
        expose({ mnist });
        retrain.allow(run.done);
      },
      onRestart: () => retrain.reset(),
    },
    fail,
  );
  const retrain = retrainSection(rt, { all: trainAndValDigits(rt, digits.split), test }, stopping, expose, fail);
  const quad = quadraticSection(rt, state, expose, fail);
  root.append(stopping.element, retrain.element, quad.element);

  expose({
    stepMnist: () => stopping.controls.stepOnce(),
    runMnist: async () => {
      while (!stopping.run.done) await stopping.controls.stepOnce();
    },
  });
  await quad.ready;
  stopping.show();
  hook.ready = true;
});
