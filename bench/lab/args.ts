/**
 * The lab CLI's options: `npm run lab -- <spec.ts> [options]` or `--preset=<name>`. Every mistake
 * is reported before a GPU or a browser starts. Pure.
 */

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

/** What `--help` prints. */
export const LAB_USAGE = `npm run lab -- <spec.ts> [options]      run a kernel spec (a file anywhere; see bench/lab/spec.ts)
npm run lab -- --preset=<name> [options] run one of the engine's presets (--list names them)

  --node               run in Node on Dawn (default: headless Chromium)
  --param NAME=VALUE   change a param of the spec (repeat it; or --params=m=512,n=512)
  --samples=N          samples per implementation (default 7, at least 5)
  --peers=LIST         tfjs-webgpu,jax-js (default) or none
  --tiny               short samples (tests)
  --out=DIR            where the reports go (default out/lab)
  --json=FILE --html=FILE   report paths
  --timeout=S          give up on the browser after S seconds (default 600)
  --list               list the presets`;

const PEERS = ['tfjs-webgpu', 'jax-js'];

/** Parses the arguments; throws an Error whose message says what is wrong. */
export function parseLabArgs(argv: readonly string[]): LabArgs {
  const o: LabArgs = { node: false, params: {}, samples: 7, tiny: false, peers: [...PEERS], outDir: 'out/lab', timeoutS: 600, list: false, help: false };
  const addParams = (text: string): void => {
    for (const kv of text.split(',')) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(kv.trim());
      const v = m ? Number(m[2]) : Number.NaN;
      if (!m || !Number.isFinite(v)) throw new Error(`--param: "${kv}" is not NAME=NUMBER`);
      o.params[m[1]] = v;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, value] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string => {
      const v = value ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--node') o.node = true;
    else if (flag === '--tiny') o.tiny = true;
    else if (flag === '--list') o.list = true;
    else if (flag === '--help' || flag === '-h') o.help = true;
    else if (flag === '--param' || flag === '--params') addParams(val());
    else if (flag === '--preset') o.preset = val();
    else if (flag === '--out') o.outDir = val();
    else if (flag === '--json') o.json = val();
    else if (flag === '--html') o.html = val();
    else if (flag === '--samples' || flag === '--timeout') {
      const n = Number(val());
      if (!Number.isInteger(n) || n < (flag === '--samples' ? 5 : 1)) throw new Error(`${flag} must be an integer of at least ${flag === '--samples' ? 5 : 1}`);
      if (flag === '--samples') o.samples = n;
      else o.timeoutS = n;
    } else if (flag === '--peers') {
      const v = val();
      o.peers = v === 'none' ? [] : v.split(',');
      const bad = o.peers.filter((p) => !PEERS.includes(p));
      if (bad.length) throw new Error(`--peers: unknown ${bad.join(', ')} (peers: ${PEERS.join(', ')}, or none)`);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a} (--help lists them)`);
    else if (o.spec) throw new Error(`one spec file at a time (got ${o.spec} and ${a})`);
    else o.spec = a;
  }
  if (!o.help && !o.list && !o.spec === !o.preset) throw new Error('give a spec file or --preset=<name> (one of them; --help)');
  return o;
}
