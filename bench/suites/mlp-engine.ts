/**
 * The MLP training step of bench/suites/mlp.ts in this engine, the way its own training loop runs
 * it (engine/train/loop.ts): the MLP of engine/nn with its parameters in one arena, `trainOnBatch`
 * (zero the gradients, forward in training mode keyed by the step, softmax cross-entropy, backward,
 * optimizer step) and SGD with coupled L2 on the weights, w ← (1 − εα)·w − ε·g (eq. 7.5, the
 * gradient of the peers' (α/2)·Σ‖W‖²; biases excluded as in the peers), one submit per step.
 */
import type { Runtime } from '../../engine/index';
import { createMlp } from '../../engine/nn/index';
import { SGD } from '../../engine/optim/optimizers';
import { trainOnBatch } from '../../engine/train/loop';
import { mlpData, type MlpConfig, type MlpStep } from './mlp-peers';

/** The engine's step, and a count of the work it records. */
export interface EngineMlpStep extends MlpStep {
  /** Runs `steps` more steps (untimed) and returns the dispatches and submits each recorded. */
  countWork(steps: number): Promise<{ dispatches: number; submits: number }>;
}

/** Builds the model, optimizer and data of the step on `rt`. */
export function engineMlp(rt: Runtime, cfg: MlpConfig): EngineMlpStep {
  const { x: xs, labels } = mlpData(cfg);
  const classes = cfg.layers[cfg.layers.length - 1];
  const onehot = new Float32Array(cfg.batch * classes);
  labels.forEach((c, i) => (onehot[i * classes + c] = 1));
  const model = createMlp(rt, { sizes: cfg.layers, seed: 1, hiddenDropout: { keep: cfg.keep } });
  const opt = new SGD(model.arena, { lr: cfg.lr, alpha: cfg.l2 });
  const x = rt.tensor(xs, [cfg.batch, cfg.layers[0]]);
  const targets = rt.tensor(onehot, [cfg.batch, classes]);
  let stepIndex = 0;
  const step = (): void => {
    trainOnBatch(model, opt, x, targets, stepIndex++);
    rt.flush();
  };
  return {
    step,
    sync: () => rt.sync(),
    countWork: async (steps) => {
      await rt.sync();
      const w0 = rt.workStats();
      for (let i = 0; i < steps; i++) step();
      await rt.sync();
      const w1 = rt.workStats();
      return { dispatches: (w1.dispatches - w0.dispatches) / steps, submits: (w1.submits - w0.submits) / steps };
    },
    dispose: () => {
      opt.dispose();
      model.dispose();
      x.dispose();
      targets.dispose();
    },
  };
}
