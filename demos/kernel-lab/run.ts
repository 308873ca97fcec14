/**
 * One Run of the page, on the visitor's GPU: compile (compiler messages come back by line),
 * check against the CPU reference, then time the kernel and the engine's kernel for the same op,
 * sample by sample in turn (GPU timestamps where the adapter has them). Everything awaited on the
 * GPU is raced against the run's time budget: a kernel that hangs or runs far too long is given up
 * on, the runtime is replaced (its device destroyed, which ends the work in flight), and the page
 * stays usable.
 */
import { EngineError, Runtime, ShaderCompileError } from 'webgpu-regularization';
import type { LabCheck } from '../../bench/lab/check';
import { ceilingImpls, engineStep, recordedImpl, type Impl } from '../../bench/lab/impls';
import { checkLab, prepareLab, type LabSource, type PreparedLab } from '../../bench/lab/runner';
import type { KernelSpec, LabParams } from '../../bench/lab/spec';
import { median } from '../../bench/timing';
import type { LineMessage } from './editor';

/** One implementation's timing. */
export interface Timed {
  impl: string;
  medianMs: number;
  bestMs: number;
  worstMs: number;
  clock: 'gpu' | 'wall';
  gflops: number;
  gbps: number;
}

/** What a Run gives. */
export interface RunResult {
  compileErrors?: LineMessage[];
  error?: string;
  /** Set when the time budget stopped the run: says where. */
  stopped?: string;
  check?: LabCheck;
  got?: Record<string, ArrayLike<number>>;
  work?: { flops: number; bytes: number };
  timed: Timed[];
}

/** The adapter's ceilings, measured once per runtime. */
export interface Ceilings {
  gflops: number;
  gbps: number;
}

/** Thrown when the budget runs out. */
class BudgetExceeded extends Error {}

/** Holds the page's runtime and replaces it after a run was stopped. */
export class LabRunner {
  private ceilingsMeasured: Ceilings | null = null;
  private resets = 0;

  constructor(public rt: Runtime) {
    // Destroying a device with work in flight rejects that work's pending buffer mappings
    // (AbortError), after the run that awaited them was given up on: expected, not a page error.
    window.addEventListener('unhandledrejection', (ev) => {
      if (this.resets > 0 && ev.reason instanceof DOMException && ev.reason.name === 'AbortError') ev.preventDefault();
    });
  }

  /** FMA and copy ceilings (a few samples each; cached until the runtime is replaced). */
  async ceilings(quick: boolean): Promise<Ceilings> {
    if (this.ceilingsMeasured) return this.ceilingsMeasured;
    const [fma, copy] = await ceilingImpls(this.rt, quick ? 5 : 50, quick ? 3 : 100, quick);
    const best = async (impl: Impl, per: 'flops' | 'bytes'): Promise<number> => {
      const ms: number[] = [];
      for (let s = 0; s < 3; s++) {
        const m = await impl.sample();
        ms.push(m.gpuMs ?? m.wallMs);
      }
      impl.dispose();
      return impl.work[per] / (median(ms) * 1e6);
    };
    this.ceilingsMeasured = { gflops: await best(fma, 'flops'), gbps: await best(copy, 'bytes') };
    return this.ceilingsMeasured;
  }

  /** Compiles, checks and times `spec` with `source` (see the file's comment). */
  async run(spec: KernelSpec, params: LabParams, source: LabSource, o: { quick: boolean; budgetMs: number; log(s: string): void }): Promise<RunResult> {
    const deadline = performance.now() + o.budgetMs;
    let where = 'compiling';
    const within = <T>(p: Promise<T>): Promise<T> => {
      const left = deadline - performance.now();
      if (left <= 0) return Promise.reject(new BudgetExceeded());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new BudgetExceeded()), left);
      });
      return Promise.race([p, stop]).finally(() => clearTimeout(timer));
    };
    let lab: PreparedLab | undefined;
    const impls: Impl[] = [];
    try {
      lab = await within(prepareLab(this.rt, spec, params, source));
      where = 'checking against the CPU reference';
      o.log(where);
      const { check, got } = await within(checkLab(this.rt, lab));
      const work = spec.work(lab.params);
      const result: RunResult = { check, got, work, timed: [] };
      where = 'timing';
      o.log(where);
      const target = o.quick ? 5 : 100;
      const maxIters = o.quick ? 3 : 200;
      impls.push(await within(recordedImpl(this.rt, 'lab', lab.step, work, target, maxIters)));
      const engine = engineStep(this.rt, spec.op ?? 'custom', lab.params);
      if (engine) impls.push(await within(recordedImpl(this.rt, 'engine', engine.step, work, target, maxIters, engine.dispose)));
      const ms: number[][] = impls.map(() => []);
      let gpu = true;
      for (let s = 0; s < (o.quick ? 3 : 7); s++) {
        for (const [i, impl] of impls.entries()) {
          const m = await within(impl.sample());
          gpu &&= m.gpuMs !== null;
          ms[i].push(m.gpuMs ?? m.wallMs);
        }
      }
      result.timed = impls.map((impl, i) => {
        const med = median(ms[i]);
        return {
          impl: impl.impl,
          medianMs: med,
          bestMs: Math.min(...ms[i]),
          worstMs: Math.max(...ms[i]),
          clock: gpu ? 'gpu' : 'wall',
          gflops: work.flops / (med * 1e6),
          gbps: work.bytes / (med * 1e6),
        };
      });
      return result;
    } catch (e) {
      if (e instanceof ShaderCompileError) {
        return { compileErrors: e.messages.filter((m) => m.type !== 'info').map((m) => ({ ...m, line: Math.max(1, m.line) })), timed: [] };
      }
      if (e instanceof BudgetExceeded) {
        await this.replaceRuntime();
        return {
          stopped: `Stopped while ${where}: the run took more than its time budget of ${(o.budgetMs / 1000).toFixed(1)} s. The GPU device was reset; edit the kernel or the sizes and run again.`,
          timed: [],
        };
      }
      // The engine's stable code, not the class name, which the production build's minifier shortens.
      const kind = e instanceof EngineError ? e.code : e instanceof Error ? e.name : '';
      return { error: e instanceof Error ? `${kind}: ${e.message}` : String(e), timed: [] };
    } finally {
      try {
        for (const impl of impls) impl.dispose();
        lab?.dispose();
      } catch {
        // After a stopped run the old runtime is destroyed, and its buffers with it.
      }
    }
  }

  /** Destroys the runtime (ending its device's work in flight) and opens a new one. */
  private async replaceRuntime(): Promise<void> {
    const old = this.rt;
    this.ceilingsMeasured = null;
    this.resets++;
    old.destroy();
    this.rt = await Runtime.create();
  }
}
