/**
 * The lab CLI's options: `npm run lab -- <spec.ts> [options]` or `--preset=<name>`, declared for
 * the shared parser (bench/args.ts). Every mistake is reported before a GPU or a browser starts.
 */
import { ArgumentError } from '../../engine/runtime/errors';
import { flag, helpText, integer, option, parseCommand, repeatable, text, type Parse } from '../args';

/** Parsed options. */
export interface LabArgs {
  spec?: string;
  preset?: string;
  node: boolean;
  params: Record<string, number>;
  samples: number;
  tiny: boolean;
  peers: string[];
  outDir: string;
  json?: string;
  html?: string;
  timeoutS: number;
  list: boolean;
  help: boolean;
}

const PEERS = ['tfjs-webgpu', 'jax-js'];

/** `--param NAME=VALUE` (or several joined by commas). */
const params: Parse<Record<string, number>> = (t) => {
  const out: Record<string, number> = {};
  for (const kv of t.split(',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(kv.trim());
    const v = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(v)) throw new ArgumentError(`--param: "${kv}" is not NAME=NUMBER`);
    out[m[1]] = v;
  }
  return out;
};

/** `--peers`: a list of known peers, or `none`. */
const peerList: Parse<string[]> = (t) => {
  const peers = t === 'none' ? [] : t.split(',');
  const bad = peers.filter((p) => !PEERS.includes(p));
  if (bad.length) throw new ArgumentError(`--peers: unknown ${bad.join(', ')} (peers: ${PEERS.join(', ')}, or none)`);
  return peers;
};

/** The options of `npm run lab`. */
export const LAB_COMMAND = {
  program: 'lab',
  usage: `npm run lab -- <spec.ts> [options]      run a kernel spec (a file anywhere; see bench/lab/spec.ts)
npm run lab -- --preset=<name> [options] run one of the engine's presets (--list names them)`,
  positionals: '<spec.ts>',
  options: {
    preset: option('NAME', "one of the engine's presets instead of a spec file", text),
    node: flag('run in Node on Dawn (default: headless Chromium)'),
    param: repeatable('NAME=VALUE', 'change a param of the spec (or several: --params=m=512,n=512)', params, { aliases: ['params'] }),
    samples: option('N', 'samples per implementation, at least 5', integer(5), { default: 7 }),
    peers: option('LIST', `${PEERS.join(',')} or none`, peerList, { default: PEERS, defaultText: PEERS.join(',') }),
    tiny: flag('short samples (tests)'),
    out: option('DIR', 'where the reports go', text, { default: 'out/lab' }),
    json: option('FILE', 'JSON report path', text),
    html: option('FILE', 'HTML report path', text),
    timeout: option('S', 'give up on the browser after S seconds', integer(1), { default: 600 }),
    list: flag('list the presets'),
  },
};

/** What `--help` prints. */
export const LAB_USAGE = helpText(LAB_COMMAND);

/** Parses the arguments; throws an {@link ArgumentError} whose message says what is wrong. */
export function parseLabArgs(argv: readonly string[]): LabArgs {
  const { values: v, positionals } = parseCommand(LAB_COMMAND, argv);
  if (positionals.length > 1) throw new ArgumentError(`one spec file at a time (got ${positionals.join(' and ')})`);
  const o: LabArgs = {
    node: v.node,
    params: Object.assign({}, ...v.param),
    samples: v.samples,
    tiny: v.tiny,
    peers: [...v.peers],
    outDir: v.out,
    timeoutS: v.timeout,
    list: v.list,
    help: v.help,
  };
  if (positionals.length === 1) o.spec = positionals[0];
  for (const key of ['preset', 'json', 'html'] as const) if (v[key] !== undefined) o[key] = v[key];
  if (!o.help && !o.list && !o.spec === !o.preset) throw new ArgumentError('give a spec file or --preset=<name> (one of them; --help)');
  return o;
}
