/**
 * Work in flight is bounded (the runtime promises it), checked against the runtime's own counters and the
 * process's resident memory:
 * - 20,000 steps of a hand-written tape loop (zeroGrads, forward, backward, opt.step()) that never
 *   awaits run to the end, with and without rt.flush() each step, and grow native memory by no
 *   more than a submit's command buffer and uniforms per submit plus half of what one bind group per
 *   dispatch would add (measured on this adapter in the same file); steady steps create no bind group;
 * - a loop that awaits rt.ready() each step keeps at most 2 submits in flight;
 * - rt.ready() submits the batch and waits until few enough submits are unfinished;
 * - past maxSubmitsInFlight, recording throws BackpressureError, records nothing, and an await of
 *   rt.ready() lets the loop go on;
 * - the bind-group cache gives bit-identical parameters with and without it, and lets go of the
 *   buffers the pool destroys.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BackpressureError, DeviceLostError, Runtime, ag, chain, constant, createMlp, scale, sgd, tidy } from '../../engine/index';
import { firstBitDiff, useRuntime } from '../helpers/gpu';

const STEPS = 20_000;
const BATCH = 8;
const SIZES = [16, 16, 4];
/** Native bytes a never-awaiting loop may keep per submit (see the bound in the first test). */
const SUBMIT_BYTES = 16 * 1024;

/** A small MLP, its optimizer and one fixed batch: a step is ~15 dispatches, cheap on SwiftShader. */
function setup(rt: Runtime, seed = 1) {
  const model = createMlp(rt, { sizes: SIZES, seed });
  const opt = chain(sgd({ lr: 0.01 })).init(model.arena);
  const x = rt.tensor(
    Float32Array.from({ length: BATCH * SIZES[0] }, (_, i) => Math.sin(i)),
    [BATCH, SIZES[0]],
  );
  const classes = SIZES[SIZES.length - 1];
  const y = rt.tensor(
    Float32Array.from({ length: BATCH * classes }, (_, i) => (i % classes === Math.floor(i / classes) % classes ? 1 : 0)),
    [BATCH, classes],
  );
  const step = (s: number) =>
    tidy(() => {
      model.zeroGrads();
      const loss = ag.softmaxCrossEntropy(model.forward(constant(x), { training: true, step: s }), y);
      ag.backward(loss);
      loss.dispose();
      opt.step();
    });
  const dispose = () => {
    x.dispose();
    y.dispose();
    model.dispose();
  };
  return { model, step, dispose };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Bytes of resident memory the process holds after a full JS garbage collection (so mostly native). */
const rss = () => {
  gc();
  return process.memoryUsage().rss;
};

describe('backpressure', () => {
  const rt = useRuntime();

  it('20,000 never-awaiting steps complete, growing per submit, not per dispatch', async () => {
    const r = rt();
    // What one bind group costs on this adapter when the loop never yields (Dawn frees them only
    // when the device ticks): measured here, so the bound below holds on each adapter it runs on.
    const kernel = r.kernel('elementwise');
    const layout = kernel.entry(kernel.entryNames[0]).layout;
    const probe = r.empty([64]);
    const resources = kernel
      .entry(kernel.entryNames[0])
      .bindings.map((b) =>
        b.kind === 'uniform'
          ? { binding: b.binding, resource: { buffer: r.device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM }), size: 256 } }
          : { binding: b.binding, resource: probe.binding() },
      );
    await r.sync();
    const g0 = rss();
    const probes = 20_000;
    for (let i = 0; i < probes; i++) r.device.createBindGroup({ layout, entries: resources });
    const bindGroupBytes = (rss() - g0) / probes;
    await r.sync();
    probe.dispose();

    for (const flushEachStep of [true, false]) {
      const { step, dispose } = setup(r);
      for (let s = 0; s < 50; s++) step(s);
      await r.sync();
      const w0 = r.workStats();
      const b0 = r.bindGroupStats();
      const m0 = rss();
      for (let s = 0; s < STEPS; s++) {
        step(s);
        if (flushEachStep) r.flush();
      }
      const grown = rss() - m0;
      const w1 = r.workStats();
      const created = r.bindGroupStats().created - b0.created;
      await r.sync();
      const dispatchesPerStep = (w1.dispatches - w0.dispatches) / STEPS;
      const submitsPerStep = (w1.submits - w0.submits) / STEPS;
      // The bound: until the device ticks, Dawn keeps each submit's command buffer and its uniform
      // upload (measured 7 KB per submit of this step on lavapipe, 11 KB on SwiftShader: README), so
      // SUBMIT_BYTES per submit, plus half a bind group per dispatch: a runtime that made a bind
      // group per dispatch would add a whole one.
      const bound = STEPS * (submitsPerStep * SUBMIT_BYTES + (dispatchesPerStep * bindGroupBytes) / 2);
      expect(dispatchesPerStep).toBeGreaterThan(5);
      expect(bindGroupBytes).toBeGreaterThan(0);
      expect(grown, `flush each step: ${flushEachStep}`).toBeLessThan(bound);
      // Steps bind the buffers of earlier steps: after the warm-up, bind groups are (nearly) all hits.
      expect(created, `flush each step: ${flushEachStep}`).toBeLessThan((w1.dispatches - w0.dispatches) / 1000);
      expect(r.submitsInFlight).toBe(0);
      dispose();
    }
  }, 600_000);

  it('a loop that awaits rt.ready() each step keeps at most 2 submits in flight and creates no bind group', async () => {
    const r = rt();
    const { step, dispose } = setup(r, 2);
    for (let s = 0; s < 200; s++) {
      step(s);
      await r.ready();
    }
    const b0 = r.bindGroupStats();
    let most = 0;
    for (let s = 0; s < 1000; s++) {
      step(s);
      await r.ready();
      most = Math.max(most, r.submitsInFlight);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(r.bindGroupStats().created).toBe(b0.created);
    expect(r.bindGroupStats().hits).toBeGreaterThan(b0.hits);
    dispose();
  }, 300_000);

  it('rt.ready() submits the recorded batch and waits down to its bound', async () => {
    const r = rt();
    await r.sync();
    const x = r.tensor([1, 2, 3]);
    const submits0 = r.workStats().submits;
    const outs = [];
    for (let i = 0; i < 6; i++) {
      outs.push(scale(x, i));
      r.flush();
    }
    // Without a turn of the event loop nothing can be seen to finish: every submit counts.
    expect(r.submitsInFlight).toBe(6);
    outs.push(scale(x, 10)); // recorded, not submitted
    await r.ready(3);
    expect(r.workStats().submits - submits0).toBe(7);
    expect(r.submitsInFlight).toBeLessThanOrEqual(3);
    await r.ready(0);
    expect(r.submitsInFlight).toBe(0);
    expect(Array.from(await outs[6].toArray())).toEqual([10, 20, 30]);
    await expect(r.ready(-1)).rejects.toThrow(/maxInFlight must be an integer >= 0, got -1/);
    for (const t of [x, ...outs]) t.dispose();
  });

  it('past maxSubmitsInFlight, recording throws BackpressureError and records nothing', async () => {
    const r = rt();
    await r.sync();
    expect(() => {
      r.maxSubmitsInFlight = 0;
    }).toThrow(/positive integer, got 0/);
    const saved = r.maxSubmitsInFlight;
    r.maxSubmitsInFlight = 4;
    try {
      const x = r.tensor([1, 2]);
      const outs = [];
      for (let i = 0; i < 4; i++) {
        outs.push(scale(x, 2));
        r.flush();
      }
      const before = r.workStats();
      let error: unknown;
      try {
        outs.push(scale(x, 3));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BackpressureError);
      const bp = error as BackpressureError;
      expect(bp.code).toBe('BACKPRESSURE');
      expect(bp.inFlight).toBe(4);
      expect(bp.limit).toBe(4);
      expect(bp.message).toMatch(/elementwise\.wgsl/);
      expect(bp.message).toMatch(/await rt\.ready\(\)/);
      expect(r.workStats().dispatches).toBe(before.dispatches);
      // A read-back is a remedy, not more work in flight: it is allowed at the bound and drains it.
      expect(Array.from(await outs[3].toArray())).toEqual([2, 4]);
      expect(r.submitsInFlight).toBe(0);
      await r.ready();
      const y = scale(x, 3);
      expect(Array.from(await y.toArray())).toEqual([3, 6]);
      for (const t of [x, y, ...outs]) t.dispose();
    } finally {
      r.maxSubmitsInFlight = saved;
    }
  });

  it('rt.ready() on a destroyed runtime rejects with DeviceLostError', async () => {
    const other = await Runtime.create();
    other.destroy();
    await expect(other.ready()).rejects.toBeInstanceOf(DeviceLostError);
  });

  it('the bind-group cache changes no bit of a training run', async () => {
    const r = rt();
    const train = async (cacheSize: number) => {
      r.bindGroupCacheSize = cacheSize;
      const { model, step, dispose } = setup(r, 7);
      const b0 = r.bindGroupStats().created;
      const d0 = r.workStats().dispatches;
      for (let s = 0; s < 100; s++) {
        step(s);
        if (s % 10 === 0) r.flush();
      }
      const params = (await model.arena.values.toArray()) as Float32Array;
      const created = r.bindGroupStats().created - b0;
      const dispatches = r.workStats().dispatches - d0;
      dispose();
      return { params, created, dispatches };
    };
    const saved = r.bindGroupCacheSize;
    try {
      const off = await train(0);
      const on = await train(saved);
      expect(off.created).toBe(off.dispatches);
      expect(on.created).toBeLessThan(off.created / 2);
      expect(on.params.length).toBe(off.params.length);
      expect(firstBitDiff(on.params, off.params)).toBe(-1);
    } finally {
      r.bindGroupCacheSize = saved;
    }
  });

  it('the cache lets go of every buffer the pool destroys', async () => {
    const r = rt();
    await r.sync();
    const x = r.tensor(new Float32Array(64).fill(1));
    // Twice as many outputs of one size as the pool keeps (32 per bucket): disposing them makes it
    // submit at 32 pending and destroy what no longer fits.
    const outs = Array.from({ length: 72 }, () => scale(x, 2));
    const destroyed = new Set<GPUBuffer>();
    for (const t of outs) {
      const buf = t.buffer;
      expect(r.bindGroupsHold(buf)).toBe(true);
      const destroy = buf.destroy.bind(buf);
      buf.destroy = () => {
        destroyed.add(buf);
        destroy();
      };
    }
    for (const t of outs) t.dispose();
    await r.sync();
    expect(destroyed.size).toBeGreaterThan(0);
    for (const buf of destroyed) expect(r.bindGroupsHold(buf)).toBe(false);
    x.dispose();
  });
});
