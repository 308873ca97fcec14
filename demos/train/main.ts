/**
 * "Train, then draw a digit": an MLP or a CNN trained on real MNIST digits on the GPU with the
 * regularizers the visitor picks (one epoch per step of the controls, live curves, the CNN's
 * first-layer filters drawn from readbacks while it trains, a held-out confusion matrix), then a
 * digit drawn on a pad and classified by weight scaling and by Monte-Carlo dropout (N masks
 * in one batch), with the convergence of the estimate, a rotation that raises the uncertainty, and
 * a model that can be saved and loaded.
 *
 * Sections: ./run-section.ts (the settings, the run, its curves and filters), ./classify-section.ts (the pad,
 * the predictions, the sweep), ./model-files-section.ts (save, load, keep in this browser).
 *
 * Test hook (`window.__demo`): ready, step, epochs, heldOutAccuracy, heldOutLoss, lastStep (the
 * last minibatch's step and loss), model ('mlp' or 'cnn'), filters (the CNN's conv1 filters as last
 * drawn: step, values per filter, kernel, norms, total, scale; null for the MLP), liveFilterReads
 * (readings that landed while it trained), trainSteps(n) (n steps of the controls, each one epoch),
 * drawDigit(pixels), classified, classifying, prediction, spread, entropy, saveModel() (the
 * checkpoint's bytes, base64), savedUrl, saves, loads, stores, restores, storedLine, loadError,
 * sweeps, runEnd, scale.
 */
import { hashState } from '../shared/hash';
import { jobQueue } from '../shared/jobs';
import { mountPage } from '../shared/page';
import { pageSizes } from '../shared/sizes';
import { highlightLines } from '../shared/source-lines';
import { classifySection, type ClassifyHook, type ClassifySection } from './classify-section';
import { HIGHLIGHTS } from './highlights';
import type { Classification } from './infer';
import { meta } from './meta';
import { modelFilesSection, type ModelFilesHook } from './model-files-section';
import { loadRunData, runSection, type RunHook } from './run-section';
import { DEFAULT_SETTINGS, sanitize, scaleFor, type TrainSettings } from './settings';
import { SOURCES } from './sources';
import './train.css';

interface Hook extends RunHook, ClassifyHook, ModelFilesHook {
  /** Runs n steps of the controls (each one epoch). */
  trainSteps(n: number): Promise<void>;
  drawDigit: ClassifySection['drawDigit'];
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, showSource, fail }) => {
  const hash = hashState<TrainSettings>(DEFAULT_SETTINGS);
  const settings = sanitize(hash.value);
  hash.set(settings);
  const scale = scaleFor(pageSizes(rt) === 'small');
  // GPU work outside training (classification, evaluation, export, rebuilding the model) runs one
  // job at a time; training interleaves with it between minibatch steps, which is safe because a
  // step is recorded synchronously.
  const queue = jobQueue();

  // Loaded before the panels exist: everything their events call is defined by the time they can fire.
  const data = await loadRunData(rt, root, scale, settings.seed);
  const run = runSection(
    {
      rt,
      root,
      scale,
      settings,
      hash,
      queue,
      expose,
      fail,
      changed: () => draw.schedule(),
      restarted: (s) => draw.showSamples(s.mc),
    },
    data,
  );
  const draw = classifySection(
    {
      root,
      run: () => run,
      queue,
      expose,
      fail,
      showMaskSource: () => {
        const { path } = HIGHLIGHTS.maskKey;
        void showSource(path, new Set(highlightLines(HIGHLIGHTS.maskKey, SOURCES.find((f) => f.path === path)?.text ?? '')));
      },
    },
    settings.mc,
  );
  expose({
    trainSteps: async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await run.controls.stepOnce();
    },
    drawDigit: (pixels: ArrayLike<number>): Promise<Classification | null> => draw.drawDigit(pixels),
  });
  await modelFilesSection(root, () => run, queue, expose, fail);

  await run.start();
  draw.showHeldOutDigit();
  await draw.schedule();
  hook.ready = true;
});
