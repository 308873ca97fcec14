/**
 * The remaining clear errors: a hyperparameter out of range in every public constructor and
 * factory (one table: optimizers and chain transforms, layers, regularizers, data, the training
 * loop), each an ArgumentError whose message names the option and the bad value; a tensor larger
 * than the device's limits, refused with the limit and the size before WebGPU sees it; and labels
 * out of range, on the host and already on the GPU.
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../engine/data/dataset';
import { MinibatchStream } from '../../engine/data/minibatches';
import { SeededRng } from '../../engine/data/rng';
import { GaussianNoise } from '../../engine/nn/activation';
import { BatchNorm } from '../../engine/nn/batchnorm';
import { Dropout } from '../../engine/nn/dropout';
import { Linear } from '../../engine/nn/linear';
import { createMlp } from '../../engine/nn/mlp';
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  coupledL2,
  customTransform,
  decoupledWeightDecay,
  l1Subgradient,
  momentum,
  proximalL1,
  sgd,
} from '../../engine/optim/chain';
import { Adam, AdamW, Momentum, ProximalL1, SGD } from '../../engine/optim/optimizers';
import { backward, constant, variable } from '../../engine/autograd/tape';
import { softmaxCrossEntropy as agSoftmaxCrossEntropy } from '../../engine/autograd/functional';
import { checkLabels, labelStatusTensor, labelTensor, releaseLabelStatus, softmaxCrossEntropy } from '../../engine/ops/softmax-xent';
import { ArgumentError, EngineError, LabelRangeError, TensorTooLargeError } from '../../engine/runtime/errors';
import { BufferPool } from '../../engine/runtime/pool';
import { evaluate, fit, nanGuard } from '../../engine/train/index';
import { augmentation } from '../../regularizers/augmentation';
import { bootstrap, bootstrapIndices, Ensemble } from '../../regularizers/bagging';
import { batchNorm } from '../../regularizers/batchnorm';
import { dropout } from '../../regularizers/dropout';
import { earlyStopping } from '../../regularizers/early-stopping';
import { fit as regFit } from '../../regularizers/fit';
import { hiddenNoise, inputNoise, weightNoise } from '../../regularizers/noise';
import { elasticNet, l1, l2, maxNorm } from '../../regularizers/penalties';
import { labelSmoothing } from '../../regularizers/smoothing';
import { useRuntime } from '../helpers/gpu';
import { randomArray, syntheticArgmax } from '../helpers/random';

/** f64 softmax cross-entropy of each row against its label, and ∂(mean loss)/∂logits. */
function xentReference(logits: ArrayLike<number>, labels: readonly number[], k: number): { rows: number[]; grad: number[] } {
  const rows: number[] = [];
  const grad: number[] = [];
  labels.forEach((l, r) => {
    const z = Array.from({ length: k }, (_, c) => logits[r * k + c]);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    rows.push(lse - z[l]);
    z.forEach((v, c) => grad.push((Math.exp(v - lse) - (c === l ? 1 : 0)) / labels.length));
  });
  return { rows, grad };
}

/** The error a promise rejects with (null if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

/** One bad hyperparameter: what to call, and what the message must say (the option and the value). */
interface BadCase {
  what: string;
  call: () => unknown;
  message: RegExp;
}

describe('clear errors', () => {
  const rt = useRuntime();

  // The GPU objects the table needs, made once.
  const fixtures = () => {
    const { x, y } = syntheticArgmax(40, 6, 3, 1);
    const data = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [6, 5, 3], seed: 1 });
    const opt = new SGD(model.arena, { lr: 0.1 });
    const dispose = (): void => {
      opt.dispose();
      model.dispose();
      data.dispose();
    };
    return { data, model, opt, arena: model.arena, dispose };
  };

  it('a hyperparameter out of range is refused by every public constructor, naming the option and the value', async () => {
    const f = fixtures();
    const { arena, model, data, opt } = f;
    const fitWith = (o: Record<string, unknown>) => fit(model, opt, data, undefined, { epochs: 1, batchSize: 8, seed: 1, ...o } as never);
    const regFitWith = (o: Record<string, unknown>) => regFit(model, { train: data }, { optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 8, ...o } as never);
    const cases: BadCase[] = [
      // Optimizers (engine/optim/optimizers.ts).
      { what: 'SGD lr < 0', call: () => new SGD(arena, { lr: -1 }), message: /lr must be in \[0, .*got -1/ },
      { what: 'SGD lr NaN', call: () => new SGD(arena, { lr: Number.NaN }), message: /lr .*got NaN/ },
      { what: 'SGD lr Infinity', call: () => new SGD(arena, { lr: Number.POSITIVE_INFINITY }), message: /lr .*got Infinity/ },
      { what: 'SGD alpha < 0', call: () => new SGD(arena, { lr: 0.1, alpha: -0.5 }), message: /l2 coefficient .* is -0\.5/ },
      { what: 'SGD vec4sPerInvocation 3', call: () => new SGD(arena, { lr: 0.1, vec4sPerInvocation: 3 }), message: /vec4sPerInvocation .*got 3/ },
      { what: 'optimizer lr set < 0', call: () => (opt.lr = -2), message: /lr .*got -2/ },
      { what: 'Momentum momentum 1', call: () => new Momentum(arena, { lr: 0.1, momentum: 1 }), message: /momentum must be in \[0, 1\), got 1/ },
      { what: 'Momentum momentum < 0', call: () => new Momentum(arena, { lr: 0.1, momentum: -0.1 }), message: /momentum .*got -0\.1/ },
      { what: 'Adam beta1 1', call: () => new Adam(arena, { lr: 0.1, beta1: 1 }), message: /beta1 .*got 1/ },
      { what: 'Adam beta2 < 0', call: () => new Adam(arena, { lr: 0.1, beta2: -0.5 }), message: /beta2 .*got -0\.5/ },
      { what: 'Adam eps 0', call: () => new Adam(arena, { lr: 0.1, eps: 0 }), message: /eps .*> 0, got 0/ },
      { what: 'AdamW eps NaN', call: () => new AdamW(arena, { lr: 0.1, eps: Number.NaN }), message: /eps .*got NaN/ },
      { what: 'ProximalL1 alpha < 0', call: () => new ProximalL1(arena, { lr: 0.1, alpha: -1 }), message: /l1 coefficient .* is -1/ },
      { what: 'ProximalL1 lr NaN', call: () => new ProximalL1(arena, { lr: Number.NaN, alpha: 0.1 }), message: /lr .*got NaN/ },
      // Chain transforms (engine/optim/chain.ts).
      { what: 'clipByGlobalNorm maxNorm 0', call: () => clipByGlobalNorm({ maxNorm: 0 }), message: /maxNorm .*got 0/ },
      { what: 'coupledL2 alpha < 0', call: () => coupledL2({ alpha: -1 }), message: /alpha.*-1/ },
      { what: 'l1Subgradient alpha NaN', call: () => l1Subgradient({ alpha: Number.NaN }), message: /alpha.*NaN/ },
      { what: 'decoupledWeightDecay alpha Infinity', call: () => decoupledWeightDecay({ alpha: Number.POSITIVE_INFINITY }), message: /alpha.*Infinity/ },
      { what: 'proximalL1 alpha < 0', call: () => proximalL1({ alpha: -0.25 }), message: /alpha.*-0\.25/ },
      { what: 'sgd lr < 0', call: () => sgd({ lr: -1 }), message: /lr.*-1/ },
      { what: 'momentum momentum 1.5', call: () => momentum({ lr: 0.1, momentum: 1.5 }), message: /momentum must be in \[0, 1\), got 1\.5/ },
      { what: 'adam beta1 1', call: () => adam({ lr: 0.1, beta1: 1 }), message: /beta1 .*got 1/ },
      { what: 'adam eps < 0', call: () => adam({ lr: 0.1, eps: -1e-8 }), message: /eps .*got -1e-8/ },
      { what: 'adamw alpha < 0', call: () => adamw({ lr: 0.1, alpha: -1 }), message: /alpha.*-1/ },
      {
        what: 'customTransform without a name',
        call: () => customTransform('', () => undefined),
        message: /customTransform: name must be a non-empty string, got ""/,
      },
      {
        what: 'customTransform apply not a function',
        call: () => customTransform('t', 3 as never),
        message: /customTransform t: apply must be a function, got number/,
      },
      { what: 'chain of two directions', call: () => chain(sgd({ lr: 0.1 }), adam({ lr: 0.1 })), message: /2 update directions/ },
      // Layers (engine/nn).
      { what: 'Linear inFeatures 0', call: () => new Linear('fc', 0, 3), message: /inFeatures must be a positive integer, got 0/ },
      { what: 'Linear outFeatures 2.5', call: () => new Linear('fc', 3, 2.5), message: /outFeatures must be a positive integer, got 2\.5/ },
      {
        what: 'Dropout p 1',
        call: () => new Dropout('d', { rate: 1 }, 0, 0),
        message: /Dropout d: the probability\.rate is the probability of dropping a unit and must be in \[0, 1\), got 1/,
      },
      {
        what: 'Dropout p < 0',
        call: () => new Dropout('d', { rate: -0.1 }, 0, 0),
        message: /Dropout d: the probability\.rate is the probability of dropping a unit .*got -0\.1/,
      },
      {
        what: 'Dropout bare number',
        call: () => new Dropout('d', 0.5 as never, 0, 0),
        message: /Dropout d: the probability is a bare number \(0\.5\); say which probability it is: \{ keep: 0\.5 \}/,
      },
      {
        what: 'Dropout keep and rate',
        call: () => new Dropout('d', { keep: 0.5, rate: 0.5 } as never, 0, 0),
        message: /Dropout d: the probability must have exactly one of keep and rate, got both/,
      },
      {
        what: 'createMlp bare hiddenDropout',
        call: () => createMlp(rt(), { sizes: [6, 4, 3], hiddenDropout: 0.5 as never }),
        message: /mlp: hiddenDropout is a bare number \(0\.5\)/,
      },
      {
        what: 'createMlp extra hiddenDropout',
        call: () => createMlp(rt(), { sizes: [6, 4, 3], hiddenDropout: [{ keep: 0.5 }, { keep: 0.5 }] }),
        message: /mlp: 2 hidden dropout probabilities for 1 hidden layer/,
      },
      { what: 'dropout bare input', call: () => dropout({ input: 0.8 as never }), message: /dropout: input is a bare number \(0\.8\)/ },
      { what: 'Dropout seed < 0', call: () => new Dropout('d', { rate: 0.5 }, -1, 0), message: /Dropout d: seed must be an integer in \[0, 2\^53\), got -1/ },
      { what: 'BatchNorm features 0', call: () => new BatchNorm('bn', 0), message: /features must be a positive integer, got 0/ },
      { what: 'BatchNorm momentum 0', call: () => new BatchNorm('bn', 4, { momentum: 0 }), message: /momentum must be in \(0, 1\], got 0/ },
      { what: 'BatchNorm momentum 1.5', call: () => new BatchNorm('bn', 4, { momentum: 1.5 }), message: /momentum .*got 1\.5/ },
      { what: 'BatchNorm eps 0', call: () => new BatchNorm('bn', 4, { eps: 0 }), message: /eps must be a finite number > 0, got 0/ },
      { what: 'GaussianNoise sigma < 0', call: () => new GaussianNoise('n', -1, 0, 0), message: /std must be a finite number ≥ 0, got -1/ },
      { what: 'GaussianNoise sigma NaN', call: () => new GaussianNoise('n', Number.NaN, 0, 0), message: /std .*got NaN/ },
      {
        what: 'GaussianNoise stream 1.5',
        call: () => new GaussianNoise('n', 0.1, 0, 1.5),
        message: /GaussianNoise n: stream must be an integer in \[0, 2\^32\), got 1\.5/,
      },
      { what: 'createMlp one size', call: () => createMlp(rt(), { sizes: [6] }), message: /at least an input and an output size, got \[6\]/ },
      { what: 'createMlp size 0', call: () => createMlp(rt(), { sizes: [6, 0, 3] }), message: /must be a positive integer, got 0/ },
      {
        what: 'createMlp hiddenDropout 1',
        call: () => createMlp(rt(), { sizes: [6, 4, 3], hiddenDropout: { rate: 1 } }),
        message: /mlp: hiddenDropout\.rate is the probability of dropping a unit .*got 1/,
      },
      // Regularizers (regularizers/).
      { what: 'l2 alpha < 0', call: () => l2({ alpha: -1 }), message: /alpha.*-1/ },
      { what: 'l1 alpha NaN', call: () => l1({ alpha: Number.NaN }), message: /alpha.*NaN/ },
      { what: 'elasticNet l1 < 0', call: () => elasticNet({ l1: -1, l2: 0.1 }), message: /alpha.*-1/ },
      { what: 'maxNorm c 0', call: () => maxNorm({ c: 0 }), message: /maxNorm: c must be a finite number > 0, got 0/ },
      {
        what: 'dropout input keep 0',
        call: () => dropout({ input: { keep: 0 } }),
        message: /dropout: input\.keep is the probability of keeping a unit .*got 0/,
      },
      {
        what: 'dropout hidden keep 1.5',
        call: () => dropout({ hidden: { keep: 1.5 } }),
        message: /dropout: hidden\.keep is the probability of keeping a unit .*got 1\.5/,
      },
      { what: 'inputNoise std < 0', call: () => inputNoise({ std: -1 }), message: /inputNoise: std .*got -1/ },
      {
        what: 'inputNoise seed NaN',
        call: () => inputNoise({ std: 0.1, seed: Number.NaN }),
        message: /inputNoise: seed must be an integer in \[0, 2\^53\), got NaN/,
      },
      { what: 'hiddenNoise std NaN', call: () => hiddenNoise({ std: Number.NaN }), message: /hiddenNoise: std .*got NaN/ },
      { what: 'weightNoise eta < 0', call: () => weightNoise({ eta: -0.1 }), message: /weightNoise: eta .*got -0\.1/ },
      { what: 'weightNoise seed -1', call: () => weightNoise({ eta: 0.1, seed: -1 }), message: /weightNoise: seed .*got -1/ },
      { what: 'labelSmoothing epsilon 1', call: () => labelSmoothing({ epsilon: 1 }), message: /epsilon must be in \[0, 1\), got 1/ },
      {
        what: 'labelSmoothing convention',
        call: () => labelSmoothing({ epsilon: 0.1, convention: 'flat' as never }),
        message: /labelSmoothing: convention must be 'book' or 'uniform', got flat/,
      },
      { what: 'augmentation maxShift < 0', call: () => augmentation({ maxShift: -1 }), message: /maxShift must be an integer ≥ 0, got -1/ },
      { what: 'augmentation maxRotation > π/4', call: () => augmentation({ maxRotation: 1 }), message: /maxRotation 1 rad exceeds π\/4/ },
      {
        what: 'augmentation scale reversed',
        call: () => augmentation({ scale: [1.1, 0.9] }),
        message: /augmentation: scale must be \[min, max\] with 0 < min ≤ max, got \[1\.1, 0\.9\]/,
      },
      { what: 'augmentation scale 0', call: () => augmentation({ scale: [0, 1] }), message: /augmentation: scale .*got \[0, 1\]/ },
      { what: 'augmentation noiseStd < 0', call: () => augmentation({ noiseStd: -1 }), message: /noiseStd .*got -1/ },
      { what: 'augmentation seed 1.5', call: () => augmentation({ seed: 1.5 }), message: /augmentation: seed must be an integer in \[0, 2\^53\), got 1\.5/ },
      { what: 'earlyStopping patience 0', call: () => earlyStopping({ patience: 0 }), message: /patience must be an integer ≥ 1, got 0/ },
      { what: 'earlyStopping minDelta < 0', call: () => earlyStopping({ patience: 2, minDelta: -1 }), message: /minDelta .*got -1/ },
      { what: 'earlyStopping evalEvery 0', call: () => earlyStopping({ patience: 2, evalEvery: 0 }), message: /evalEvery must be an integer ≥ 1, got 0/ },
      { what: 'batchNorm momentum 2', call: () => batchNorm({ momentum: 2 }), message: /momentum .*got 2/ },
      { what: 'bootstrap member < 0', call: () => bootstrap({ seed: 1, member: -1 }), message: /member must be an integer ≥ 0, got -1/ },
      {
        what: 'bootstrap seed NaN',
        call: () => bootstrap({ seed: Number.NaN, member: 0 }),
        message: /bootstrap: seed must be an integer in \[0, 2\^53\), got NaN/,
      },
      { what: 'bootstrapIndices n 0', call: () => bootstrapIndices(0, 1, 0), message: /n must be an integer ≥ 1, got 0/ },
      { what: 'Ensemble of none', call: () => new Ensemble([]), message: /at least one member, got 0/ },
      // Data (engine/data).
      { what: 'windows batch size 0', call: () => GpuDataset.windows(10, 0), message: /GpuDataset.windows: batch size must be a positive integer, got 0/ },
      { what: 'windows count -1', call: () => GpuDataset.windows(-1, 4), message: /GpuDataset.windows: count must be a non-negative integer, got -1/ },
      {
        what: 'MinibatchStream batch size 2.5',
        call: () => new MinibatchStream(data, 2.5, 1),
        message: /MinibatchStream: batch size must be a positive integer, got 2\.5/,
      },
      {
        what: 'MinibatchStream batch size > examples',
        call: () => new MinibatchStream(data, 41, 1),
        message: /MinibatchStream: batch size 41 exceeds the 40 examples/,
      },
      {
        what: 'MinibatchStream seed NaN',
        call: () => new MinibatchStream(data, 8, Number.NaN),
        message: /MinibatchStream: seed must be a finite number, got NaN/,
      },
      { what: 'SeededRng seed NaN', call: () => new SeededRng(Number.NaN), message: /SeededRng: seed must be a finite number, got NaN/ },
      {
        what: 'GpuDataset classes 0',
        call: () => GpuDataset.upload(rt(), new Float32Array(4), [0, 0], 0),
        message: /number of classes must be a positive integer, got 0/,
      },
      {
        what: 'GpuDataset classes NaN',
        call: () => GpuDataset.upload(rt(), new Float32Array(4), [0, 0], Number.NaN),
        message: /number of classes must be a positive integer, got NaN/,
      },
      // The training loop (engine/train) and regularizers' fit.
      { what: 'fit epochs < 0', call: () => fitWith({ epochs: -1 }), message: /epochs must be a non-negative integer, got -1/ },
      { what: 'fit batchSize 0', call: () => fitWith({ batchSize: 0 }), message: /batch size must be a positive integer, got 0/ },
      { what: 'fit syncEvery 0', call: () => fitWith({ syncEvery: 0 }), message: /syncEvery must be a positive integer, got 0/ },
      { what: 'fit evalEvery 1.5', call: () => fitWith({ evalEvery: 1.5 }), message: /evalEvery must be a positive integer, got 1\.5/ },
      { what: 'fit maxSteps < 0', call: () => fitWith({ maxSteps: -1 }), message: /maxSteps must be a non-negative integer, got -1/ },
      { what: 'fit startStep < 0', call: () => fitWith({ startStep: -3 }), message: /fit: startStep must be a non-negative integer, got -3/ },
      { what: 'fit seed NaN', call: () => fitWith({ seed: Number.NaN }), message: /fit: seed must be a finite number, got NaN/ },
      { what: 'evaluate batch size 0', call: () => evaluate(model, data, 0), message: /evaluate: batch size must be a positive integer, got 0/ },
      { what: 'nanGuard every 0', call: () => nanGuard({ every: 0 }), message: /every must be a positive integer .*got 0/ },
      { what: 'regularizers fit epochs NaN', call: () => regFitWith({ epochs: Number.NaN }), message: /epochs must be a non-negative integer, got NaN/ },
      { what: 'regularizers fit batchSize 0', call: () => regFitWith({ batchSize: 0 }), message: /batch size must be a positive integer, got 0/ },
    ];
    const before = rt().memoryStats();
    const failures: string[] = [];
    for (const c of cases) {
      let err: unknown = null;
      try {
        await c.call();
      } catch (e) {
        err = e;
      }
      if (!(err instanceof EngineError)) failures.push(`${c.what}: no engine error (${err === null ? 'nothing thrown' : String(err)})`);
      else if (!(err instanceof ArgumentError)) failures.push(`${c.what}: ${err.name}, not an ArgumentError: ${err.message}`);
      else if (!c.message.test(err.message)) failures.push(`${c.what}: message "${err.message}" does not match ${c.message}`);
    }
    expect(failures).toEqual([]);
    // A refused constructor leaves nothing behind on the GPU.
    await rt().sync();
    expect(rt().memoryStats().liveTensors).toBe(before.liveTensors);
    expect(opt.lr).toBe(0.1);
    f.dispose();
  });

  it('a tensor over the device limits is refused with the limit and the size, before WebGPU', async () => {
    const { maxStorageBufferBindingSize: bind, maxBufferSize: max } = rt().device.limits;
    // A tensor must fit one storage binding and one buffer: the tighter limit is the one named.
    const [limitName, limit] = bind <= max ? (['maxStorageBufferBindingSize', bind] as const) : (['maxBufferSize', max] as const);
    const before = rt().memoryStats();
    const n = Math.floor(limit / 4) + 1;
    let err: unknown = null;
    try {
      rt().empty([n]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TensorTooLargeError);
    const e = err as TensorTooLargeError;
    expect([e.code, e.limitName, e.limit, e.requested]).toEqual(['TOO_LARGE', limitName, limit, n * 4]);
    expect(e.message).toBe(`tensor [${n}] f32 (${n} elements) needs ${n * 4} bytes, more than the device's ${limitName} of ${limit} bytes`);
    // A 2-D shape, and rt.tensor() with data, are refused the same way (nothing uploaded).
    expect(() => rt().empty([2, n], 'u32')).toThrow(new RegExp(`tensor \\[2, ${n}\\] u32 .* ${limitName}`));
    expect(() => rt().tensor({ length: n } as ArrayLike<number>, [n])).toThrow(TensorTooLargeError);
    // Nothing reached the device: no validation error is pending, nothing leaked.
    await expect(rt().sync()).resolves.toBeUndefined();
    expect(rt().memoryStats().liveTensors).toBe(before.liveTensors);
    expect(rt().memoryStats().liveBytes).toBe(before.liveBytes);
  });

  it('the pool checks both limits exactly, and never asks for a bucket beyond maxBufferSize', () => {
    // A stand-in device with small limits: what the pool asks WebGPU for is recorded, not made.
    const asked: number[] = [];
    const device = {
      limits: { maxBufferSize: 1000, maxStorageBufferBindingSize: 600 },
      createBuffer: (d: GPUBufferDescriptor) => {
        asked.push(d.size);
        return { destroy: () => undefined };
      },
    } as unknown as GPUDevice;
    const storage = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'tensor');
    storage.acquire(600);
    expect(() => storage.acquire(601, 'tensor [601]')).toThrow("tensor [601] needs 601 bytes, more than the device's maxStorageBufferBindingSize of 600 bytes");
    const staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging');
    staging.acquire(1000);
    expect(() => staging.acquire(1004, 'a readback')).toThrow(TensorTooLargeError);
    expect(() => staging.acquire(1004, 'a readback')).toThrow("a readback needs 1004 bytes, more than the device's maxBufferSize of 1000 bytes");
    // 600 bytes fall in the 1,024-byte bucket, capped to the 1,000 the device allows.
    expect(asked).toEqual([1000, 1000]);
    expect(storage.stats().createdBuffers + staging.stats().createdBuffers).toBe(2);
  });

  it('host labels out of range are refused on the host, naming the label, its position and the range', () => {
    expect(() => GpuDataset.upload(rt(), new Float32Array(12), [0, 1, 3], 3)).toThrow(/GpuDataset.upload: label 3 at position 2 \(of 3\) is outside \[0, 3\)/);
    expect(() => GpuDataset.upload(rt(), new Float32Array(12), [0, -1, 2], 3)).toThrow(/label -1 at position 1 .*outside \[0, 3\)/);
    expect(() => labelTensor(rt(), [0, 1.5], 3)).toThrow(/labelTensor: label 1\.5 at position 1 .*outside \[0, 3\)/);
    const ok = labelTensor(rt(), [2, 0, 1], 3);
    expect(ok.dtype).toBe('u32');
    ok.dispose();
  });

  it('labels on the GPU: the right loss and gradient in range; out of range, an error at the next readback', async () => {
    const k = 5;
    const rows = 7;
    const z = randomArray(rows * k, 11, -3, 3);
    const good = [4, 0, 2, 2, 1, 3, 0];
    const logits = rt().tensor(z, [rows, k]);
    // In range (u32 and i32): the loss of every row and the gradient match an f64 reference.
    const ref = xentReference(z, good, k);
    for (const dtype of ['u32', 'i32'] as const) {
      const labels = rt().tensor(good, [rows], dtype);
      const perRow = softmaxCrossEntropy(logits, labels, 'none');
      const got = await perRow.toArray();
      ref.rows.forEach((want, r) => expect(Math.abs(got[r] - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want)));
      const x = variable(logits);
      const loss = agSoftmaxCrossEntropy(x, constant(labels));
      backward(loss);
      const g = await x.grad!.toArray();
      ref.grad.forEach((want, i) => expect(Math.abs(g[i] - want)).toBeLessThanOrEqual(1e-6));
      loss.dispose();
      x.grad!.dispose();
      perRow.dispose();
      labels.dispose();
    }
    // Out of range, u32: a raw upload is not checked on the host; the GPU check finds it.
    const badLabels = rt().tensor([0, 1, 7, 3, 9, 0, 1], [rows], 'u32');
    const loss = softmaxCrossEntropy(logits, badLabels);
    // Reading the loss reports the first bad row, its label and the range.
    const err = await rejection(loss.toArray());
    expect(err).toBeInstanceOf(LabelRangeError);
    expect({ row: (err as LabelRangeError).row, label: (err as LabelRangeError).label, classes: (err as LabelRangeError).classes }).toEqual({
      row: 2,
      label: 7,
      classes: 5,
    });
    expect((err as Error).message).toMatch(/label 7 at row 2 is outside \[0, 5\)/);
    // Reported once: the status was cleared, the runtime goes on.
    await expect(loss.toArray()).resolves.toBeInstanceOf(Float32Array);
    // i32: a negative label; found by an explicit check too.
    const neg = rt().tensor([0, 1, 2, -3, 4, 0, 1], [rows], 'i32');
    softmaxCrossEntropy(logits, neg, 'sum').dispose();
    const err2 = await rejection(checkLabels(rt()));
    expect(err2).toBeInstanceOf(LabelRangeError);
    expect([(err2 as LabelRangeError).row, (err2 as LabelRangeError).label]).toEqual([3, -3]);
    // The first finding is kept until read: a later bad call does not overwrite it.
    softmaxCrossEntropy(logits, badLabels).dispose();
    softmaxCrossEntropy(logits, neg).dispose();
    expect(((await rejection(checkLabels(rt()))) as LabelRangeError).label).toBe(7);
    await expect(checkLabels(rt())).resolves.toBeUndefined();
    // Shapes that are not [rows] are refused at once.
    const short = rt().tensor([0, 1], [2], 'u32');
    expect(() => softmaxCrossEntropy(logits, short)).toThrow(/integer labels \[2\] u32 must be \[rows\] = \[7\]/);
    // The status buffer is one tensor per runtime, kept until released.
    expect(labelStatusTensor(rt())).not.toBeNull();
    const liveBefore = rt().memoryStats().liveTensors;
    releaseLabelStatus(rt());
    expect(rt().memoryStats().liveTensors).toBe(liveBefore - 1);
    for (const t of [loss, badLabels, neg, short, logits]) t.dispose();
  });

  it("labels on the GPU out of range stop training at the NaN guard's cadence", async () => {
    const f = fixtures();
    const guard = nanGuard({ every: 1 });
    const logits = rt().tensor(new Float32Array(6), [2, 3]);
    const labels = rt().tensor([1, 3], [2], 'u32');
    softmaxCrossEntropy(logits, labels).dispose();
    const ctx = { step: 0, epoch: 1, model: f.model };
    let err: unknown = null;
    for (let s = 0; s < 50 && err === null; s++) {
      try {
        guard.afterUpdate!({ ...ctx, step: s });
      } catch (e) {
        err = e;
      }
      await rt().sync();
    }
    expect(err).toBeInstanceOf(LabelRangeError);
    expect((err as LabelRangeError).label).toBe(3);
    logits.dispose();
    labels.dispose();
    f.dispose();
  });
});
