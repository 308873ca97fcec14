/**
 * A generic autotuner for per-adapter kernel knobs. A kernel registers a {@link Tunable}: its
 * candidates (tile sizes, layouts, ...), how a case maps to a key (its shape class), the
 * fixed-table default, and how to run one candidate. The tuner times the candidates of a case on
 * the device within a bounded time, keeps the fastest, and caches the choice (./cache.ts).
 *
 * Modes (one clear API: {@link configureTuner}, or the `WEBGPU_TUNE` environment variable that it
 * reads when no mode is given):
 * - `fixed`: the kernels' fixed per-adapter tables only; nothing is timed, no cache is read. This
 *   is what a runtime uses until `configureTuner` is called on it, so tests and recorded
 *   benchmarks are reproducible and never spend time tuning.
 * - `cache`: choices from the cache when they are valid for this adapter and kernel source, else
 *   the fixed table; nothing is timed.
 * - `auto`: like `cache`, and {@link Tuner.tune} times the candidates of a case that has no valid
 *   cached choice (bounded by `budgetMs`, default 2 s per case) and saves the result. Kernels are
 *   recorded synchronously, so timing cannot happen inside a kernel call: a case met first inside
 *   a kernel call runs the fixed choice and is queued; `await tuner.tunePending()` (e.g. after the
 *   first training step) times the queued cases, or `await tuner.tune(...)` (e.g. `tuneMatmul`)
 *   times one case ahead of use.
 *
 * Timing: GPU timestamps (`Runtime.profile`) when the device has `timestamp-query` and is not a
 * software adapter, else the wall clock around a submit and `onSubmittedWorkDone`. Candidates are measured in the order the kernel
 * lists them (its fixed choice first), each compiled, warmed up and sampled once, then the fastest
 * sampled again; when the budget runs out no new candidate starts (one that started finishes: its
 * compilation alone can take seconds on a software adapter), and the fastest measured wins, unless
 * the fixed choice is within {@link TUNE_MARGIN} of it.
 */
import { ArgumentError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { serviceKey } from '../runtime/services';
import { defaultStore, type TuneFile, type TuneKernelEntry, type TuneStore } from './cache';

/** How the tuner chooses (see the file's comment). */
export type TuneMode = 'fixed' | 'cache' | 'auto';

const MODES: readonly TuneMode[] = ['fixed', 'cache', 'auto'];

/** A prepared case: inputs allocated, ready to record one candidate's dispatches any number of times. */
export interface PreparedCase<C> {
  /** Records the candidate's work for one run of the case into the runtime's batch. */
  run(candidate: C): void;
  /** Frees what `prepare` allocated. */
  dispose(): void;
}

/** A kernel whose knobs the tuner chooses. `P` is a case (e.g. a product's shape), `C` a candidate. */
export interface Tunable<P, C> {
  /** Unique name (the cache's kernel key), e.g. `matmul`. */
  readonly name: string;
  /**
   * The code a cached choice depends on, as text: the kernels' WGSL and what the host code that
   * plans their dispatches makes of the candidates (hashed with the candidate list: a change makes
   * cached choices stale). Computed from the code itself, never a hand-kept version.
   */
  readonly source: string;
  /** Every candidate the kernel may propose (hashed with the source). */
  readonly allCandidates: readonly C[];
  /** The case's key: cases with the same key share a choice (a shape class, the transposes, ...). */
  key(rt: Runtime, problem: P): string;
  /** The fixed-table choice for the case (used in `fixed` mode and whenever nothing better is known). */
  fixed(rt: Runtime, problem: P): C;
  /** The candidates valid for this case, best guess first. */
  candidates(rt: Runtime, problem: P): C[];
  /** Allocates inputs for timing the case. */
  prepare(rt: Runtime, problem: P): PreparedCase<C>;
}

/** Options of {@link configureTuner}. */
export interface TunerOptions {
  /** Default: `WEBGPU_TUNE` from the environment (Node), else `cache`. */
  mode?: TuneMode;
  /**
   * Where choices are cached: a {@link TuneStore} (see ./cache.ts: `fileStore(dir)`,
   * `localStorageStore`, `memoryStore`), or null for none. Default: `defaultStore()` (a JSON file
   * in `WEBGPU_TUNE_CACHE`, `$XDG_CACHE_HOME/webgpu-regularization` or
   * `node_modules/.cache/webgpu-regularization` in Node; localStorage in a browser).
   */
  store?: TuneStore | null;
  /** Most milliseconds spent timing one case (default 2000). */
  budgetMs?: number;
  /** `timestamp` (default when the device has `timestamp-query` and is not a software adapter) or `wall`. */
  clock?: 'timestamp' | 'wall';
}

/** What {@link Tuner.tune} did for one case. */
export interface TuneResult<C> {
  key: string;
  choice: C;
  /** `timed` (measured now), `cache` (a valid cached choice), `fixed` (fixed mode, or `cache` mode without a valid entry). */
  source: 'timed' | 'cache' | 'fixed';
  /** Milliseconds per run of the choice, when measured (now or when it was cached). */
  ms?: number;
  /** Every candidate measured now and its milliseconds per run (best of its samples). */
  measured?: { candidate: C; ms: number }[];
}

/** Counters, for tests and reports. */
export interface TunerStats {
  /** Cases timed. */
  tunings: number;
  /** Timed runs of candidates (each a sample of one candidate). */
  timedRuns: number;
  /** Choices served from a valid cache entry (by `tune` or by a kernel call). */
  cacheHits: number;
}

/** The tunables known by name (a kernel registers its tunable where it defines it, when that module loads). */
const registry = new Map<string, Tunable<unknown, unknown>>();

/** Registers a kernel's {@link Tunable} (once per name; a second registration replaces the first). */
export function registerTunable<P, C>(t: Tunable<P, C>): Tunable<P, C> {
  registry.set(t.name, t as Tunable<unknown, unknown>);
  return t;
}

/** 64-bit FNV-1a of a string, as 16 hex digits (a cache key, not a security hash). */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/** The hash a tunable's cache entry is valid for: its source (WGSL and plan code) and its candidate list. */
export function tunableHash(t: Pick<Tunable<unknown, unknown>, 'source' | 'allCandidates'>): string {
  return hashText(`${t.source}\n${JSON.stringify(t.allCandidates)}`);
}

/** The adapter's identity in the cache: host, vendor, architecture, device and description. */
export function adapterId(rt: Runtime): string {
  const i = rt.info;
  return [i.host, i.kind, i.vendor, i.architecture, i.device, i.description].join(' | ');
}

function modeFromEnv(): TuneMode {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.WEBGPU_TUNE?.toLowerCase();
  if (v === undefined || v === '') return 'cache';
  if ((MODES as readonly string[]).includes(v)) return v as TuneMode;
  throw new ArgumentError(`WEBGPU_TUNE=${v} is not one of ${MODES.join(', ')}`);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A candidate must beat the fixed choice by this fraction to replace it: timing noise on a shared
 * machine must not swap a good default for an equal or worse one.
 */
export const TUNE_MARGIN = 0.05;

/** The fastest measured candidate, unless the fixed choice was measured and is within {@link TUNE_MARGIN} of it. */
export function pickBest<C>(measured: readonly { candidate: C; ms: number }[], fixed: C): { candidate: C; ms: number } {
  const best = measured.reduce((x, y) => (y.ms < x.ms ? y : x));
  const base = measured.find((r) => same(r.candidate, fixed));
  return base && best.ms > base.ms * (1 - TUNE_MARGIN) ? base : best;
}

/** The tuner of one runtime (see the file's comment). Get one with {@link configureTuner}. */
export class Tuner {
  readonly stats: TunerStats = { tunings: 0, timedRuns: 0, cacheHits: 0 };
  private file: TuneFile = { version: 1, adapters: {} };
  private readonly pending = new Map<string, { tunable: Tunable<unknown, unknown>; problem: unknown }>();
  /** Validated cache look-ups by tunable and key (kernel calls look up on every call); cleared when a choice is recorded. */
  private readonly memo = new Map<string, { choice: unknown; ms: number } | null>();
  private readonly budgetMs: number;
  private readonly clock: 'timestamp' | 'wall';

  private constructor(
    readonly rt: Runtime,
    readonly mode: TuneMode,
    readonly store: TuneStore | null,
    options: TunerOptions,
  ) {
    this.budgetMs = options.budgetMs ?? 2000;
    if (!(this.budgetMs > 0)) throw new ArgumentError(`configureTuner: budgetMs must be > 0, got ${options.budgetMs}`);
    const has = rt.device.features.has('timestamp-query');
    if (options.clock === 'timestamp' && !has) throw new ArgumentError("configureTuner: clock 'timestamp' asked for but the device has no 'timestamp-query'");
    // On a software adapter the device's work is the CPU's, so the wall clock measures exactly it
    // (and a headless Chromium on SwiftShader misordered candidates by its timestamps).
    this.clock = options.clock ?? (has && !rt.info.isFallbackAdapter ? 'timestamp' : 'wall');
  }

  /** @internal Use {@link configureTuner} or {@link createTuner}. */
  static async create(rt: Runtime, options: TunerOptions): Promise<Tuner> {
    const mode = options.mode ?? modeFromEnv();
    if (!MODES.includes(mode)) throw new ArgumentError(`configureTuner: mode must be one of ${MODES.join(', ')}, got ${String(mode)}`);
    const store = options.store === undefined ? defaultStore() : options.store;
    const t = new Tuner(rt, mode, store, options);
    if (mode !== 'fixed' && store) t.file = (await store.load()) ?? t.file;
    return t;
  }

  /** This adapter's valid entry for a tunable, or undefined (none, or stale: another hash). */
  private entry(t: Tunable<unknown, unknown>): TuneKernelEntry | undefined {
    const e = this.file.adapters[adapterId(this.rt)]?.[t.name];
    return e && e.hash === tunableHash(t) ? e : undefined;
  }

  /** The cached choice of a case if it is valid (its entry current and the choice still a candidate). */
  private cached<P, C>(t: Tunable<P, C>, problem: P, key: string): { choice: C; ms: number } | undefined {
    const id = `${t.name}\n${key}`;
    let v = this.memo.get(id);
    if (v === undefined) {
      const hit = this.entry(t as Tunable<unknown, unknown>)?.choices[key];
      // Keys are chosen so that every case of a key has the same candidates: one check serves all.
      const valid = hit && t.candidates(this.rt, problem).find((c) => same(c, hit.choice));
      v = hit && valid !== undefined ? { choice: valid, ms: hit.ms } : null;
      this.memo.set(id, v);
    }
    return v === null ? undefined : (v as { choice: C; ms: number });
  }

  /**
   * The choice for a case, synchronously (what a kernel call uses): `fixed` mode gives the fixed
   * table; otherwise a valid cached (or tuned) choice, else the fixed table, and in `auto` mode the
   * case is queued for {@link tunePending}.
   */
  choose<P, C>(t: Tunable<P, C>, problem: P): C {
    if (this.mode === 'fixed') return t.fixed(this.rt, problem);
    const key = t.key(this.rt, problem);
    const hit = this.cached(t, problem, key);
    if (hit) {
      this.stats.cacheHits++;
      return hit.choice;
    }
    if (this.mode === 'auto') this.pending.set(`${t.name}\n${key}`, { tunable: t as Tunable<unknown, unknown>, problem });
    return t.fixed(this.rt, problem);
  }

  /** Cases queued by {@link choose} in `auto` mode and not tuned yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Tunes every queued case (auto mode); returns how many were timed. */
  async tunePending(): Promise<number> {
    let n = 0;
    for (const [id, { tunable, problem }] of [...this.pending]) {
      this.pending.delete(id);
      if ((await this.tune(tunable, problem)).source === 'timed') n++;
    }
    return n;
  }

  /**
   * The choice for a case, timing the candidates if needed: in `auto` mode a case without a valid
   * cached choice is timed (within the budget) and the result saved; `cache` mode returns the
   * cached choice or the fixed one; `fixed` mode the fixed one. Flushes the runtime's batch first.
   */
  async tune<P, C>(t: Tunable<P, C>, problem: P): Promise<TuneResult<C>> {
    const key = t.key(this.rt, problem);
    if (this.mode === 'fixed') return { key, choice: t.fixed(this.rt, problem), source: 'fixed' };
    const hit = this.cached(t, problem, key);
    if (hit) {
      this.stats.cacheHits++;
      return { key, choice: hit.choice, source: 'cache', ms: hit.ms };
    }
    if (this.mode === 'cache') return { key, choice: t.fixed(this.rt, problem), source: 'fixed' };
    this.pending.delete(`${t.name}\n${key}`);
    const measured = await this.time(t, problem);
    const best = pickBest(measured, t.fixed(this.rt, problem));
    this.stats.tunings++;
    await this.record(t as Tunable<unknown, unknown>, key, best.candidate, best.ms);
    return { key, choice: best.candidate, source: 'timed', ms: best.ms, measured };
  }

  /** Saves a choice under this adapter and the tunable's current hash (a stale entry is replaced). */
  private async record(t: Tunable<unknown, unknown>, key: string, choice: unknown, ms: number): Promise<void> {
    // Re-read the store first, so that choices saved meanwhile by another process are kept.
    if (this.store) {
      try {
        this.file = (await this.store.load()) ?? this.file;
      } catch (e) {
        this.warnStore('read', e);
      }
    }
    this.memo.clear();
    const id = adapterId(this.rt);
    this.file.adapters[id] ??= {};
    const perAdapter = this.file.adapters[id];
    const hash = tunableHash(t);
    if (perAdapter[t.name]?.hash !== hash) perAdapter[t.name] = { hash, choices: {} };
    perAdapter[t.name].choices[key] = { choice, ms: Number(ms.toPrecision(4)) };
    if (!this.store) return;
    // A cache that cannot be written (a read-only folder, a full disk) costs the next run its timing,
    // not this run its choice: the choice is kept in memory either way.
    try {
      await this.store.save(this.file);
    } catch (e) {
      this.warnStore('write', e);
    }
  }

  private storeWarned = false;

  /** Says once per tuner that the cache could not be read or written. */
  private warnStore(what: 'read' | 'write', e: unknown): void {
    if (this.storeWarned) return;
    this.storeWarned = true;
    console.warn(`tuner: could not ${what} the tuning cache (${e instanceof Error ? e.message : String(e)}); choices stay in memory for this run`);
  }

  /** Measures the candidates of a case within the budget; returns each measured one with its best ms per run. */
  private async time<P, C>(t: Tunable<P, C>, problem: P): Promise<{ candidate: C; ms: number }[]> {
    const rt = this.rt;
    await rt.sync();
    const candidates = t.candidates(rt, problem);
    if (candidates.length === 0) throw new ArgumentError(`tune ${t.name}: no candidate for case ${t.key(rt, problem)}`);
    const prepared = t.prepare(rt, problem);
    const t0 = performance.now();
    const over = (): boolean => performance.now() - t0 > this.budgetMs;
    const results: { candidate: C; ms: number }[] = [];
    try {
      // Pass 1: compile and warm up each candidate, then one measured sample. A candidate the
      // device refuses (e.g. more workgroup memory than it has) is skipped.
      const refused: string[] = [];
      for (const c of candidates) {
        if (results.length > 0 && over()) break;
        try {
          prepared.run(c);
          await rt.sync();
          results.push({ candidate: c, ms: await this.sample(prepared, c) });
        } catch (e) {
          refused.push(`${JSON.stringify(c)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (results.length === 0) throw new ArgumentError(`tune ${t.name}: every candidate failed on this device: ${refused.join('; ')}`);
      // Pass 2: more samples of the three fastest, while the budget lasts (the two fastest get a
      // second one in any case: one sample on a shared machine is not enough); each keeps its best.
      const top = [...results].sort((x, y) => x.ms - y.ms).slice(0, 3);
      for (let round = 0; round < 3; round++) {
        for (const [i, r] of top.entries()) {
          if (over() && (round > 0 || i > 1)) break;
          r.ms = Math.min(r.ms, await this.sample(prepared, r.candidate));
        }
      }
    } finally {
      prepared.dispose();
    }
    return results;
  }

  /** Milliseconds of one run of a candidate (one sample). */
  private async sample<C>(prepared: PreparedCase<C>, c: C): Promise<number> {
    this.stats.timedRuns++;
    const rt = this.rt;
    if (this.clock === 'timestamp') {
      const profile = await rt.profile(() => prepared.run(c), { timestamps: true });
      const ns = profile.dispatches.reduce((s, d) => (s === null || d.gpuNs === null ? null : s + d.gpuNs), 0 as number | null);
      profile.dispose();
      // Timestamps are quantized (Dawn: 2¹⁶ ns): a run below two quanta is timed on the wall clock instead.
      if (ns !== null && ns > 2 * 65536) return ns / 1e6;
    }
    const w0 = performance.now();
    prepared.run(c);
    await rt.sync();
    return performance.now() - w0;
  }
}

/** The runtime's tuner, if {@link configureTuner} set one (a service of the runtime). */
interface TunerSlot {
  tuner?: Tuner;
}

const TUNER = serviceKey<TunerSlot>('tuner');

/**
 * A tuner for `rt` that kernel calls do not consult (their choices stay as they are): for
 * benchmarks that compare tuned choices with the fixed tables side by side, passing the choices
 * explicitly (e.g. `matmul(a, b, opts, tuning)`).
 */
export function createTuner(rt: Runtime, options: TunerOptions = {}): Promise<Tuner> {
  return Tuner.create(rt, options);
}

/**
 * Sets how kernels on `rt` choose their knobs (see the file's comment for the modes) and loads the
 * cached choices. Without a call, a runtime uses the fixed tables (the same as `mode: 'fixed'`).
 * Calling it again replaces the runtime's tuner.
 */
export async function configureTuner(rt: Runtime, options: TunerOptions = {}): Promise<Tuner> {
  const t = await createTuner(rt, options);
  rt.service(TUNER, (): TunerSlot => ({})).tuner = t;
  return t;
}

/** The runtime's tuner, or undefined when {@link configureTuner} was never called (fixed tables). */
export function tunerOf(rt: Runtime): Tuner | undefined {
  return rt.findService(TUNER)?.tuner;
}

/**
 * The choice a kernel call uses on `rt` for a case of `t`: the runtime's tuner's
 * ({@link Tuner.choose}), or `t`'s fixed table when {@link configureTuner} was never called.
 * Throws if `t` is not the tunable registered under its name (kernel calls consult only those).
 */
export function chooseOn<P, C>(rt: Runtime, t: Tunable<P, C>, problem: P): C {
  if (registry.get(t.name) !== t) {
    throw new ArgumentError(
      `the tunable "${t.name}" is not registered${registry.has(t.name) ? ' (another tunable holds its name)' : ''}: call registerTunable where it is defined`,
    );
  }
  const tuner = tunerOf(rt);
  return tuner ? tuner.choose(t, problem) : t.fixed(rt, problem);
}

/** A registered tunable by name; throws naming the registered ones when there is none. */
export function tunable<P, C>(name: string): Tunable<P, C> {
  const t = registry.get(name) as Tunable<P, C> | undefined;
  if (!t) {
    const known = [...registry.keys()];
    throw new ArgumentError(
      `no tunable named "${name}" is registered (registered: ${known.length ? known.join(', ') : 'none'}; a kernel registers its tunable where it defines it, with registerTunable)`,
    );
  }
  return t;
}
