/**
 * Command-line options of `npm run experiment` (bench/experiment.ts), declared for the shared parser (bench/args.ts).
 */
import { ArgumentError } from '../../engine/runtime/errors';
import { ADAPTERS, flag, helpText, integer, integerList, nameList, number, oneOf, option, parseCommand, repeatable, text, type Parse } from '../args';

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
  /** Reuse the finished runs of an interrupted experiment (its experiment.partial.json in `outDir`). */
  resume?: boolean;
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

/** `--seeds`: N seeds (1..N) or a list of distinct seeds. */
const seedList: Parse<number[]> = (t, name) => {
  const seeds = t.includes(',') ? integerList(0)(t, name) : Array.from({ length: integer(1)(t, name) }, (_, i) => i + 1);
  if (new Set(seeds).size !== seeds.length) throw new ArgumentError(`--seeds: a seed is given twice in "${t}"`);
  return seeds;
};

const D = EXPERIMENT_DEFAULTS;

/** The options of `npm run experiment`. */
export const EXPERIMENT_COMMAND = {
  program: 'experiment',
  usage: `npm run experiment -- [options]

Trains the same MLP on a small MNIST training set with no regularization, each chapter-7 technique
alone and a few combinations, each over several seeds; prints a progress line per run and the table
(train and held-out accuracy, generalization gap, exact-zero fraction of the weights, time per
epoch, as mean ± standard deviation over the seeds), and writes experiment.json, experiment.md and a
self-contained experiment.html with charts.`,
  options: {
    model: option(
      'mlp|cnn',
      'the MLP of --hidden, or the convolutional net of bench/experiment/configs.ts (EXPERIMENT_CNN), trained with the same digits, optimizer, epochs and batch',
      oneOf(['mlp', 'cnn']),
      { default: D.model },
    ),
    out: option('DIR', 'directory of the reports', text, { default: D.outDir }),
    seeds: option('N|a,b,c', 'N seeds (1..N) or a list', seedList, { default: D.seeds, defaultText: D.seeds.join(',') }),
    epochs: option('N', 'epochs per run (early stopping may stop sooner)', integer(1), { default: D.epochs }),
    train: option('N', 'training digits', integer(1), { default: D.train }),
    val: option('N', 'validation digits, used by early stopping only', integer(1), { default: D.val }),
    test: option('N', 'held-out test digits', integer(1), { default: D.test }),
    hidden: option('A,B', 'hidden layer widths', integerList(1), { default: D.hidden, defaultText: D.hidden.join(',') }),
    batch: option('N', 'minibatch size', integer(1), { default: D.batchSize }),
    lr: option('X', 'learning rate of SGD with momentum 0.9', number(0, true), { default: D.lr }),
    'split-seed': option('N', 'seed of the train/validation/test split', integer(0), { default: D.splitSeed }),
    configs: repeatable('a,b', 'configurations to run (default: all; --list shows them)', nameList, { aliases: ['config'] }),
    adapter: option('NAME', 'lavapipe | swiftshader | auto (default: WEBGPU_ADAPTER, else lavapipe if installed)', oneOf(ADAPTERS)),
    from: option(
      'PATH',
      'measure nothing: print the table of an existing experiment.json and write its JSON, Markdown and HTML again into --out (e.g. after a change to the report)',
      text,
    ),
    list: flag('list the configurations and exit'),
    resume: flag(
      'continue an interrupted run: reuse the runs recorded in --out/experiment.partial.json (written after every run) when its setup is this one, and run only the others',
    ),
  },
};

/** The text of `--help`. */
export const EXPERIMENT_USAGE = helpText(EXPERIMENT_COMMAND);

/** Parses `argv` (without the node and script paths). Unknown options throw {@link ArgumentError}. */
export function parseExperimentArgs(argv: readonly string[]): ExperimentArgs {
  const { values: v } = parseCommand(EXPERIMENT_COMMAND, argv);
  const o: ExperimentArgs = {
    model: v.model,
    outDir: v.out,
    seeds: [...v.seeds],
    epochs: v.epochs,
    train: v.train,
    val: v.val,
    test: v.test,
    hidden: [...v.hidden],
    batchSize: v.batch,
    lr: v.lr,
    splitSeed: v['split-seed'],
    list: v.list,
    help: v.help,
  };
  if (v.configs.length > 0) o.configs = v.configs.flat();
  if (v.adapter !== undefined) o.adapter = v.adapter;
  if (v.from !== undefined) o.from = v.from;
  if (v.resume) o.resume = true;
  if (o.train + o.val + o.test > 10000)
    throw new ArgumentError(`experiment: train ${o.train} + val ${o.val} + test ${o.test} exceeds the 10,000 digits of the mnist package`);
  return o;
}
