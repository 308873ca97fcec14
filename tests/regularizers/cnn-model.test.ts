/**
 * The regularizers' convolutional network (regularizers/model.ts `cnn`), the model of
 * `npm run experiment -- --model=cnn`:
 *
 * - each regularizer's layers land at the documented sites: input dropout before conv1; batch norm
 *   between each convolution and its ReLU, as BatchNorm2d (per channel) on feature maps and as
 *   BatchNorm on the dense layer; dropout and hidden noise after each pooling and after the dense
 *   ReLU; without layers to insert, the ReLUs stay fused into conv1, conv2 and fc3;
 * - max-norm bounds every output channel's filter (a column of the [kh·kw·in, out] view of the
 *   filter bank, checked on the CPU from the filters' own layout), having had to act;
 * - a bagged ensemble of CNNs evaluates in windows of rows (a convolution's im2col grows with the
 *   rows: 3,000 digits at once exceed a storage binding), with the same result as in one window;
 * - every configuration of the CNN experiment (bench/experiment/configs.ts, bagging aside: it is
 *   not a regularizer) trains through `fit` with the regularizers given once, finite losses, and
 *   ends with a validation loss below the untrained network's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm, BatchNorm2d, evaluate, GpuDataset, loadMnist, MNIST_CLASSES, momentum } from '../../engine/index';
import { bagging, batchNorm, cnn, dropout, fit, hiddenNoise, maxNorm } from '../../regularizers/index';
import { CNN_CONFIGS } from '../../bench/experiment/configs';
import { useRuntime } from '../helpers/gpu';

const SMALL = { channels: [4, 8] as [number, number], dense: 16 };

describe('regularizers: cnn()', () => {
  const rt = useRuntime();
  let train: GpuDataset;
  let val: GpuDataset;

  beforeAll(async () => {
    const split = await loadMnist({ train: 256, val: 128, test: 0, seed: 1 });
    train = GpuDataset.upload(rt(), split.train.images, split.train.labels, MNIST_CLASSES);
    val = GpuDataset.upload(rt(), split.val.images, split.val.labels, MNIST_CLASSES);
  });
  afterAll(() => {
    train?.dispose();
    val?.dispose();
  });

  it('puts each regularizer’s layers at its sites, and fuses the ReLUs where nothing is inserted', () => {
    const plain = cnn(rt(), { ...SMALL });
    expect(plain.layers.map((l) => l.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc3', 'out']);
    plain.dispose();

    const model = cnn(rt(), {
      ...SMALL,
      regularizers: [dropout({ input: { keep: 0.9 }, hidden: [{ keep: 0.75 }, { keep: 0.75 }, { keep: 0.5 }] }), batchNorm(), hiddenNoise({ std: 0.1 })],
    });
    expect(model.layers.map((l) => l.name)).toEqual([
      'drop0',
      'conv1',
      'bn1',
      'relu1',
      'pool1',
      'drop1',
      'noise1',
      'conv2',
      'bn2',
      'relu2',
      'pool2',
      'drop2',
      'noise2',
      'flatten',
      'fc3',
      'bn3',
      'relu3',
      'drop3',
      'noise3',
      'out',
    ]);
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    expect(byName.get('bn1')).toBeInstanceOf(BatchNorm2d);
    expect((byName.get('bn1') as BatchNorm2d).features).toBe(4);
    expect((byName.get('bn2') as BatchNorm2d).features).toBe(8);
    expect(byName.get('bn3')).not.toBeInstanceOf(BatchNorm2d);
    expect(byName.get('bn3')).toBeInstanceOf(BatchNorm);
    expect((byName.get('bn3') as BatchNorm).features).toBe(16);
    model.dispose();
  });

  it('refuses bad sizes and a per-layer dropout list of the wrong length, naming them', () => {
    expect(() => cnn(rt(), { channels: [0, 8] })).toThrow(/channels\[0\].*got 0/);
    expect(() => cnn(rt(), { dense: 2.5 })).toThrow(/dense.*2\.5/);
    expect(() => cnn(rt(), { ...SMALL, regularizers: [dropout({ hidden: [{ keep: 0.5 }, { keep: 0.5 }] })] })).toThrow(
      /2 hidden keep probabilities.*3 hidden layer/,
    );
  });

  it('max-norm bounds every output channel’s filter of both convolutions', async () => {
    const c = 0.3;
    const filterNorms = async (model: ReturnType<typeof cnn>): Promise<Map<string, number[]>> => {
      const values = await model.arena.values.toArray();
      const out = new Map<string, number[]>();
      for (const p of model.arena.params) {
        if (p.role !== 'weight' || p.shape.length !== 4) continue;
        const [kh, kw, cin, cout] = p.shape;
        const norms: number[] = [];
        for (let o = 0; o < cout; o++) {
          let s = 0;
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) for (let ch = 0; ch < cin; ch++) s += values[p.offset + ((i * kw + j) * cin + ch) * cout + o] ** 2;
          norms.push(Math.sqrt(s));
        }
        out.set(p.name, norms);
      }
      return out;
    };
    const regs = [maxNorm({ c })];
    const model = cnn(rt(), { ...SMALL, seed: 3, regularizers: regs });
    const before = await filterNorms(model);
    expect([...before.keys()]).toEqual(['conv1.weight', 'conv2.weight']);
    for (const [name, norms] of before) expect(Math.max(...norms), `${name} starts above c`).toBeGreaterThan(c);
    const report = await fit(model, { train }, { optimizer: momentum({ lr: 0.02, momentum: 0.9 }), epochs: 1, batchSize: 32, seed: 1 });
    report.optimizer.dispose();
    for (const [name, norms] of await filterNorms(model)) for (const n of norms) expect(n, name).toBeLessThanOrEqual(c * (1 + 1e-5));
    model.dispose();
  });

  it('a bagged ensemble of CNNs evaluates in windows with the result of one window', async () => {
    const { ensemble } = await bagging(
      { train },
      { k: 2, makeModel: (i) => cnn(rt(), { ...SMALL, seed: 10 + i }), optimizer: momentum({ lr: 0.02, momentum: 0.9 }), epochs: 1, batchSize: 32, seed: 1 },
    );
    const whole = await ensemble.evaluate(val, 1000);
    const windows = await ensemble.evaluate(val, 50);
    expect(windows.count).toBe(128);
    expect(windows.accuracy).toBe(whole.accuracy);
    // The same rows' probabilities, possibly through another matmul blocking: f32 rounding only.
    expect(Math.abs(windows.nll - whole.nll)).toBeLessThanOrEqual(1e-5 * whole.nll);
    expect(whole.accuracy).toBeGreaterThan(0.1);
    ensemble.dispose();
  });

  for (const config of CNN_CONFIGS.filter((k) => !k.bagging)) {
    it(`${config.name}: trains through fit, finite losses, validation loss below the untrained network's`, async () => {
      const regs = config.regularizers();
      const model = cnn(rt(), { ...SMALL, seed: 1, regularizers: regs });
      const initial = await evaluate(model, val, 1000);
      const report = await fit(
        model,
        { train, val: config.usesValidation ? val : undefined },
        { optimizer: momentum({ lr: 0.02, momentum: 0.9 }), epochs: 3, batchSize: 32, seed: 1 },
      );
      report.optimizer.dispose();
      for (const e of report.epochs) expect(Number.isFinite(e.train.loss), `epoch ${e.epoch}`).toBe(true);
      const final = await evaluate(model, val, 1000);
      expect(final.loss).toBeLessThan(initial.loss);
      model.dispose();
    }, 120_000);
  }
});
