/**
 * The lab's runner page for `npm run lab` in headless Chromium (bench/lab/chromium.ts bundles it
 * with the spec): opens the engine's runtime on the browser's adapter, runs the spec and hands the
 * report, or the error with its WGSL messages, to Node through `window.__labResult`.
 */
import { Runtime, ShaderCompileError } from '../../engine/index';
import { checkSpec, type LabParams } from './spec';
import { runLab } from './suite';
// Resolved by the bundler to the spec file (or to a preset) named on the command line.
import spec from 'lab-spec';

/** What Node passes in the page's config element. */
interface PageConfig {
  params: LabParams;
  samples: number;
  tiny: boolean;
  peers: string[];
  specFile: string;
}

const w = window as unknown as { __labResult(json: string): void };
const config = JSON.parse(document.getElementById('lab-config')?.textContent ?? '{}') as PageConfig;

async function main(): Promise<void> {
  const rt = await Runtime.create();
  try {
    const s = checkSpec(spec, config.specFile);
    const report = await runLab(rt, s, { ...config, log: (line) => console.log(`[lab] ${line}`) });
    w.__labResult(JSON.stringify(report));
  } finally {
    rt.destroy();
  }
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  const messages = e instanceof ShaderCompileError ? e.messages : undefined;
  w.__labResult(
    JSON.stringify({ error: { name: err.name, message: err.message, stack: err.stack, file: e instanceof ShaderCompileError ? e.file : undefined, messages } }),
  );
});
