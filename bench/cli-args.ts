/**
 * Command-line options of `npm run bench` (bench/cli.ts), parsed without dependencies.
 */
import { ArgumentError } from '../engine/index';

/** Sizes per suite name (`*`: every suite without its own entry); what a size means is the suite's choice. */
export type SizeSpec = Record<string, number[]>;

/**
 * Parses `256,1024` (every suite) or `matmul=256,1024` (one suite) into `into`; several such
 * parts may be joined with `;`.
 */
export function parseSizes(text: string, into: SizeSpec = {}): SizeSpec {
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p)) {
    const m = /^(?:([\w-]+)=)?(.*)$/.exec(part)!;
    into[m[1] ?? '*'] = numberList('sizes', m[2]);
  }
  return into;
}

/** The sizes of one suite under a spec. */
export function sizesFor(spec: SizeSpec | undefined, suite: string): number[] | undefined {
  return spec?.[suite] ?? spec?.['*'];
}

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

/** The text of `--help`. */
export const USAGE = `npm run bench -- [options]

Runs the benchmark suites in headless Chromium (default) or in Node (--node) and writes a table to
stdout, a JSON report and a self-contained HTML report with charts.

  --node                 run in Node on Dawn (npm webgpu) instead of headless Chromium
  --adapter=NAME         Node only: lavapipe | swiftshader | auto (a real GPU); default: lavapipe if installed
  --suites=a,b           suites to run (default: all; --list shows them)
  --sizes=256,1024       sizes for every suite that takes them (matmul: N of N×N×N; prox, dropout: elements)
  --sizes=matmul=256,1024  sizes for one suite (repeatable)
  --samples=N            samples per measurement, at least 5 (default 7)
  --full                 the large sizes too (matmul up to 2048²): about an hour on a software adapter;
                         the default run is sized to finish within 10 minutes there
  --tiny                 tiny sizes (a quick check of the harness, not a benchmark)
  --browser=PATH         browser binary (default: $CHROMIUM_PATH or /usr/bin/chromium)
  --gpu-flags="F G"      flags replacing the SwiftShader WebGPU flags, e.g. --gpu-flags=--enable-unsafe-webgpu
                         on a machine with a real GPU (repeatable; each value split on spaces)
  --browser-flags="F G"  more browser flags (repeatable; each value split on spaces)
  --out=DIR              directory of the reports (default out/bench)
  --json=PATH --html=PATH  report paths (default <out>/bench-<node|chromium>.json and .html)
  --timeout=SECONDS      how long to wait for the browser run (default 3600)
  --from=PATH            measure nothing: re-derive the figures of an existing JSON report, print
                         its table and write its JSON and HTML (e.g. after a change to the report)
  --list                 list the suites and exit
  --help                 this text`;

function splitFlags(v: string): string[] {
  return v.split(/\s+/).filter((s) => s);
}

function numberList(name: string, v: string): number[] {
  const xs = v
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new ArgumentError(`--${name}: expected positive integers separated by commas, got "${v}"`);
  return xs;
}

/** Parses `argv` (without the node and script paths). Unknown options throw {@link ArgumentError}. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { node: false, tiny: false, full: false, browserFlags: [], outDir: 'out/bench', timeoutS: 3600, list: false, help: false };
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ArgumentError(`bench: unexpected argument "${arg}" (see --help)`);
    const [, name, value] = m;
    const need = (): string => {
      if (value === undefined || value === '') throw new ArgumentError(`--${name} needs a value: --${name}=...`);
      return value;
    };
    switch (name) {
      case 'node':
        o.node = true;
        break;
      case 'tiny':
        o.tiny = true;
        break;
      case 'full':
        o.full = true;
        break;
      case 'list':
        o.list = true;
        break;
      case 'help':
        o.help = true;
        break;
      case 'suites':
      case 'suite':
        o.suites = [
          ...(o.suites ?? []),
          ...need()
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s),
        ];
        break;
      case 'sizes':
        o.sizes = parseSizes(need(), o.sizes);
        break;
      case 'samples': {
        const n = Number(need());
        if (!Number.isInteger(n) || n < 5) throw new ArgumentError(`--samples must be an integer of at least 5, got "${value}"`);
        o.samples = n;
        break;
      }
      case 'adapter': {
        const a = need();
        if (a !== 'auto' && a !== 'lavapipe' && a !== 'swiftshader') throw new ArgumentError(`--adapter must be auto, lavapipe or swiftshader, got "${a}"`);
        o.adapter = a;
        break;
      }
      case 'browser':
        o.browser = need();
        break;
      case 'gpu-flags':
        o.gpuFlags = [...(o.gpuFlags ?? []), ...splitFlags(need())];
        break;
      case 'browser-flags':
        o.browserFlags.push(...splitFlags(need()));
        break;
      case 'out':
        o.outDir = need();
        break;
      case 'json':
        o.json = need();
        break;
      case 'html':
        o.html = need();
        break;
      case 'from':
        o.from = need();
        break;
      case 'timeout': {
        const t = Number(need());
        if (!(t > 0)) throw new ArgumentError(`--timeout must be a positive number of seconds, got "${value}"`);
        o.timeoutS = t;
        break;
      }
      default:
        throw new ArgumentError(`bench: unknown option --${name} (see --help)`);
    }
  }
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
