/**
 * One lab run: a spec checked against its reference, then timed side by side with the engine's
 * kernel for the same op, the peers that have the op and the adapter's ceilings, sample after
 * sample in turn (so that a change in the machine's load hits every row alike). The result is the
 * bench's usual report (rows analyzed by bench/report/analyze.ts, so the table, the HTML report
 * and the schema are the bench's) plus a `lab` section: correctness, and per implementation the
 * median time with its spread, GFLOP/s, GB/s and the fractions of both ceilings. Shared by the
 * CLI (Node and the Chromium runner page); nothing Node-only.
 */
import type { Runtime } from '../../engine/index';
import { GpuWorkTally } from '../gpu-work';
import { analyzeRows, isCeiling } from '../report/analyze';
import { REPORT_SCHEMA_VERSION, type BenchReport } from '../report/types';
import { runtimeLabel } from '../run-suites';
import { median } from '../timing';
import type { BenchRow } from '../types';
import type { LabCheck } from './check';
import { ceilingImpls, engineStep, peerImpls, recordedImpl, type Impl } from './impls';
import { UPDATE_CHAIN } from './presets/elementwise';
import { checkLab, prepareLab, specSource, type LabSource } from './runner';
import type { KernelSpec, LabParams } from './spec';

/** Options of {@link runLab}. */
export interface LabOptions {
  /** Params over the spec's defaults. */
  params?: LabParams;
  /** Samples per implementation (at least 5, as the report schema asks). */
  samples: number;
  /** Short samples and small ceilings (tests). */
  tiny?: boolean;
  /** Peers to compare with (default both; `[]` for none). */
  peers?: readonly string[];
  /** The WGSL to run instead of the spec's (the page's edited text). */
  source?: LabSource;
  /** Where the spec came from, for the report. */
  specFile?: string;
  log?(line: string): void;
}

/** One implementation's figures in the lab summary. */
export interface LabFigures {
  impl: string;
  clock: 'gpu' | 'wall';
  medianMs: number;
  /** The median on the wall clock, which every row has: ratios between rows use it unless both have GPU timestamps. */
  wallMedianMs: number;
  bestMs: number;
  worstMs: number;
  gflops: number;
  gbps: number;
  /** Fractions of the adapter's measured ceilings (FMA: GFLOP/s; copy: GB/s). */
  ofFma?: number;
  ofCopy?: number;
  dispatchesPerCall?: number;
}

/** The lab section of the report. */
export interface LabSection {
  spec: { name: string; file: string; entry: string; op: string; about?: string };
  params: LabParams;
  work: { flops: number; bytes: number };
  check: LabCheck;
  figures: LabFigures[];
}

/** The bench report of a lab run, with its lab section. */
export interface LabReport extends BenchReport {
  lab: LabSection;
}

/** The lab kernel's row name. */
export const LAB_IMPL = 'lab';

/** Checks then times `spec` on `rt` (see the file's comment). */
export async function runLab(rt: Runtime, spec: KernelSpec, o: LabOptions): Promise<LabReport> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const createdAt = new Date().toISOString();
  const source = o.source ?? specSource(spec);
  const lab = await prepareLab(rt, spec, o.params, source);
  const impls: Impl[] = [];
  const errors: string[] = [];
  const op = spec.op ?? 'custom';
  try {
    log(`${spec.name}: checking against the CPU reference`);
    const { check } = await checkLab(rt, lab);
    const p = lab.params;
    const work = spec.work(p);
    const targetMs = o.tiny ? 10 : 100;
    const maxIters = o.tiny ? 5 : 200;
    log(`${spec.name}: warming up (${op})`);
    impls.push(await recordedImpl(rt, LAB_IMPL, lab.step, work, targetMs, maxIters));
    const engine = engineStep(rt, op, p);
    if (engine) impls.push(await recordedImpl(rt, 'engine', engine.step, work, targetMs, maxIters, engine.dispose));
    // The update has no public op of its own: the engine's row is its update_chain preset at the same size.
    if (op === 'update-sgd') {
      const ours = await prepareLab(rt, UPDATE_CHAIN, { n: p.n });
      impls.push(await recordedImpl(rt, 'engine', ours.step, work, targetMs, maxIters, ours.dispose));
    }
    impls.push(...(await peerImpls(rt, op, p, work, o.peers ?? ['tfjs-webgpu', 'jax-js'], targetMs, maxIters, (m) => errors.push(m))));
    impls.push(...(await ceilingImpls(rt, targetMs, maxIters, !!o.tiny)));
    const wall = impls.map(() => [] as number[]);
    const gpu: (number[] | null)[] = impls.map(() => []);
    const tallies = impls.map(() => new GpuWorkTally());
    for (let s = 0; s < o.samples; s++) {
      log(`${spec.name}: sample ${s + 1} of ${o.samples}`);
      for (const [i, impl] of impls.entries()) {
        const m = await impl.sample();
        wall[i].push(m.wallMs);
        gpu[i] = gpu[i] && m.gpuMs !== null ? [...(gpu[i] as number[]), m.gpuMs] : null;
        tallies[i].add(m.work, impl.iters);
      }
    }
    const intensity = work.bytes > 0 ? work.flops / work.bytes : Number.POSITIVE_INFINITY;
    const rows: BenchRow[] = impls.map((impl, i) => {
      const ceilingUnit = impl.impl === 'ceiling-fma' ? 'GFLOP/s' : impl.impl === 'ceiling-copy' ? 'GB/s' : null;
      const unit = ceilingUnit ?? (intensity >= 1 ? 'GFLOP/s' : 'GB/s');
      const perMs = unit === 'GFLOP/s' ? impl.work.flops / 1e6 : impl.work.bytes / 1e6;
      const g = gpu[i];
      const gpuWork = tallies[i].perCall();
      return {
        suite: 'lab',
        case: spec.name,
        impl: impl.impl,
        unit,
        // analyze.ts reads the work back as value × median(samplesMs): the value is on the wall clock.
        value: perMs / median(wall[i]),
        samplesMs: wall[i],
        ...(g?.length ? { gpuSamplesMs: g } : {}),
        ...(gpuWork ? { gpuWork } : {}),
        extra: { 'iterations per sample': impl.iters },
      };
    });
    const analyzed = analyzeRows(rows);
    const fma = analyzed.ceilings['GFLOP/s'];
    const copy = analyzed.ceilings['GB/s'];
    const figures: LabFigures[] = analyzed.rows
      .filter((r) => !isCeiling(r.impl))
      .map((r) => {
        const i = impls.findIndex((x) => x.impl === r.impl);
        const ms = r.figure.clock === 'gpu' ? (r.gpuSamplesMs as number[]) : r.samplesMs;
        const medianMs = median(ms);
        const { gflops, gbps } = { gflops: work.flops / (medianMs * 1e6), gbps: work.bytes / (medianMs * 1e6) };
        return {
          impl: r.impl,
          clock: r.figure.clock,
          medianMs,
          wallMedianMs: median(r.samplesMs),
          bestMs: Math.min(...ms),
          worstMs: Math.max(...ms),
          gflops,
          gbps,
          ...(fma ? { ofFma: gflops / fma } : {}),
          ...(copy ? { ofCopy: gbps / copy } : {}),
          ...(tallies[i].perCall() ? { dispatchesPerCall: tallies[i].perCall()?.dispatchesPerCall } : {}),
        };
      });
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      createdAt,
      host: rt.info.host,
      runtime: runtimeLabel(rt.info.host),
      adapter: rt.info,
      timestampQuery: rt.device.features.has('timestamp-query'),
      options: { suites: ['lab'], samples: o.samples, tiny: !!o.tiny },
      ceilings: analyzed.ceilings,
      rows: analyzed.rows,
      errors: errors.map((message) => ({ suite: 'lab', message })),
      durationMs: performance.now() - t0,
      lab: {
        spec: { name: spec.name, file: o.specFile ?? source.file, entry: spec.entry, op, ...(spec.about ? { about: spec.about } : {}) },
        params: p,
        work,
        check,
        figures,
      },
    };
  } finally {
    for (const impl of impls) impl.dispose();
    lab.dispose();
  }
}

/** The bench report without the lab section (what bench/report/schema.json describes). */
export function benchPart(r: LabReport): BenchReport {
  const { lab: _lab, ...rest } = r;
  return rest;
}
