/**
 * Bad input to the regularizers gets a clear error that names the option and the bad value
 * (regularizers/check.ts and the engine's coefficient checks): keep probabilities outside (0, 1],
 * negative α for every penalty (regularizer factories, per-layer tables, functions, the chain's own
 * transformations, and α changed later), patience < 1, k < 1 and Monte-Carlo samples < 1, unknown
 * layer names (caught when `fit` binds the penalty to the model), label smoothing ε outside [0, 1),
 * max-norm c ≤ 0, rotations beyond π/4 without `allowLargeRotations`, and negative noise levels.
 * A `fit` that fails while binding leaves no GPU memory behind (the runtime's live counters).
 */
import { describe, expect, it } from 'vitest';
import { coupledL2, decoupledWeightDecay, GpuDataset, l1Subgradient, proximalL1, sgd, type Runtime } from '../../engine/index';
import {
  augmentation,
  bagging,
  Ensemble,
  dropout,
  earlyStopping,
  elasticNet,
  ensemble,
  fit,
  hiddenNoise,
  inputNoise,
  l1,
  l2,
  labelSmoothing,
  maxNorm,
  mlp,
  predictMonteCarlo,
  weightNoise,
  type Regularizer,
} from '../../regularizers/index';
import { randomArray, useRuntime } from '../helpers/gpu';

function tinyData(rt: Runtime): GpuDataset {
  return GpuDataset.upload(
    rt,
    randomArray(32 * 4, 1),
    Uint32Array.from({ length: 32 }, (_, i) => i % 3),
    3,
  );
}

describe('regularizer argument errors', () => {
  const rt = useRuntime();

  it('dropout: a keep probability outside (0, 1] is refused, naming which and the value', () => {
    expect(() => dropout({ input: { keep: 0 } })).toThrow(/dropout: input\.keep is the probability of keeping a unit and must be in \(0, 1\], got 0/);
    expect(() => dropout({ input: { keep: 1.5 } })).toThrow(/input\.keep .* got 1\.5/);
    expect(() => dropout({ input: { keep: Number.NaN } })).toThrow(/input\.keep .* got NaN/);
    expect(() => dropout({ hidden: { keep: -0.2 } })).toThrow(/dropout: hidden\.keep is the probability of keeping a unit .* got -0\.2/);
    expect(() => dropout({ hidden: [{ keep: 0.5 }, { keep: 0 }] })).toThrow(/dropout: hidden\[1\]\.keep is the probability of keeping a unit .* got 0/);
    expect(() => dropout({ rule: 'scaled' as never })).toThrow(/rule must be 'inverted' or 'weight-scaling', got scaled/);
    // Keep probability 1 is allowed (no dropout there).
    expect(() => dropout({ input: { keep: 1 }, hidden: { keep: 1 } })).not.toThrow();
    // Too few, or too many, per-layer probabilities for the model: named when the model is built.
    expect(() => mlp(rt(), { sizes: [4, 5, 5, 3], regularizers: [dropout({ hidden: [{ keep: 0.5 }] })] })).toThrow(
      /dropout: 1 hidden keep probabilities, but the model has 2 hidden layer\(s\); give one for all, or one per hidden layer/,
    );
    expect(() => mlp(rt(), { sizes: [4, 5, 3], regularizers: [dropout({ hidden: [{ keep: 0.5 }, { rate: 0.5 }] })] })).toThrow(
      /dropout: 2 hidden keep probabilities, but the model has 1 hidden layer\(s\)/,
    );
    // A bare number is refused: it could mean either probability.
    expect(() => dropout({ hidden: 0.5 as never })).toThrow(/dropout: hidden is a bare number \(0\.5\); say which probability it is/);
  });

  it('penalties: α < 0 is refused for l2, l1, elasticNet and the chain\u2019s transformations, also per layer and when changed later', () => {
    expect(() => l2({ alpha: -1 })).toThrow(/alpha must be a finite number ≥ 0, got -1/);
    expect(() => l2({ alpha: -0.5, mode: 'decoupled' })).toThrow(/decoupledWeightDecay: alpha must be a finite number ≥ 0, got -0\.5/);
    expect(() => l1({ alpha: -2 })).toThrow(/proximalL1: alpha must be a finite number ≥ 0, got -2/);
    expect(() => l1({ alpha: -2, method: 'subgradient' })).toThrow(/l1Subgradient: alpha must be a finite number ≥ 0, got -2/);
    expect(() => elasticNet({ l1: -0.1, l2: 0.1 })).toThrow(/proximalL1: alpha must be a finite number ≥ 0, got -0\.1/);
    expect(() => elasticNet({ l1: 0.1, l2: -0.3 })).toThrow(/coupledL2: alpha must be a finite number ≥ 0, got -0\.3/);
    expect(() => l2({ alpha: { byLayer: { fc1: -4 } } })).toThrow(/alpha of layer fc1 must be a finite number ≥ 0, got -4/);
    expect(() => l2({ alpha: Number.POSITIVE_INFINITY })).toThrow(/got Infinity/);
    for (const [name, make] of [
      ['coupledL2', coupledL2],
      ['decoupledWeightDecay', decoupledWeightDecay],
      ['proximalL1', proximalL1],
      ['l1Subgradient', l1Subgradient],
    ] as const) {
      expect(() => make({ alpha: -1e-3 }), name).toThrow(new RegExp(`${name}: alpha must be a finite number ≥ 0, got -0\\.001`));
    }
    const reg = l2({ alpha: 0.1 });
    expect(() => {
      reg.alpha = -1;
    }).toThrow(/got -1/);
    expect(reg.alpha).toBe(0.1);
    expect(() => l2({ alpha: 0 })).not.toThrow();
  });

  it('early stopping: patience < 1 (or not an integer) is refused', () => {
    expect(() => earlyStopping({ patience: 0 })).toThrow(/earlyStopping: patience must be an integer ≥ 1, got 0/);
    expect(() => earlyStopping({ patience: -3 })).toThrow(/patience must be an integer ≥ 1, got -3/);
    expect(() => earlyStopping({ patience: 2.5 })).toThrow(/patience must be an integer ≥ 1, got 2\.5/);
    expect(() => earlyStopping({ patience: 2, evalEvery: 0 })).toThrow(/evalEvery must be an integer ≥ 1, got 0/);
    expect(() => earlyStopping({ patience: 2, minDelta: -1 })).toThrow(/minDelta must be a finite number ≥ 0, got -1/);
  });

  it('bagging and ensembles: k < 1 is refused; Monte-Carlo dropout: samples < 1 is refused', async () => {
    const data = tinyData(rt());
    const base = { makeModel: () => mlp(rt(), { sizes: [4, 3] }), optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 8 };
    const before = rt().memoryStats();
    await expect(bagging({ train: data }, { ...base, k: 0 })).rejects.toThrow(/bagging: k must be an integer ≥ 1, got 0/);
    await expect(ensemble({ train: data }, { ...base, k: -2 })).rejects.toThrow(/ensemble: k must be an integer ≥ 1, got -2/);
    await expect(bagging({ train: data }, { ...base, k: 1.5 })).rejects.toThrow(/k must be an integer ≥ 1, got 1\.5/);
    // Refused before any member was built: nothing allocated.
    expect(rt().memoryStats().liveTensors).toBe(before.liveTensors);
    // A member whose fit fails: every member built so far is freed.
    await expect(bagging({ train: data }, { ...base, k: 2, regularizers: [l2({ alpha: { byLayer: { fc9: 1 } } })] })).rejects.toThrow(/unknown layer "fc9"/);
    expect(rt().memoryStats().liveTensors).toBe(before.liveTensors);
    expect(() => new Ensemble([])).toThrow(/Ensemble: needs at least one member, got 0/);
    const model = mlp(rt(), { sizes: [4, 5, 3], regularizers: [dropout({ hidden: { keep: 0.5 } })] });
    await expect(predictMonteCarlo(model, data.images, 0)).rejects.toThrow(/predictMonteCarlo: samples must be an integer ≥ 1, got 0/);
    await expect(predictMonteCarlo(model, data.images, 2.5)).rejects.toThrow(/samples must be an integer ≥ 1, got 2\.5/);
    model.dispose();
    data.dispose();
  });

  it('an unknown layer name is refused when fit binds the penalty to the model, and the failed fit leaks nothing', async () => {
    const data = tinyData(rt());
    const start = rt().memoryStats();
    const cases: [Regularizer, RegExp][] = [
      [l2({ alpha: { byLayer: { fc9: 0.1 } } }), /coupledL2: unknown layer "fc9" \(layers with parameters: fc1, fc2\)/],
      [l2({ alpha: 0.1, exclude: { layer: 'nope' } }), /coupledL2: unknown layer "nope"/],
      [l1({ alpha: 0.1, include: { layer: ['fc1', 'conv3'] } }), /proximalL1: unknown layer "conv3"/],
      [maxNorm({ c: 1, exclude: { layer: 'nope' } }), /maxNorm: unknown layer "nope"/],
      [weightNoise({ eta: 0.01, include: { layer: 'fc7' } }), /weightNoise: unknown layer "fc7"/],
      [l2({ alpha: () => -1 }), /alpha of fc1\.weight must be a finite number ≥ 0, got -1/],
    ];
    for (const [reg, message] of cases) {
      const model = mlp(rt(), { sizes: [4, 5, 3], seed: 1 });
      await expect(fit(model, { train: data }, { optimizer: sgd({ lr: 0.1 }), regularizers: [reg], epochs: 1, batchSize: 8 }), reg.name).rejects.toThrow(
        message,
      );
      model.dispose();
    }
    const end = rt().memoryStats();
    expect(end.liveTensors).toBe(start.liveTensors);
    expect(end.liveBuffers).toBe(start.liveBuffers);
    data.dispose();
  });

  it('label smoothing ε outside [0, 1), max-norm c ≤ 0, and rotations beyond π/4 are refused', () => {
    expect(() => labelSmoothing({ epsilon: 1 })).toThrow(/labelSmoothing: epsilon must be in \[0, 1\), got 1/);
    expect(() => labelSmoothing({ epsilon: -0.1 })).toThrow(/epsilon must be in \[0, 1\), got -0\.1/);
    expect(() => labelSmoothing({ epsilon: Number.NaN })).toThrow(/got NaN/);
    expect(() => labelSmoothing({ epsilon: 0 })).not.toThrow();
    expect(() => maxNorm({ c: 0 })).toThrow(/maxNorm: c must be a finite number > 0, got 0/);
    expect(() => maxNorm({ c: -2 })).toThrow(/c must be a finite number > 0, got -2/);
    const mn = maxNorm({ c: 3 });
    expect(() => {
      mn.c = 0;
    }).toThrow(/c must be a finite number > 0, got 0/);
    expect(mn.c).toBe(3);
    expect(() => augmentation({ maxRotation: 1 })).toThrow(/augmentation: maxRotation 1 rad exceeds π\/4/);
    expect(() => augmentation({ maxRotation: Math.PI / 4 + 1e-9 })).toThrow(/exceeds π\/4.*allowLargeRotations/);
    expect(() => augmentation({ maxRotation: 1, allowLargeRotations: true })).not.toThrow();
    expect(() => augmentation({ maxRotation: Math.PI / 4 })).not.toThrow();
    expect(() => augmentation({ maxRotation: -0.1 })).toThrow(/maxRotation must be a finite number ≥ 0, got -0\.1/);
  });

  it('noise: a negative standard deviation or η is refused', () => {
    expect(() => inputNoise({ std: -0.1 })).toThrow(/inputNoise: std must be a finite number ≥ 0, got -0\.1/);
    expect(() => hiddenNoise({ std: -1 })).toThrow(/hiddenNoise: std must be a finite number ≥ 0, got -1/);
    expect(() => weightNoise({ eta: -1e-3 })).toThrow(/weightNoise: eta must be a finite number ≥ 0, got -0\.001/);
  });
});
