/**
 * Command-line options of `npm run experiment` (bench/experiment.ts), parsed without dependencies.
 */
import { ArgumentError } from '../../engine/index';

/** What the command line asks for. */
export interface ExperimentArgs {
  /** Which network every configuration trains: the MLP of --hidden, or the CNN recipe's convolutional net. */
  model: 'mlp' | 'cnn';
  outDir: string;
  seeds: number[];
  epochs: number;
  train: number;
  val: number;
  test: number;
  hidden: number[];
  batchSize: number;
  lr: number;
  splitSeed: number;
  configs?: string[];
  adapter?: 'auto' | 'lavapipe' | 'swiftshader';
  /** Measure nothing: print and write the reports of an existing experiment.json. */
  from?: string;
  list: boolean;
  help: boolean;
}

/** The defaults: sized so that the whole run takes about 12–15 minutes on lavapipe with 2 CPU cores. */
export const EXPERIMENT_DEFAULTS: ExperimentArgs = {
  model: 'mlp',
  outDir: 'out/experiment',
  seeds: [1, 2, 3],
  epochs: 30,
  train: 1000,
  val: 500,
  test: 3000,
  hidden: [256, 256],
  batchSize: 64,
  lr: 0.02,
  splitSeed: 1,
  list: false,
  help: false,
};

/** The text of `--help`. */
export const EXPERIMENT_USAGE = `npm run experiment -- [options]

Trains the same MLP on a small MNIST training set with no regularization, each chapter-7 technique
alone and a few combinations, each over several seeds; prints a progress line per run and the table
(train and held-out accuracy, generalization gap, exact-zero fraction of the weights, time per
epoch, as mean ± standard deviation over the seeds), and writes experiment.json, experiment.md and a
self-contained experiment.html with charts.

  --model=mlp|cnn    the MLP of --hidden, or the convolutional net (default mlp; --model=cnn
                     changes the defaults of --epochs, --batch and --lr: see --model=cnn --help)
  --out=DIR          directory of the reports (default ${EXPERIMENT_DEFAULTS.outDir})
  --seeds=N | a,b,c  N seeds (1..N) or a list (default ${EXPERIMENT_DEFAULTS.seeds.join(',')})
  --epochs=N         epochs per run (default ${EXPERIMENT_DEFAULTS.epochs}; early stopping may stop sooner)
  --train=N          training digits (default ${EXPERIMENT_DEFAULTS.train})
  --val=N            validation digits, used by early stopping only (default ${EXPERIMENT_DEFAULTS.val})
  --test=N           held-out test digits (default ${EXPERIMENT_DEFAULTS.test})
  --hidden=A,B       hidden layer widths (default ${EXPERIMENT_DEFAULTS.hidden.join(',')})
  --batch=N          minibatch size (default ${EXPERIMENT_DEFAULTS.batchSize})
  --lr=X             learning rate of SGD with momentum 0.9 (default ${EXPERIMENT_DEFAULTS.lr})
  --split-seed=N     seed of the train/validation/test split (default ${EXPERIMENT_DEFAULTS.splitSeed})
  --configs=a,b      configurations to run (default: all; --list shows them)
  --adapter=NAME     lavapipe | swiftshader | auto (default: WEBGPU_ADAPTER, else lavapipe if installed)
  --from=PATH        measure nothing: print the table of an existing experiment.json and write
                     its JSON, Markdown and HTML again into --out (e.g. after a change to the report)
  --list             list the configurations and exit
  --help             this text`;

function positiveInt(name: string, v: string, min = 1): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new ArgumentError(`--${name}: expected an integer ≥ ${min}, got "${v}"`);
  return x;
}

function intList(name: string, v: string, min: number): number[] {
  const xs = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  if (xs.length === 0) throw new ArgumentError(`--${name}: expected integers separated by commas, got "${v}"`);
  return xs.map((s) => positiveInt(name, s, min));
}

/** Parses `argv` (without the node and script paths). Unknown options throw {@link ArgumentError}. */
export function parseExperimentArgs(argv: readonly string[]): ExperimentArgs {
  const o: ExperimentArgs = { ...EXPERIMENT_DEFAULTS, seeds: [...EXPERIMENT_DEFAULTS.seeds], hidden: [...EXPERIMENT_DEFAULTS.hidden] };
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ArgumentError(`experiment: unexpected argument "${arg}" (see --help)`);
    const [, name, value] = m;
    const need = (): string => {
      if (value === undefined || value === '') throw new ArgumentError(`--${name} needs a value: --${name}=...`);
      return value;
    };
    switch (name) {
      case 'help':
        o.help = true;
        break;
      case 'list':
        o.list = true;
        break;
      case 'out':
        o.outDir = need();
        break;
      case 'from':
        o.from = need();
        break;
      case 'seeds': {
        const v = need();
        if (v.includes(',')) o.seeds = intList(name, v, 0);
        else o.seeds = Array.from({ length: positiveInt(name, v) }, (_, i) => i + 1);
        if (new Set(o.seeds).size !== o.seeds.length) throw new ArgumentError(`--seeds: a seed is given twice in "${v}"`);
        break;
      }
      case 'epochs':
        o.epochs = positiveInt(name, need());
        break;
      case 'train':
        o.train = positiveInt(name, need());
        break;
      case 'val':
        o.val = positiveInt(name, need());
        break;
      case 'test':
        o.test = positiveInt(name, need());
        break;
      case 'hidden':
        o.hidden = intList(name, need(), 1);
        break;
      case 'batch':
        o.batchSize = positiveInt(name, need());
        break;
      case 'split-seed':
        o.splitSeed = positiveInt(name, need(), 0);
        break;
      case 'lr': {
        const x = Number(need());
        if (!(Number.isFinite(x) && x > 0)) throw new ArgumentError(`--lr: expected a positive number, got "${value}"`);
        o.lr = x;
        break;
      }
      case 'configs':
      case 'config':
        o.configs = [
          ...(o.configs ?? []),
          ...need()
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s),
        ];
        break;
      case 'model': {
        const m = need();
        if (m !== 'mlp' && m !== 'cnn') throw new ArgumentError(`--model must be mlp or cnn, got "${m}"`);
        o.model = m;
        break;
      }
      case 'adapter': {
        const a = need();
        if (a !== 'auto' && a !== 'lavapipe' && a !== 'swiftshader') throw new ArgumentError(`--adapter must be auto, lavapipe or swiftshader, got "${a}"`);
        o.adapter = a;
        break;
      }
      default:
        throw new ArgumentError(`experiment: unknown option --${name} (see --help)`);
    }
  }
  if (o.train + o.val + o.test > 10000)
    throw new ArgumentError(`experiment: train ${o.train} + val ${o.val} + test ${o.test} exceeds the 10,000 digits of the mnist package`);
  return o;
}
