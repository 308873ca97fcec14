/**
 * The training step the page takes apart: an MLP with inverted dropout on both hidden layers, L2 on
 * the weights and SGD, one minibatch, exactly as the engine's training loop runs it (`trainOnBatch`:
 * zero the gradients, forward keyed by the step, softmax cross-entropy, backward, one fused update),
 * one submit per step. Next to it, the same step with each fusion undone, through the public API
 * only, so that what fusion buys can be measured rather than claimed:
 *   - dropout with its mask materialized: the mask drawn into a tensor (kernel on a tensor of
 *     ones), then multiplied in the forward pass and again in the backward pass;
 *   - the L2 penalty as its own kernels (g ← g + α·w per weight: scale, add, copy) before a plain update;
 *   - the update one dispatch per parameter tensor (`stepPerTensor`) instead of one over the arena.
 */
import {
  add,
  ag,
  chain,
  coupledL2,
  createMlp,
  customTransform,
  mul,
  scale,
  SeededRng,
  sgd,
  SGD,
  tidy,
  trainOnBatch,
  type ChainOptimizer,
  type ParamArena,
  type Runtime,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';

/** Sizes and coefficients of the step. */
export interface StepConfig {
  layers: number[];
  batch: number;
  /** Keep probability of the hidden units. */
  keep: number;
  l2: number;
  lr: number;
}

/** The bench's MLP step (bench/suites/mlp.ts) on a real GPU; a smaller one on a software adapter. */
export function stepConfig(rt: Runtime): StepConfig {
  return rt.info.isFallbackAdapter
    ? { layers: [784, 256, 256, 10], batch: 64, keep: 0.5, l2: 1e-4, lr: 0.01 }
    : { layers: [784, 512, 512, 10], batch: 128, keep: 0.5, l2: 1e-4, lr: 0.01 };
}

/** Deterministic values in [0, 1) (timing data only; the kernels' times do not depend on them). */
function uniform(n: number, seed: number): Float32Array {
  const rng = new SeededRng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform());
}

/** The step and its unfused twins, on one model. */
export interface MlpStep {
  readonly config: StepConfig;
  readonly model: Sequential;
  /** The engine's step: fused dropout, L2 inside the one-dispatch SGD update. */
  step(): void;
  /** The same step with every fusion undone (see the file's comment). */
  stepUnfused(): void;
  /** Fused update: SGD with L2, one dispatch over the arena. */
  updateFused(): void;
  /** The same update, one dispatch per parameter tensor. */
  updatePerTensor(): void;
  /** L2 inside the chain's one update dispatch. */
  l2Chained(): void;
  /** L2 as separate kernels per weight, then the chain's update without it. */
  l2Separate(): void;
  /** Dropout of one hidden layer's activations, forward: one fused dispatch. */
  dropoutFused(): void;
  /** The same with the mask materialized: draw the mask, multiply, scale. */
  dropoutMaterialized(): void;
  /** Elements of one hidden layer's activations. */
  readonly hiddenElements: number;
  /**
   * Puts the initial weights back (one copy). Timing loops and replays run updates hundreds of
   * times on the same gradients; weights driven far from their start could reach denormal or
   * infinite values, which slow a CPU-based adapter down and would skew the next measurement.
   */
  reset(): void;
  dispose(): void;
}

/** g ← g + α·w for every weight, as a framework without fusion would: scale, add, copy back. */
function separateL2(arena: ParamArena, alpha: number): void {
  for (const p of arena.params) {
    if (p.role !== 'weight') continue;
    const aw = scale(p.value, alpha);
    const sum = add(p.grad, aw);
    arena.rt.copy(sum, p.grad);
    aw.dispose();
    sum.dispose();
  }
}

/** Builds the model, its optimizers and one minibatch on `rt`. */
export function buildStep(rt: Runtime, config: StepConfig): MlpStep {
  const { layers, batch, keep, l2, lr } = config;
  const classes = layers[layers.length - 1];
  const hidden = layers[1];
  const model = createMlp(rt, { sizes: layers, seed: 1, hiddenDropout: { keep: keep } });
  const arena = model.arena;
  const fused = new SGD(arena, { lr, alpha: l2 });
  const plain = new SGD(arena, { lr, alpha: 0 });
  const chained: ChainOptimizer = chain(coupledL2({ alpha: l2 }), sgd({ lr })).init(arena);
  const separate: ChainOptimizer = chain(
    customTransform('separate L2', (a) => separateL2(a, l2)),
    sgd({ lr }),
  ).init(arena);
  const labels = uniform(batch, 7).map((v) => Math.floor(v * classes));
  const onehot = new Float32Array(batch * classes);
  labels.forEach((c, i) => (onehot[i * classes + c] = 1));
  const x = rt.tensor(uniform(batch * layers[0], 3), [batch, layers[0]]);
  const targets = rt.tensor(onehot, [batch, classes]);
  const ones = rt.tensor(new Float32Array(batch * hidden).fill(1), [batch, hidden]);
  const act = rt.tensor(uniform(batch * hidden, 5), [batch, hidden]);
  const hiddenLayers = layers.length - 2;
  const initial = arena.snapshot();
  let stepIndex = 0;
  let dropOffset = 0;

  /** A 0/1 mask drawn into a tensor: the fused kernel applied to ones, unscaled. */
  const drawMask = (stream: number, offset: number): Tensor => ag.dropout(ag.constant(ones), { keepProb: keep, seed: 1, stream, offset, scale: 'none' }).data;

  return {
    config,
    model,
    hiddenElements: batch * hidden,
    step: () => {
      trainOnBatch(model, fused, x, targets, stepIndex++);
      rt.flush();
    },
    stepUnfused: () => {
      const s = stepIndex++;
      tidy(() => {
        model.zeroGrads();
        const masks = new Map<string, Tensor>();
        for (let i = 1; i <= hiddenLayers; i++) masks.set(`drop${i}`, drawMask(i, s));
        const logits = model.forward(ag.constant(x), { training: true, step: s, masks });
        const loss = ag.softmaxCrossEntropy(logits, targets);
        ag.backward(loss);
        loss.dispose();
        separateL2(arena, l2);
        plain.stepPerTensor();
      });
      rt.flush();
    },
    updateFused: () => fused.step(),
    updatePerTensor: () => fused.stepPerTensor(),
    l2Chained: () => chained.step(),
    l2Separate: () => separate.step(),
    dropoutFused: () => {
      tidy(() => {
        ag.noGrad(() => ag.dropout(ag.constant(act), { keepProb: keep, seed: 1, stream: 1, offset: dropOffset++ }));
      });
    },
    dropoutMaterialized: () => {
      const mask = tidy(() => drawMask(1, dropOffset++));
      const kept = mul(act, mask);
      scale(kept, 1 / keep).dispose();
      kept.dispose();
      mask.dispose();
    },
    reset: () => arena.restore(initial),
    dispose: () => {
      for (const o of [fused, plain, chained, separate]) o.dispose();
      for (const t of [x, targets, ones, act, initial]) t.dispose();
      model.dispose();
    },
  };
}
