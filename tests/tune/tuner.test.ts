/**
 * The autotuner (engine/tune): fixed mode is deterministic and never times or touches the cache;
 * auto mode times the candidates, picks the fastest measured and writes the cache; a valid cache
 * is used without timing; a stale one (another adapter, another kernel hash) is ignored and
 * rewritten; kernel calls (`matmul`) follow the tuner's choice. Each test has its own temporary
 * cache directory.
 *
 * To keep timing cheap, the auto-mode tests tune a small tunable of their own: a 64 × 64 × 64
 * matmul with three cheap blockings (the tuner is generic; the matmul tunable's own key and
 * candidate logic is checked without timing, through a prepared cache).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MATMUL_TUNING, matmul, matmulTuning, planMatmul, type MatmulBlocking, type MatmulShape } from '../../engine/ops/matmul';
import {
  adapterId,
  configureTuner,
  fileStore,
  matmulTunable,
  pickBest,
  TUNE_MARGIN,
  tunableHash,
  tuneMatmul,
  type PreparedCase,
  type Tunable,
  type TuneFile,
} from '../../engine/index';
import { ArgumentError } from '../../engine/index';
import { randomArray, useRuntime } from '../helpers/gpu';

const CHEAP: MatmulBlocking[] = [
  { kernel: 'block', WG: 8, WG_Y: 8, TM: 4 },
  { kernel: 'scalar', WG: 64, TM: 4 },
  { kernel: 'block', WG: 16, WG_Y: 4, TM: 8 },
];

/** A small tunable over three matmul blockings, counting how often it is prepared and run. */
function cheapTunable(name = 'test-matmul64', source = 'v1'): Tunable<{ n: number }, MatmulBlocking> & { prepared: number; runs: number } {
  const t = {
    name,
    source,
    allCandidates: CHEAP,
    prepared: 0,
    runs: 0,
    key: (_rt: unknown, p: { n: number }) => `n${p.n}`,
    fixed: () => CHEAP[1],
    candidates: () => [CHEAP[1], CHEAP[0], CHEAP[2]],
    prepare(rt: Parameters<Tunable<{ n: number }, MatmulBlocking>['prepare']>[0], p: { n: number }): PreparedCase<MatmulBlocking> {
      t.prepared++;
      const a = rt.tensor(randomArray(p.n * p.n, 1), [p.n, p.n]);
      const b = rt.tensor(randomArray(p.n * p.n, 2), [p.n, p.n]);
      return {
        run: (c) => {
          t.runs++;
          matmul(a, b, {}, { aligned: c, unaligned: c }).dispose();
        },
        dispose: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
  return t;
}

describe('autotuner', () => {
  const rt = useRuntime();
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgpu-tune-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const readCache = async (): Promise<TuneFile> => JSON.parse(await readFile(join(dir, 'tune.json'), 'utf8')) as TuneFile;
  const exists = async (): Promise<boolean> =>
    readFile(join(dir, 'tune.json')).then(
      () => true,
      () => false,
    );

  it('fixed mode gives the fixed table, the same every time, and never times or writes the cache', async () => {
    const r = rt();
    const shapes: MatmulShape[] = [
      { m: 512, n: 512, k: 512, transA: false, transB: false },
      { m: 17, n: 31, k: 13, transA: true, transB: false, epilogue: 'bias+relu' },
    ];
    const before = shapes.map((s) => planMatmul(r, s));
    const tuner = await configureTuner(r, { mode: 'fixed', store: fileStore(dir) });
    const t = cheapTunable();
    for (let i = 0; i < 3; i++) {
      expect(tuner.choose(t, { n: 64 })).toEqual(CHEAP[1]);
      expect(await tuner.tune(t, { n: 64 })).toEqual({ key: 'n64', choice: CHEAP[1], source: 'fixed' });
      expect(shapes.map((s) => planMatmul(r, s))).toEqual(before);
      const res = await tuneMatmul(r, shapes[0]);
      expect(res.source).toBe('fixed');
      expect(res.choice).toEqual(MATMUL_TUNING[r.info.kind].aligned);
    }
    expect(t.prepared).toBe(0);
    expect(tuner.stats).toEqual({ tunings: 0, timedRuns: 0, cacheHits: 0 });
    expect(tuner.pendingCount).toBe(0);
    expect(await exists()).toBe(false);
  });

  it('auto mode times the candidates within the budget, picks the fastest measured and writes the cache', async () => {
    const r = rt();
    const tuner = await configureTuner(r, { mode: 'auto', store: fileStore(dir), budgetMs: 20_000 });
    const t = cheapTunable();
    const res = await tuner.tune(t, { n: 64 });
    expect(res.source).toBe('timed');
    expect(res.measured?.length).toBe(3);
    // The fastest measured, unless the fixed choice (CHEAP[1]) is within the margin of it.
    const fastest = res.measured!.reduce((x, y) => (y.ms < x.ms ? y : x));
    const fixed = res.measured!.find((x) => x.candidate === CHEAP[1])!;
    const want = fastest.ms <= fixed.ms * (1 - TUNE_MARGIN) ? fastest : fixed;
    expect(res.choice).toEqual(want.candidate);
    expect(res.ms).toBe(want.ms);
    expect(t.prepared).toBe(1);
    expect(tuner.stats.tunings).toBe(1);
    expect(tuner.stats.timedRuns).toBeGreaterThanOrEqual(3);
    const file = await readCache();
    const entry = file.adapters[adapterId(r)][t.name];
    expect(entry.hash).toBe(tunableHash(t));
    expect(entry.choices.n64.choice).toEqual(res.choice);
    // Kernel calls of the same case now get the tuned choice, synchronously.
    expect(tuner.choose(t, { n: 64 })).toEqual(res.choice);
  });

  it('times each candidate itself: one that does far more work is measured slower and never chosen', async () => {
    // Two candidates of the same kernel, one running the product once and one 24 times: if the
    // tuner attached a time to the wrong candidate, or timed anything else, this would show.
    const r = rt();
    const tuner = await configureTuner(r, { mode: 'auto', store: fileStore(dir), budgetMs: 30_000 });
    const one = { reps: 1 };
    const many = { reps: 24 };
    const blk: MatmulBlocking = { kernel: 'scalar', WG: 64, TM: 4 };
    const t: Tunable<{ n: number }, { reps: number }> = {
      name: 'test-work',
      source: 'v1',
      allCandidates: [one, many],
      key: (_rt, p) => `n${p.n}`,
      fixed: () => many,
      candidates: () => [many, one],
      prepare(rt2, p) {
        const a = rt2.tensor(randomArray(p.n * p.n, 3), [p.n, p.n]);
        const b = rt2.tensor(randomArray(p.n * p.n, 4), [p.n, p.n]);
        return {
          run: (c) => {
            for (let i = 0; i < c.reps; i++) matmul(a, b, {}, { aligned: blk, unaligned: blk }).dispose();
          },
          dispose: () => {
            a.dispose();
            b.dispose();
          },
        };
      },
    };
    const res = await tuner.tune(t, { n: 64 });
    expect(res.source).toBe('timed');
    const ms = (c: { reps: number }) => res.measured!.find((m) => m.candidate === c)!.ms;
    expect(ms(many)).toBeGreaterThan(ms(one));
    expect(res.choice).toBe(one);
  });

  it('a tight budget stops after the first candidate, which is then the choice', async () => {
    const r = rt();
    const tuner = await configureTuner(r, { mode: 'auto', store: null, budgetMs: 1e-3 });
    const res = await tuner.tune(cheapTunable(), { n: 64 });
    expect(res.measured?.map((x) => x.candidate)).toEqual([CHEAP[1]]);
    expect(res.choice).toEqual(CHEAP[1]);
  });

  it('a valid cache is used by a new tuner without any timing', async () => {
    const r = rt();
    const first = cheapTunable();
    const chosen = (await (await configureTuner(r, { mode: 'auto', store: fileStore(dir), budgetMs: 20_000 })).tune(first, { n: 64 })).choice;
    for (const mode of ['auto', 'cache'] as const) {
      const tuner = await configureTuner(r, { mode, store: fileStore(dir) });
      const t = cheapTunable();
      expect(tuner.choose(t, { n: 64 })).toEqual(chosen);
      const res = await tuner.tune(t, { n: 64 });
      expect(res.source).toBe('cache');
      expect(res.choice).toEqual(chosen);
      expect(t.prepared).toBe(0);
      expect(t.runs).toBe(0);
      expect(tuner.stats.timedRuns).toBe(0);
      expect(tuner.stats.cacheHits).toBe(2);
    }
  });

  it('a cache of another adapter or another kernel hash is ignored, then rewritten', async () => {
    const r = rt();
    const t = cheapTunable();
    const stale = (adapter: string, hash: string): TuneFile => ({
      version: 1,
      adapters: { [adapter]: { [t.name]: { hash, choices: { n64: { choice: CHEAP[2], ms: 0.001 } } } } },
    });
    for (const [adapter, hash] of [
      ['node | other | some | other | gpu', tunableHash(t)],
      [adapterId(r), '0000000000000000'],
    ]) {
      await writeFile(join(dir, 'tune.json'), JSON.stringify(stale(adapter, hash)));
      const tuner = await configureTuner(r, { mode: 'auto', store: fileStore(dir), budgetMs: 20_000 });
      // The stale choice is not served: the fixed one is, and the case is queued for tuning.
      expect(tuner.choose(t, { n: 64 })).toEqual(CHEAP[1]);
      expect(tuner.pendingCount).toBe(1);
      const runs = t.runs;
      expect(await tuner.tunePending()).toBe(1);
      expect(tuner.pendingCount).toBe(0);
      expect(t.runs).toBeGreaterThan(runs);
      expect(tuner.stats.cacheHits).toBe(0);
      const file = await readCache();
      expect(file.adapters[adapterId(r)][t.name].hash).toBe(tunableHash(t));
      expect(Object.keys(file.adapters[adapterId(r)][t.name].choices)).toEqual(['n64']);
    }
  });

  it('the fixed choice stays unless another candidate beats it by the margin', () => {
    const fixed = 'f';
    expect(
      pickBest(
        [
          { candidate: 'f', ms: 10 },
          { candidate: 'g', ms: 9.6 },
        ],
        fixed,
      ).candidate,
    ).toBe('f');
    expect(
      pickBest(
        [
          { candidate: 'f', ms: 10 },
          { candidate: 'g', ms: 9 },
        ],
        fixed,
      ).candidate,
    ).toBe('g');
    expect(
      pickBest(
        [
          { candidate: 'g', ms: 9.9 },
          { candidate: 'h', ms: 9.8 },
        ],
        fixed,
      ).candidate,
    ).toBe('h');
  });

  it('a changed kernel source changes the hash, so its old choices go stale', () => {
    expect(tunableHash(cheapTunable('x', 'v1'))).not.toBe(tunableHash(cheapTunable('x', 'v2')));
    expect(tunableHash(cheapTunable('x', 'v1'))).toBe(tunableHash(cheapTunable('x', 'v1')));
  });

  it('the matmul key is (transposes, epilogue, shape class, alignment)', () => {
    const r = rt();
    const key = (s: MatmulShape): string => matmulTunable.key(r, s);
    expect(key({ m: 1000, n: 1000, k: 1000, transA: false, transB: true, epilogue: 'bias' })).toBe('NT bias 1024x1024x1024 aligned');
    expect(key({ m: 1024, n: 513, k: 1024, transA: false, transB: true, epilogue: 'bias' })).toBe('NT bias 1024x1024x1024 unaligned');
    expect(key({ m: 3, n: 5, k: 1, transA: true, transB: false })).toBe('TN none 16x16x16 unaligned');
    expect(key({ m: 100, n: 8, k: 4, transA: false, transB: false, epilogue: 'relu', mask: true })).toBe('NN relu+mask 128x16x16 aligned');
    // The vec4 kernel is a candidate of aligned cases only; masked cases get only kernels with the mask epilogue.
    expect(matmulTunable.candidates(r, { m: 17, n: 31, k: 13, transA: false, transB: false }).some((c) => c.kernel === 'vec4')).toBe(false);
    expect(
      matmulTunable.candidates(r, { m: 16, n: 32, k: 16, transA: false, transB: false, mask: true }).every((c) => c.kernel !== 'tiled' && c.kernel !== 'block'),
    ).toBe(true);
  });

  it('matmul follows a cached choice of its case, and only of its case', async () => {
    const r = rt();
    const shape: MatmulShape = { m: 20, n: 24, k: 12, transA: false, transB: true, epilogue: 'bias' };
    const fixed = matmulTuning(r).aligned;
    // A candidate other than the fixed one (a 2-D block: cheap to compile, and already compiled above).
    const pick = matmulTunable.candidates(r, shape).find((c) => c.kernel === 'block' && c.TM === 4)!;
    expect(pick.kernel).not.toBe(fixed.kernel);
    const key = matmulTunable.key(r, shape);
    const file: TuneFile = {
      version: 1,
      adapters: { [adapterId(r)]: { matmul: { hash: tunableHash(matmulTunable), choices: { [key]: { choice: pick, ms: 1 } } } } },
    };
    await writeFile(join(dir, 'tune.json'), JSON.stringify(file));
    await configureTuner(r, { mode: 'cache', store: fileStore(dir) });
    // Same class (sizes round up to 32, 32, 16), same transposes and epilogue: the cached choice.
    expect(planMatmul(r, shape).entry).toBe(`matmul_${pick.kernel}`);
    expect(planMatmul(r, { ...shape, m: 32, n: 28 }).entry).toBe(`matmul_${pick.kernel}`);
    expect((await tuneMatmul(r, shape)).source).toBe('cache');
    // Another transpose, epilogue or class: the fixed table.
    for (const other of [
      { ...shape, transB: false },
      { ...shape, epilogue: 'none' as const },
      { ...shape, k: 40 },
    ]) {
      expect(planMatmul(r, other).entry).toBe(`matmul_${fixed.kernel}`);
    }
    // The product runs with the choice and matches a direct sum (double precision, K = 12 terms).
    const a = r.tensor(randomArray(20 * 12, 5), [20, 12]);
    const b = r.tensor(randomArray(24 * 12, 6), [24, 12]);
    const biasV = randomArray(24, 7);
    const bias = r.tensor(biasV);
    const got = await matmul(a, b, { transB: true, bias }).toArray();
    const av = await a.toArray();
    const bv = await b.toArray();
    let worst = 0;
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 24; j++) {
        let s = biasV[j];
        for (let p = 0; p < 12; p++) s += av[i * 12 + p] * bv[j * 12 + p];
        worst = Math.max(worst, Math.abs(got[i * 24 + j] - s));
      }
    }
    // |error| ≤ γ_14 · Σ|terms| ≤ 14·2⁻²⁴ · 13 (every |term| ≤ 1) ≈ 1.1e-5.
    expect(worst).toBeLessThan(14 * 2 ** -24 * 13);
    for (const x of [a, b, bias]) x.dispose();
    await configureTuner(r, { mode: 'fixed' });
  });

  it('refuses a bad mode, budget or WEBGPU_TUNE value, naming it', async () => {
    const r = rt();
    await expect(configureTuner(r, { mode: 'sometimes' as never })).rejects.toThrow(/mode must be one of fixed, cache, auto, got sometimes/);
    await expect(configureTuner(r, { mode: 'auto', budgetMs: 0, store: null })).rejects.toThrow(ArgumentError);
    const saved = process.env.WEBGPU_TUNE;
    process.env.WEBGPU_TUNE = 'bogus';
    try {
      await expect(configureTuner(r, { store: null })).rejects.toThrow(/WEBGPU_TUNE=bogus is not one of fixed, cache, auto/);
    } finally {
      if (saved === undefined) delete process.env.WEBGPU_TUNE;
      else process.env.WEBGPU_TUNE = saved;
    }
    await configureTuner(r, { mode: 'fixed' });
  });
});
