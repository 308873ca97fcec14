/**
 * Shaders compiled at first use and pipelines made ahead (engine/runtime/shader-registry.ts,
 * engine/runtime/prepare.ts), read through `rt.pipelineStats()`:
 * - a fresh runtime has compiled nothing; a dispatch compiles exactly its shader;
 * - `prepare` of listed pipelines resolves with them made asynchronously, and the work that follows
 *   creates none synchronously; its results equal, bit for bit, those of a runtime that never
 *   prepared, and the CPU's f32 operations;
 * - a compile error and a refused pipeline reject `prepare` naming the file, line or entry point;
 * - the bench-only kernels are not in the library's registry until registered.
 * Each case opens its own runtime (creation compiles nothing, so it is cheap).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useBenchKernels } from '../../bench/kernels';
import { add, fill, GpuError, KernelBindingError, mul, PipelineError, relu, Runtime, ShaderCompileError, scale } from '../../engine/index';
import { randomArray } from '../helpers/gpu';

const open: Runtime[] = [];
async function fresh(): Promise<Runtime> {
  const rt = await Runtime.create();
  open.push(rt);
  return rt;
}
afterEach(() => {
  for (const rt of open.splice(0)) rt.destroy();
});

/** The elementwise ops' pipelines (engine/ops/elementwise.ts dispatches them with WG 256). */
const ELEMENTWISE = ['add', 'mul', 'scale', 'relu', 'fill'].map((entry) => ({ shader: 'elementwise', entry, overrides: { WG: 256 } }) as const);

/** A few elementwise ops on fixed data; returns the result and the pipelines they created synchronously. */
async function work(rt: Runtime): Promise<{ out: Float32Array; syncInWork: number }> {
  const before = rt.pipelineStats().sync;
  const a = rt.tensor(randomArray(1000, 1));
  const b = rt.tensor(randomArray(1000, 2));
  const out = (await relu(add(mul(a, b), scale(fill(rt.empty([1000]), 0.25), -3))).toArray()) as Float32Array;
  return { out, syncInWork: rt.pipelineStats().sync - before };
}

describe('lazy shader compilation and rt.prepare', () => {
  it('a fresh runtime has compiled nothing; a dispatch compiles exactly its shader, synchronously', async () => {
    const rt = await fresh();
    expect(rt.pipelineStats()).toEqual({ shaders: [], modules: 0, pipelines: 0, sync: 0, async: 0, pending: 0 });
    const a = randomArray(100, 9);
    const got = await scale(rt.tensor(a), 3).toArray();
    // One IEEE f32 multiplication per element: Math.fround of the f64 product, exactly.
    expect([...got]).toEqual([...a].map((v) => Math.fround(3 * v)));
    const stats = rt.pipelineStats();
    expect(stats.shaders).toEqual(['elementwise']);
    expect([stats.modules, stats.sync, stats.async]).toEqual([1, 1, 0]);
    expect(rt.workStats().pipelines).toBe(1);
  });

  it('prepare makes listed pipelines asynchronously; the work then creates none, with results equal bit for bit', async () => {
    const prepared = await fresh();
    const plain = await fresh();
    expect(await prepared.prepare(ELEMENTWISE)).toEqual({ shaders: 1, pipelines: 5 });
    expect(prepared.pipelineStats()).toMatchObject({ shaders: ['elementwise'], sync: 0, async: 5, pending: 0 });
    expect(prepared.workStats().pipelines).toBe(5);
    const withPrepare = await work(prepared);
    expect(withPrepare.syncInWork).toBe(0);
    const without = await work(plain);
    expect(without.syncInWork).toBe(5);
    expect(withPrepare.out).toEqual(without.out);
    // And both are the f32 operations the CPU does (each op one IEEE rounding).
    const a = randomArray(1000, 1);
    const b = randomArray(1000, 2);
    const f = Math.fround;
    expect([...withPrepare.out]).toEqual([...a].map((x, i) => Math.max(f(f(x * b[i]) + f(-3 * 0.25)), 0)));
  });

  it('a listed shader compiles its module only; a listed entry point and constants make that pipeline', async () => {
    const rt = await fresh();
    expect(await rt.prepare(['unary'])).toEqual({ shaders: 1, pipelines: 0 });
    expect(rt.pipelineStats()).toMatchObject({ shaders: ['unary'], modules: 1, pipelines: 0 });
    const spec = { shader: 'elementwise', entry: 'fill', overrides: { WG: 64 } } as const;
    expect(await rt.prepare([spec, spec])).toEqual({ shaders: 1, pipelines: 1 });
    expect(rt.kernel('elementwise').hasPipeline('fill', { WG: 64 })).toBe(true);
    expect(rt.pipelineStats()).toMatchObject({ sync: 0, async: 1 });
  });

  it('a WGSL compile error rejects prepare with the file and line', async () => {
    const rt = await fresh();
    // Line 4 names a variable that does not exist: the parser reflects it, the compiler refuses it.
    const source = `@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(1)
fn main() {
  y[0] = no_such_value;
}
`;
    await rt.registerShaders({ broken_kernel: { source } });
    const err = await rt.prepare(['broken_kernel' as never]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    const e = err as ShaderCompileError;
    expect([e.file, e.line]).toEqual(['shaders/broken_kernel.wgsl', 4]);
    expect(e.message).toContain('no_such_value');
    expect(rt.pipelineStats().shaders).toEqual([]);
  });

  it('a pipeline the device refuses rejects prepare naming the file, entry point and constants, as the synchronous path reports it', async () => {
    const rt = await fresh();
    // A workgroup size of 0 is invalid: the pipeline cannot be created.
    const err = await rt.prepare([{ shader: 'elementwise', entry: 'fill', overrides: { WG: 0 } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toBeInstanceOf(GpuError);
    const e = err as PipelineError;
    expect([e.file, e.entry, e.overrides]).toEqual(['shaders/elementwise.wgsl', 'fill', { WG: 0 }]);
    expect(e.message).toContain('shaders/elementwise.wgsl @compute fill {"WG":0}');
    // The same pipeline made at a dispatch: the same error, at the next sync.
    const out = rt.empty([4]);
    rt.dispatch({ shader: 'elementwise', entry: 'fill', overrides: { WG: 0 }, uniforms: { n: 4, alpha: 1 }, bindings: { out }, workgroups: [1] });
    const later = await rt.sync().catch((x: unknown) => x);
    expect(later).toBeInstanceOf(PipelineError);
    expect((later as PipelineError).message).toContain('shaders/elementwise.wgsl @compute fill {"WG":0}');
    // The runtime stays usable.
    expect([...(await scale(rt.tensor([1, 2]), 2).toArray())]).toEqual([2, 4]);
  });

  it('the bench-only kernels are not in the library registry until registered, then compile at first use', async () => {
    const rt = await fresh();
    const out = rt.empty([64]);
    const fma = () =>
      rt.dispatch({ shader: 'fma_peak', entry: 'fma_peak', overrides: { WG: 64 }, uniforms: { iters: 2, seed: 0.5 }, bindings: { out }, workgroups: [1] });
    expect(fma).toThrow(KernelBindingError);
    expect(fma).toThrow(/useBenchKernels/);
    await useBenchKernels(rt);
    await useBenchKernels(rt); // again: a no-op
    expect(rt.pipelineStats().shaders).toEqual([]);
    fma();
    await rt.sync();
    expect(rt.pipelineStats().shaders).toEqual(['fma_peak']);
    await expect(rt.registerShaders({ fma_peak: { source: '@compute @workgroup_size(1) fn main() {}' } })).rejects.toThrow(/already a shader of this runtime/);
  });
});
