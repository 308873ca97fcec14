/**
 * The `targets` table of scripts/readme-tables.ts: the speed targets of issues 9, 18 and 20 that a
 * default `npm run bench` run measures, each met or missed by its record. A browser run (headless
 * Chromium) and a Node run (Dawn) have different targets: the issues ask for 1.5× jax-js in the
 * browser, and 2× the faster peer (and a share of the FMA ceiling for matmul 1024²) in Node.
 */
import { fmtNum, fmtPercent, fmtRatio } from '../bench/report/format';
import type { BenchReport, ReportRow } from '../bench/report/types';
import { casesOf, hostLabel, markdown, met, overFasterPeer, PEERS, pretty, rowOf } from './readme-cells';

/** One target of the issues: its first cell, and what the record measured of it (undefined: nothing). */
interface Target {
  name: (report: BenchReport) => string;
  measure: (report: BenchReport) => { measured: string; verdict: string } | undefined;
}

/** Browser: every matmul case ≥ 1.5× jax-js (the fixed table decides; the tuned figures beside it). */
const browserMatmul: Target = {
  name: (r) => `matmul ≥ 1.5× jax-js: ${casesOf(r, 'matmul').map(pretty).join(', ')}`,
  measure: (r) => {
    const cases = casesOf(r, 'matmul');
    if (cases.length === 0) return undefined;
    const ratio = (impl: string) => cases.map((c) => rowOf(r, 'matmul', c, impl)?.speedup['jax-js']);
    const fixed = ratio('engine');
    const tuned = ratio('engine-tuned');
    const missed = cases.filter((_, i) => !((fixed[i] ?? 0) >= 1.5));
    const ceiling = Math.max(...cases.map((c) => rowOf(r, 'matmul', c, 'engine')?.ofCeiling ?? 0));
    return {
      measured: `${fixed.map(fmtRatio).join(', ')}${tuned.some((x) => x !== undefined) ? ` (tuned ${tuned.map(fmtRatio).join(', ')})` : ''}; the engine at up to ${fmtPercent(ceiling)} of the FMA ceiling`,
      verdict: missed.length === 0 ? met(true) : `${met(false)} for ${missed.map(pretty).join(', ')} (${cases.length - missed.length} of ${cases.length} met)`,
    };
  },
};

/** Node: matmul 1024² ≥ 2× the faster peer and ≥ 25% of the FMA ceiling, the fixed table and the tuner each. */
const nodeMatmul: Target = {
  name: () => 'matmul 1024² ≥ 2× the faster peer and ≥ 25% of the FMA ceiling',
  measure: (r) => {
    const kase = casesOf(r, 'matmul').find((c) => c === '1024x1024x1024');
    if (kase === undefined) return undefined;
    const figures = (impl: string) => {
      const row = rowOf(r, 'matmul', kase, impl);
      const over = overFasterPeer(row, PEERS);
      return row && over !== undefined ? { row, over, ok: over >= 2 && (row.ofCeiling ?? 0) >= 0.25 } : undefined;
    };
    const fixed = figures('engine');
    if (!fixed) return undefined;
    const tuned = figures('engine-tuned');
    const show = (f: { row: ReportRow; over: number }) =>
      `${fmtNum(f.row.figure.median)} GFLOP/s, ${fmtRatio(f.over)} the faster peer, ${fmtPercent(f.row.ofCeiling ?? 0)} of the FMA ceiling`;
    return {
      measured: `fixed table ${show(fixed)}${tuned ? `; tuned ${show(tuned)}` : ''}`,
      verdict: fixed.ok ? met(true) : tuned?.ok ? `${met(true)} by the tuner, ${met(false).replace(/\*/g, '')} by the fixed table` : met(false),
    };
  },
};

/** The MLP step ≥ `target`× `peers` (jax-js in the browser, the faster of both in Node). */
function mlpStep(target: number, peers: readonly string[]): Target {
  const against = peers.length === 1 ? peers[0] : 'the faster peer';
  return {
    name: (r) => ['MLP step', casesOf(r, 'mlp')[0], `≥ ${target}× ${against}`].filter((s) => s !== undefined).join(' '),
    measure: (r) => {
      const kase = casesOf(r, 'mlp')[0];
      const engine = kase === undefined ? undefined : rowOf(r, 'mlp', kase, 'engine');
      const ratio = overFasterPeer(engine, peers);
      if (!engine || ratio === undefined || kase === undefined) return undefined;
      const rows = PEERS.map((p) => rowOf(r, 'mlp', kase, p));
      const others = PEERS.flatMap((p, i) => (rows[i] && !peers.includes(p) ? [`${fmtRatio(engine.speedup[p])} ${p.replace('-webgpu', '')}`] : []));
      // One peer: "113 ms vs 185 ms"; several: "80 ms vs tfjs-webgpu 209 ms, jax-js 153 ms".
      const vs = peers.flatMap((p) => {
        const row = rowOf(r, 'mlp', kase, p);
        return row ? [`${peers.length > 1 ? `${p} ` : ''}${fmtNum(row.figure.median)} ms`] : [];
      });
      return {
        measured: `${fmtNum(engine.figure.median)} ms vs ${vs.join(', ')}: ${fmtRatio(ratio)}${others.length ? ` (${others.join(', ')})` : ''}`,
        verdict: met(ratio >= target),
      };
    },
  };
}

const dropout: Target = {
  name: () => 'standalone dropout forward + backward ≥ 80% of copy',
  measure: (r) => {
    const kase = casesOf(r, 'dropout')[0];
    const engine = kase === undefined ? undefined : rowOf(r, 'dropout', kase, 'engine');
    const copy = kase === undefined ? undefined : rowOf(r, 'dropout', kase, 'ceiling-copy');
    if (!engine || !copy) return undefined;
    const of = engine.figure.median / copy.figure.median;
    return {
      measured: `${fmtNum(engine.figure.median)} GB/s of ${fmtNum(copy.figure.median)}: ${fmtPercent(of)} (${fmtRatio(engine.speedup['jax-js'])} jax-js)`,
      verdict: met(of >= 0.8),
    };
  },
};

const regularizers: Target = {
  name: () => "each regularizer's step ≤ 1.05× the plain step (wall-clock ratio, paired by round)",
  measure: (r) => {
    // The baseline and its rebuilt control ('chain sgd') are the reference, not regularizers.
    const variants = r.rows.filter(
      (x) => x.suite === 'regularizers' && typeof x.extra?.ratio === 'number' && x.case !== 'chain sgd' && !x.case.startsWith('baseline'),
    );
    if (variants.length === 0) return undefined;
    const ratio = (x: ReportRow) => x.extra?.ratio as number;
    const over = variants.filter((x) => ratio(x) > 1.05);
    return {
      measured: variants.map((x) => `${x.case} ${ratio(x).toFixed(2)}`).join(', '),
      verdict: over.length === 0 ? met(true) : `${met(false)} for ${over.map((x) => x.case).join(', ')}`,
    };
  },
};

/** Conv forward + backward ≥ `target`× the faster peer on every layer (issue 18). */
function conv(target: number): Target {
  return {
    name: () => `conv2d forward + backward ≥ ${target}× the faster peer`,
    measure: (r) => {
      const cases = casesOf(r, 'conv').filter((c) => c.endsWith(' forward+backward'));
      if (cases.length === 0) return undefined;
      const ratios = cases.map((c) => overFasterPeer(rowOf(r, 'conv', c, 'engine'), PEERS));
      const layer = (c: string) => pretty(c.slice(0, -' forward+backward'.length));
      const missed = cases.filter((_, i) => !((ratios[i] ?? 0) >= target));
      return {
        measured: cases.map((c, i) => `${layer(c)}: ${fmtRatio(ratios[i])}`).join(', '),
        verdict:
          missed.length === 0
            ? `${met(true)} for all ${cases.length}`
            : missed.length === cases.length
              ? `${met(false)} for all ${cases.length}`
              : `${met(false)} for ${missed.map(layer).join(', ')}`,
      };
    },
  };
}

const convDropout: Target = {
  name: () => 'dropout in the conv epilogues ≤ 1.05× the CNN step without',
  measure: (r) => {
    const kase = casesOf(r, 'conv').find((c) => c.startsWith('cnn-step'));
    const plain = kase === undefined ? undefined : rowOf(r, 'conv', kase, 'engine');
    const masked = kase === undefined ? undefined : rowOf(r, 'conv', kase, 'engine-conv-dropout');
    if (!plain || !masked) return undefined;
    const ratio = plain.speedup['engine-conv-dropout'];
    return { measured: `${fmtNum(masked.figure.median)} vs ${fmtNum(plain.figure.median)} ms: ${fmtRatio(ratio)}`, verdict: met(ratio <= 1.05) };
  },
};

/** The ensemble suite: k members batched against one member (the within-round ratio's median). */
const ensemble: Target = {
  name: () => '5-member ensemble ≤ 2× one member',
  measure: (r) => {
    const kase = casesOf(r, 'ensemble')[0];
    const one = kase === undefined ? undefined : rowOf(r, 'ensemble', kase, 'one member');
    const batched = kase === undefined ? undefined : r.rows.find((x) => x.suite === 'ensemble' && x.case === kase && x.impl.endsWith(' batched'));
    const sequential = kase === undefined ? undefined : r.rows.find((x) => x.suite === 'ensemble' && x.case === kase && x.impl.endsWith(' sequential'));
    const ratio = batched?.extra?.['ratio to one member'];
    if (!one || !batched || typeof ratio !== 'number') return undefined;
    return {
      measured: `${pretty(kase ?? '')}: ${fmtNum(batched.figure.median)} ms batched vs ${fmtNum(one.figure.median)} ms one member: ${ratio.toFixed(2)}×${sequential ? ` (one after another ${fmtNum(sequential.figure.median)} ms)` : ''}`,
      verdict: met(ratio <= 2),
    };
  },
};

/** The targets of issues 9, 18 and 20 for a browser run (SwiftShader or a GPU in Chromium). */
const BROWSER_TARGETS: Target[] = [browserMatmul, mlpStep(1.5, ['jax-js']), dropout, regularizers, conv(1.5), convDropout, ensemble];

/** The same issues' targets for a Node run (lavapipe, SwiftShader or a GPU through Dawn). */
const NODE_TARGETS: Target[] = [nodeMatmul, mlpStep(2, PEERS), dropout, regularizers, conv(2), convDropout, ensemble];

/** The issue targets a default `npm run bench` run measures, each met or missed by its record. */
export function targetsTable(report: BenchReport): string {
  const targets = report.host === 'node' ? NODE_TARGETS : BROWSER_TARGETS;
  const body = targets.map((t) => {
    const m = t.measure(report);
    return [t.name(report), m?.measured ?? 'not in this record', m?.verdict ?? '—'];
  });
  return markdown([['target', `measured (${hostLabel(report)})`, 'verdict'], ...body]);
}
