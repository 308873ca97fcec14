/**
 * The runtime's per-dispatch profiler (engine/runtime/profile.ts), on lavapipe (which has
 * `timestamp-query`). Checked against what the call sites recorded: one entry per dispatch with
 * the WGSL file, entry point, grid, uniforms and the byte size and access mode of each binding
 * (from the shader's reflection); submits and dispatches equal to the runtime's own counters; the
 * results of profiled work equal to the CPU (profiling must not change what runs); one compute pass
 * per dispatch only while profiling, the usual single pass otherwise; replayed dispatches time
 * positive on both clocks; retained buffers return to the pool on dispose.
 * Times are not compared to any figure: they depend on the load of the machine; only their sign,
 * and the presence of timestamps, are checked.
 */
import { describe, expect, it } from 'vitest';
import { add, fill, matmul, scale, type Runtime } from '../../engine/index';
import { maxAbsDiff, randomArray, useRuntime } from '../helpers/gpu';

/** Counts the compute passes begun on the runtime's current command encoder. */
function countPasses(rt: Runtime): { passes: number } {
  const enc = rt.commandEncoder();
  const counter = { passes: 0 };
  const begin = enc.beginComputePass.bind(enc);
  enc.beginComputePass = (d?: GPUComputePassDescriptor) => {
    counter.passes++;
    return begin(d);
  };
  return counter;
}

describe('profiling', () => {
  const rt = useRuntime();

  it('is off by default: dispatches share one compute pass', async () => {
    expect(rt().profiling).toBe(false);
    const x = rt().tensor(randomArray(1000, 1));
    await rt().sync();
    const counter = countPasses(rt());
    const a = scale(x, 2);
    const b = add(a, x);
    const c = scale(b, 0.5);
    expect(counter.passes).toBe(1);
    await rt().sync();
    for (const t of [x, a, b, c]) t.dispose();
  });

  it('records one entry per dispatch with its file, entry, grid, uniforms and bindings, and one pass each', async () => {
    const n = 1000;
    const xs = randomArray(n, 2);
    const x = rt().tensor(xs);
    await rt().sync();
    const w0 = rt().workStats();
    let counter = { passes: 0 };
    let y: ReturnType<typeof scale> | undefined;
    const profile = await rt().profile(() => {
      counter = countPasses(rt());
      const a = scale(x, 3);
      y = add(a, x);
      a.dispose();
    });
    const w1 = rt().workStats();
    expect(counter.passes).toBe(2);
    expect(profile.dispatches.length).toBe(w1.dispatches - w0.dispatches);
    expect(profile.submits).toBe(w1.submits - w0.submits);
    expect(profile.submits).toBe(1);
    const [d0, d1] = profile.dispatches;
    expect(d0).toMatchObject({
      index: 0,
      file: 'shaders/elementwise.wgsl',
      entry: 'scale',
      grid: [4, 1, 1],
      uniforms: { n, alpha: 3 },
      overrides: { WG: 256 },
    });
    expect(d0.bindings).toEqual([
      { name: 'a', bytes: 4 * n, access: 'read' },
      { name: 'out', bytes: 4 * n, access: 'read-write' },
    ]);
    expect(d1).toMatchObject({ index: 1, file: 'shaders/elementwise.wgsl', entry: 'add', grid: [4, 1, 1] });
    expect(d1.bindings.map((b) => b.name).sort()).toEqual(['a', 'b', 'out']);
    // Profiling changes passes, not results: 3x + x, one f32 op each, exact.
    const got = await y!.toArray();
    expect(
      maxAbsDiff(
        got,
        xs.map((v) => Math.fround(Math.fround(3 * v) + v)),
      ),
    ).toBe(0);
    // lavapipe has timestamp-query: every dispatch has a time (quantized, so possibly 0).
    expect(profile.clock).toBe('timestamp');
    for (const d of profile.dispatches) expect(d.gpuNs).toBeGreaterThanOrEqual(0);
    expect(rt().profiling).toBe(false);
    profile.dispose();
    x.dispose();
    y!.dispose();
  });

  it('sums to a positive GPU time for real work, and leaves the runtime unprofiled afterwards', async () => {
    const a = rt().tensor(randomArray(256 * 256, 3), [256, 256]);
    const b = rt().tensor(randomArray(256 * 256, 4), [256, 256]);
    const profile = await rt().profile(() => {
      for (let i = 0; i < 4; i++) matmul(a, b).dispose();
    });
    expect(profile.dispatches.map((d) => d.file)).toEqual(Array(4).fill('shaders/matmul.wgsl'));
    const total = profile.dispatches.reduce((s, d) => s + (d.gpuNs ?? 0), 0);
    expect(total).toBeGreaterThan(0);
    const counter = countPasses(rt());
    matmul(a, b).dispose();
    matmul(a, b).dispose();
    expect(counter.passes).toBe(1);
    await rt().sync();
    profile.dispose();
    a.dispose();
    b.dispose();
  });

  it('without timestamps: no times, and the same records', async () => {
    const x = rt().tensor(randomArray(64, 5));
    const profile = await rt().profile(() => fill(rt().empty([64]), 1).dispose(), { timestamps: false });
    expect(profile.clock).toBe('none');
    expect(profile.dispatches).toHaveLength(1);
    expect(profile.dispatches[0]).toMatchObject({ entry: 'fill', gpuNs: null });
    await expect(profile.replay(0)).rejects.toThrow(/replayable/);
    profile.dispose();
    x.dispose();
  });

  it('replays a dispatch alone on both clocks, and gives its buffers back on dispose', async () => {
    const x = rt().tensor(randomArray(1 << 16, 6));
    await rt().sync();
    const before = rt().memoryStats();
    const profile = await rt().profile(
      () => {
        const a = scale(x, 2);
        const b = add(a, x);
        a.dispose();
        b.dispose();
      },
      { replayable: true },
    );
    // a and b are disposed, but the profile keeps their buffers for replay.
    expect(rt().memoryStats().liveBuffers).toBe(before.liveBuffers + 2);
    const ts = await profile.replay(1, { reps: 8, samples: 2 });
    const wall = await profile.replay(1, { clock: 'wall', samples: 2, targetMs: 2 });
    expect(ts).toBeGreaterThan(0);
    expect(wall).toBeGreaterThan(0);
    await expect(profile.replay(2)).rejects.toThrow(/no dispatch #2/);
    profile.dispose();
    await rt().sync();
    expect(rt().memoryStats().liveBuffers).toBe(before.liveBuffers);
    await expect(profile.replay(0)).rejects.toThrow(/disposed/);
    x.dispose();
  });

  it('refuses nested profiles and a stop without a start; a throwing function drops its profile', async () => {
    rt().startProfile();
    expect(() => rt().startProfile()).toThrow(/already recording/);
    (await rt().stopProfile()).dispose();
    await expect(rt().stopProfile()).rejects.toThrow(/no profile is recording/);
    const x = rt().tensor(randomArray(16, 7));
    await expect(
      rt().profile(() => {
        scale(x, 2).dispose();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(rt().profiling).toBe(false);
    expect(await scale(x, 2).toArray()).toEqual((await x.toArray()).map((v) => Math.fround(2 * v)));
    x.dispose();
  });
});
