/**
 * `npm run lab -- <spec.ts>` (or `--preset=<name>`): runs a kernel spec in headless Chromium
 * (default) or in Node on Dawn (`--node`), prints its correctness and its figures beside the
 * engine's kernel, the peers and the adapter's ceilings, and writes the JSON and HTML reports
 * (the bench's report with a `lab` section). Exit code 1 when the spec is invalid, does not compile,
 * binds wrongly or gives a wrong result. Node only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ShaderCompileError } from '../../engine/index';
import { validateReport } from '../report/validate';
import { LAB_USAGE, parseLabArgs, type LabArgs } from './args';
import { formatLab, renderLabHtml } from './format';
import { loadSpecFile, locate, type LoadedSpec } from './load';
import { PRESETS, presetByName } from './presets/index';
import type { KernelSpec } from './spec';
import { benchPart, type LabReport } from './suite';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The spec and where errors about it point. */
async function specOf(a: LabArgs): Promise<LoadedSpec> {
  if (a.spec) return loadSpecFile(a.spec);
  const spec: KernelSpec = presetByName(a.preset as string);
  return { spec, path: `preset "${spec.name}"`, text: '' };
}

async function runInNode(a: LabArgs, s: LoadedSpec): Promise<LabReport> {
  const { Runtime } = await import('../../engine/index');
  const { runLab } = await import('./suite');
  const rt = await Runtime.create();
  log(`adapter: ${rt.adapterName}`);
  try {
    return await runLab(rt, s.spec, { params: a.params, samples: a.samples, tiny: a.tiny, peers: a.peers, specFile: s.path, log });
  } finally {
    rt.destroy();
  }
}

async function runInBrowser(a: LabArgs, s: LoadedSpec): Promise<LabReport> {
  const { runLabInChromium } = await import('./chromium');
  const got = await runLabInChromium({
    spec: a.spec ? { file: s.path } : { preset: s.spec.name },
    params: a.params,
    samples: a.samples,
    tiny: a.tiny,
    peers: a.peers,
    timeoutS: a.timeoutS,
    log,
  });
  if (!('error' in got)) return got;
  const e = got.error;
  // Rebuilt so that the error is located as a Node run's would be.
  const err =
    e.name === 'ShaderCompileError' && e.messages
      ? new ShaderCompileError(e.file ?? '', e.messages)
      : Object.assign(new Error(e.message), { name: e.name, stack: e.stack });
  throw err;
}

function write(path: string, text: string): string {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
}

/** Where relative paths point: the directory `npm run lab` was started from (npm runs scripts in the package's). */
const base = process.env.INIT_CWD ?? process.cwd();

async function main(): Promise<number> {
  const a = parseLabArgs(process.argv.slice(2));
  if (a.spec) a.spec = resolve(base, a.spec);
  a.outDir = resolve(base, a.outDir);
  if (a.json) a.json = resolve(base, a.json);
  if (a.html) a.html = resolve(base, a.html);
  if (a.help) {
    console.log(LAB_USAGE);
    return 0;
  }
  if (a.list) {
    for (const p of PRESETS) console.log(`${p.name}\n    ${p.about ?? ''}`);
    return 0;
  }
  const s = await specOf(a);
  let report: LabReport;
  try {
    report = a.node ? await runInNode(a, s) : await runInBrowser(a, s);
  } catch (e) {
    const wgsl = typeof s.spec.wgsl === 'string' ? s.spec.wgsl : undefined;
    throw new Error(locate(e, s.path, s.text, wgsl));
  }
  console.log(formatLab(report));
  const host = report.host === 'node' ? 'node' : 'chromium';
  const json = write(a.json ?? join(a.outDir, `lab-${host}.json`), `${JSON.stringify(report, null, 1)}\n`);
  const html = write(a.html ?? join(a.outDir, `lab-${host}.html`), renderLabHtml(report));
  console.log(`\nreports: ${json}\n         ${html}`);
  const invalid = validateReport(benchPart(report));
  if (invalid.length > 0) console.error(`the report does not match bench/report/schema.json:\n  ${invalid.join('\n  ')}`);
  return report.lab.check.correct && invalid.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
