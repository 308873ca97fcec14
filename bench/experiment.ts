/**
 * `npm run experiment`: the chapter-7 regularizers side by side. Trains the same MLP on a small
 * MNIST training set (where an unregularized model overfits) with no regularization, each technique
 * alone and a few combinations (bench/experiment/configs.ts), each over several seeds, in Node on
 * Dawn; prints a progress line per run to stderr and the table to stdout, and writes
 * `experiment.json`, `experiment.md` and a self-contained `experiment.html` (see --help).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Runtime } from '../engine/index';
import { EXPERIMENT_USAGE, parseExperimentArgs } from './experiment/args';
import { CNN_CONFIGS, CONFIGS, EXPERIMENT_CNN, selectConfigs } from './experiment/configs';
import { renderExperimentHtml } from './experiment/html';
import { runExperiment } from './experiment/run';
import { formatMarkdown, formatTable } from './experiment/table';
import { EXPERIMENT_SCHEMA_VERSION, modelLabel, type ExperimentReport, type PartialExperiment, type ExperimentSetup, type RunResult } from './experiment/types';

const started = performance.now();

function clock(): string {
  const s = Math.round((performance.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function runLine(r: RunResult, index: number, total: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const best = r.bestEpoch !== undefined ? ` (best epoch ${r.bestEpoch})` : '';
  return `${clock()} [${String(index).padStart(String(total).length)}/${total}] ${r.config} seed ${r.seed}: train ${pct(r.trainAccuracy)}, held-out ${pct(r.heldOutAccuracy)}, gap ${(100 * r.gap).toFixed(2)} pts, zeros ${pct(r.zeroFraction)}, ${r.secondsPerEpoch.toFixed(3)} s/epoch, ${r.epochs} epochs${best}, ${r.seconds.toFixed(1)} s`;
}

/** An earlier report, read back (fields added to the format since it was written are filled in). */
function readReport(path: string): ExperimentReport {
  const r = JSON.parse(readFileSync(path, 'utf8')) as ExperimentReport;
  if (r.schemaVersion !== EXPERIMENT_SCHEMA_VERSION || !Array.isArray(r.summaries) || !Array.isArray(r.runs))
    throw new Error(`${path} is not an experiment report (schema version ${EXPERIMENT_SCHEMA_VERSION})`);
  for (const s of r.summaries) s.short ??= CONFIGS.find((c) => c.name === s.config)?.short ?? s.label;
  return r;
}

/** The finished runs, with this run's seeds, of an interrupted experiment with the same setup but for the seeds (an error if it differs otherwise). */
function readPartial(path: string, setup: ExperimentSetup): RunResult[] {
  if (!existsSync(path)) return [];
  const p = JSON.parse(readFileSync(path, 'utf8')) as PartialExperiment;
  if (p.schemaVersion !== EXPERIMENT_SCHEMA_VERSION || !Array.isArray(p.runs))
    throw new Error(`${path} is not a partial experiment (schema version ${EXPERIMENT_SCHEMA_VERSION})`);
  // Runs are matched by configuration and seed, so the seeds may differ (a run cut short can be
  // summarized over the seeds it finished); everything else must be the same.
  const sameButSeeds = (x: ExperimentSetup): string => JSON.stringify({ ...x, seeds: [] });
  if (sameButSeeds(p.setup) !== sameButSeeds(setup))
    throw new Error(`--resume: ${path} was written with another setup (${JSON.stringify(p.setup)}); run without --resume, or with that run's options`);
  return p.runs.filter((r) => setup.seeds.includes(r.seed));
}

/** Prints the table and writes the three reports into `outDir`. */
function writeReports(report: ExperimentReport, outDir: string): void {
  console.log(formatTable(report));
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'experiment.json'), md: join(dir, 'experiment.md'), html: join(dir, 'experiment.html') };
  writeFileSync(files.json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(files.md, formatMarkdown(report));
  writeFileSync(files.html, renderExperimentHtml(report));
  console.log(`\nreports: ${files.json}\n         ${files.md}\n         ${files.html}`);
}

async function main(): Promise<number> {
  const o = parseExperimentArgs(process.argv.slice(2));
  if (o.help) {
    console.log(EXPERIMENT_USAGE);
    return 0;
  }
  if (o.list) {
    for (const c of o.model === 'cnn' ? CNN_CONFIGS : CONFIGS) console.log(`${c.name.padEnd(32)} ${c.about}`);
    return 0;
  }
  if (o.from) {
    writeReports(readReport(o.from), o.outDir);
    return 0;
  }
  const configs = selectConfigs(o.configs, o.model === 'cnn' ? CNN_CONFIGS : CONFIGS);
  const setup: ExperimentSetup = {
    sizes: [784, ...o.hidden, 10],
    ...(o.model === 'cnn' ? { cnn: { channels: [...EXPERIMENT_CNN.channels], dense: EXPERIMENT_CNN.dense } } : {}),
    train: o.train,
    val: o.val,
    test: o.test,
    splitSeed: o.splitSeed,
    seeds: o.seeds,
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: { rule: 'momentum', lr: o.lr, momentum: 0.9 },
  };
  const rt = await Runtime.create(o.adapter ? { adapter: o.adapter } : {});
  try {
    process.stderr.write(
      `${clock()} adapter: ${rt.adapterName}; ${configs.length} configurations × ${o.seeds.length} seeds, ${modelLabel(setup)}, ${o.epochs} epochs\n`,
    );
    const partialPath = join(resolve(o.outDir), 'experiment.partial.json');
    const done = o.resume ? readPartial(partialPath, setup) : [];
    if (o.resume) process.stderr.write(`${clock()} resuming: ${done.length} finished runs in ${partialPath}\n`);
    const runs: RunResult[] = [...done];
    mkdirSync(resolve(o.outDir), { recursive: true });
    const report = await runExperiment(rt, {
      setup,
      configs,
      done,
      log: (m) => process.stderr.write(`${clock()} ${m}\n`),
      onRun: (r, i, n) => {
        process.stderr.write(`${runLine(r, i, n)}${done.includes(r) ? ' (resumed)' : ''}\n`);
        if (!runs.includes(r)) runs.push(r);
        const partial: PartialExperiment = { schemaVersion: EXPERIMENT_SCHEMA_VERSION, setup, runs };
        writeFileSync(partialPath, `${JSON.stringify(partial)}\n`);
      },
    });
    writeReports(report, o.outDir);
    return 0;
  } finally {
    rt.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    process.exit(1);
  },
);
