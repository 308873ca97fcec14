/**
 * Command-line options of `npm run bench` (bench/cli.ts), declared for the shared parser (bench/args.ts).
 */
import { ArgumentError } from '../engine/runtime/errors';
import { ADAPTERS, flag, helpText, integer, nameList, number, oneOf, option, parseCommand, repeatable, text } from './args';
import { parseSizes, type SizeSpec } from './sizes';

export { parseSizes, sizesFor, type SizeSpec } from './sizes';

/** What the command line asks for. */
export interface CliOptions {
  /** Run in Node on Dawn instead of headless Chromium. */
  node: boolean;
  suites?: string[];
  /** Sizes per suite name; `*` applies to every suite without its own entry. */
  sizes?: SizeSpec;
  samples?: number;
  tiny: boolean;
  /** The large default sizes (matmul up to 2048²): the long run. Default: sizes that finish within minutes. */
  full: boolean;
  /** Node only: which driver (`WEBGPU_ADAPTER`). */
  adapter?: 'auto' | 'lavapipe' | 'swiftshader';
  /** The browser binary. */
  browser?: string;
  /** Flags replacing the SwiftShader WebGPU flags (for a machine with a real GPU). */
  gpuFlags?: string[];
  /** More browser flags. */
  browserFlags: string[];
  /** Directory for the JSON and HTML files. */
  outDir: string;
  /** Paths overriding `<outDir>/bench-<host>.json` and `.html`. */
  json?: string;
  html?: string;
  /** Seconds to wait for the browser page to finish. */
  timeoutS: number;
  /** Re-render an existing JSON report (table, JSON, HTML) instead of measuring. */
  from?: string;
  list: boolean;
  help: boolean;
}

const splitFlags: (t: string) => string[] = (t) => t.split(/\s+/).filter((s) => s);

/** The options of `npm run bench`. */
export const BENCH_COMMAND = {
  program: 'bench',
  usage: `npm run bench -- [options]

Runs the benchmark suites in headless Chromium (default) or in Node (--node) and writes a table to
stdout, a JSON report and a self-contained HTML report with charts.`,
  options: {
    node: flag('run in Node on Dawn (npm webgpu) instead of headless Chromium'),
    adapter: option('NAME', 'Node only: lavapipe | swiftshader | auto (a real GPU); default: lavapipe if installed', oneOf(ADAPTERS)),
    suites: repeatable('a,b', 'suites to run (default: all; --list shows them)', nameList, { aliases: ['suite'] }),
    sizes: repeatable(
      'SIZES',
      'sizes for every suite that takes them, e.g. 256,1024 (matmul: N of N×N×N; prox, dropout: elements), or for one suite, e.g. matmul=256,1024',
      (t) => parseSizes(t),
    ),
    samples: option('N', 'samples per measurement, at least 5 (default 7)', integer(5)),
    full: flag('the large sizes too (matmul up to 2048²): about an hour on a software adapter; the default run is sized to finish within 10 minutes there'),
    tiny: flag('tiny sizes (a quick check of the harness, not a benchmark)'),
    browser: option('PATH', 'browser binary (default: $CHROMIUM_PATH or /usr/bin/chromium)', text),
    'gpu-flags': repeatable(
      '"F G"',
      'flags replacing the SwiftShader WebGPU flags, e.g. --gpu-flags=--enable-unsafe-webgpu on a machine with a real GPU (each value split on spaces)',
      splitFlags,
    ),
    'browser-flags': repeatable('"F G"', 'more browser flags (each value split on spaces)', splitFlags),
    out: option('DIR', 'directory of the reports', text, { default: 'out/bench' }),
    json: option('PATH', 'JSON report path (default <out>/bench-<node|chromium>.json)', text),
    html: option('PATH', 'HTML report path (default <out>/bench-<node|chromium>.html)', text),
    timeout: option('SECONDS', 'how long to wait for the browser run', number(0, true), { default: 3600 }),
    from: option(
      'PATH',
      'measure nothing: re-derive the figures of an existing JSON report, print its table and write its JSON and HTML (e.g. after a change to the report)',
      text,
    ),
    list: flag('list the suites and exit'),
  },
};

/** The text of `--help`. */
export const USAGE = helpText(BENCH_COMMAND);

/** Parses `argv` (without the node and script paths). Unknown options throw {@link ArgumentError}. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const { values: v } = parseCommand(BENCH_COMMAND, argv);
  const o: CliOptions = {
    node: v.node,
    tiny: v.tiny,
    full: v.full,
    browserFlags: v['browser-flags'].flat(),
    outDir: v.out,
    timeoutS: v.timeout,
    list: v.list,
    help: v.help,
  };
  if (v.suites.length > 0) o.suites = v.suites.flat();
  if (v.sizes.length > 0) o.sizes = Object.assign({}, ...v.sizes);
  if (v['gpu-flags'].length > 0) o.gpuFlags = v['gpu-flags'].flat();
  for (const key of ['samples', 'adapter', 'browser', 'json', 'html', 'from'] as const) if (v[key] !== undefined) Object.assign(o, { [key]: v[key] });
  return o;
}

/** What {@link checkCliOptions} needs to know of a registered suite. */
export interface KnownSuite {
  name: string;
  /** What a size means; absent when the suite takes no sizes. */
  sizes?: string;
}

/**
 * Checks the options against each other and against the registered suites, so that a bad command
 * fails at once, before any browser or GPU starts: unknown suite names (also in `--sizes=name=...`),
 * sizes for a suite that takes none, `--tiny` with `--full`, Node-only options without `--node` and
 * browser-only options with it, measuring options with `--from`. Throws {@link ArgumentError}
 * naming the bad value and the valid choices.
 */
export function checkCliOptions(o: CliOptions, registry: readonly KnownSuite[]): void {
  const names = registry.map((s) => s.name);
  const withSizes = registry.filter((s) => s.sizes !== undefined).map((s) => s.name);
  const unknown = (o.suites ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new ArgumentError(
      `--suites: unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; the suites are ${names.join(', ')}`,
    );
  }
  for (const key of Object.keys(o.sizes ?? {})) {
    if (key === '*') continue;
    if (!names.includes(key)) throw new ArgumentError(`--sizes=${key}=...: unknown suite "${key}"; suites that take sizes: ${withSizes.join(', ')}`);
    if (!withSizes.includes(key)) throw new ArgumentError(`--sizes=${key}=...: suite "${key}" takes no sizes; suites that take sizes: ${withSizes.join(', ')}`);
    if (o.suites?.length && !o.suites.includes(key)) throw new ArgumentError(`--sizes=${key}=...: suite "${key}" is not among --suites=${o.suites.join(',')}`);
  }
  if (o.tiny && o.full) throw new ArgumentError('--tiny and --full contradict each other: choose one');
  if (o.adapter && !o.node)
    throw new ArgumentError(`--adapter=${o.adapter} applies only with --node (the browser run uses the browser's adapter; see --gpu-flags)`);
  if (o.node) {
    const browserOnly = [o.browser && '--browser', o.gpuFlags && '--gpu-flags', o.browserFlags.length > 0 && '--browser-flags'].filter((x): x is string => !!x);
    if (browserOnly.length > 0) throw new ArgumentError(`${browserOnly.join(', ')} apply only to the browser run, not with --node`);
  }
  if (o.from) {
    const measuring = [
      o.node && '--node',
      o.suites && '--suites',
      o.sizes && '--sizes',
      o.samples && '--samples',
      o.tiny && '--tiny',
      o.full && '--full',
    ].filter((x): x is string => !!x);
    if (measuring.length > 0)
      throw new ArgumentError(`--from=${o.from} measures nothing, so ${measuring.join(', ')} would be ignored: drop ${measuring.length > 1 ? 'them' : 'it'}`);
  }
}

/** The query string the browser page reads (the same options, for an automatic run). */
export function pageQuery(o: Pick<CliOptions, 'suites' | 'sizes' | 'samples' | 'tiny'> & { full?: boolean }): string {
  const q = new URLSearchParams({ auto: '1' });
  if (o.suites?.length) q.set('suites', o.suites.join(','));
  for (const [suite, sizes] of Object.entries(o.sizes ?? {})) q.append('sizes', `${suite === '*' ? '' : `${suite}=`}${sizes.join(',')}`);
  if (o.samples) q.set('samples', String(o.samples));
  if (o.tiny) q.set('tiny', '1');
  if (o.full) q.set('full', '1');
  return q.toString();
}
