/**
 * The parameter arena (engine/optim/arena.ts): layout (aligned, non-overlapping offsets), views
 * that alias the whole-arena tensors in both directions, zeroGrads in one dispatch, snapshot and
 * restore as single copies that round-trip bit for bit, the coefficient rules (biases 0 by
 * default, spec override, per-layer function), memory returned on dispose, and clear errors.
 * Everything here is a copy or a fill, so every comparison is exact.
 */
import { describe, expect, it } from 'vitest';
import { fill } from '../../engine/index';
import { ARENA_CHUNK, ParamArena, type ParamSpec } from '../../engine/optim/arena';
import { SGD } from '../../engine/optim/optimizers';
import { randomArray, useRuntime } from '../helpers/gpu';

const SPECS: ParamSpec[] = [
  { name: 'w1', shape: [13, 11], role: 'weight', layer: 0 },
  { name: 'b1', shape: [11], role: 'bias', layer: 0 },
  { name: 'w2', shape: [64], role: 'weight', layer: 1, l2: 0.25 },
  { name: 'b2', shape: [1], role: 'bias', layer: 1 },
  { name: 'w3', shape: [11, 7], role: 'weight', layer: 2 },
];

describe('ParamArena', () => {
  const rt = useRuntime();

  it('lays parameters out in order, each on an aligned chunk boundary, without overlap', () => {
    const arena = ParamArena.create(rt(), SPECS);
    const align = rt().device.limits.minStorageBufferOffsetAlignment / 4;
    let end = 0;
    for (const [k, p] of arena.params.entries()) {
      expect(p.index).toBe(k);
      expect(p.name).toBe(SPECS[k].name);
      expect(p.offset % ARENA_CHUNK).toBe(0);
      expect(p.offset % align).toBe(0);
      expect(p.offset).toBeGreaterThanOrEqual(end);
      expect(p.paddedSize).toBeGreaterThanOrEqual(p.size);
      expect(p.value.shape).toEqual(SPECS[k].shape);
      expect(p.grad.shape).toEqual(SPECS[k].shape);
      end = p.offset + p.paddedSize;
    }
    expect(arena.length).toBe(end);
    expect(arena.values.size).toBe(arena.length);
    arena.dispose();
  });

  it("chunk tables give each chunk its owner's end and coefficient (whole arena, and one parameter alone)", async () => {
    const arena = ParamArena.create(rt(), SPECS);
    const coef = arena.params.map((p) => 0.125 * (p.index + 1));
    const whole = arena.chunkTable(coef);
    const table = await whole.toArray();
    const asFloat = new Float32Array(table.buffer);
    expect(table.length).toBe((2 * arena.length) / ARENA_CHUNK);
    for (const p of arena.params) {
      for (let c = p.offset / ARENA_CHUNK; c < (p.offset + p.paddedSize) / ARENA_CHUNK; c++) {
        expect(table[2 * c]).toBe(p.offset + p.size);
        expect(asFloat[2 * c + 1]).toBe(coef[p.index]);
      }
    }
    const w3 = arena.param('w3');
    const alone = arena.chunkTable(coef, w3);
    const own = await alone.toArray();
    expect(own.length).toBe((2 * w3.paddedSize) / ARENA_CHUNK);
    for (let c = 0; c < own.length / 2; c++) {
      expect(own[2 * c]).toBe(w3.size);
      expect(new Float32Array(own.buffer)[2 * c + 1]).toBe(coef[w3.index]);
    }
    whole.dispose();
    alone.dispose();
    arena.dispose();
  });

  it('views alias the whole arena: setValues and view writes show in `values`, whole-arena writes show in views', async () => {
    const arena = ParamArena.create(rt(), SPECS);
    const data = new Map(arena.params.map((p) => [p.name, randomArray(p.size, 40 + p.index)]));
    for (const p of arena.params) arena.setValues(p.name, data.get(p.name)!);
    const all = await arena.values.toArray();
    for (const p of arena.params) {
      expect(Array.from(all.subarray(p.offset, p.offset + p.size))).toEqual(Array.from(data.get(p.name)!));
      expect(Array.from(all.subarray(p.offset + p.size, p.offset + p.paddedSize)).every((x) => x === 0)).toBe(true);
    }
    // A kernel writing through one gradient view changes exactly that range of `grads`.
    const w3 = arena.param('w3');
    fill(w3.grad, 2.5);
    const grads = await arena.grads.toArray();
    grads.forEach((x, i) => expect(x).toBe(i >= w3.offset && i < w3.offset + w3.size ? 2.5 : 0));
    // A write of the whole arena reads back through each view.
    const whole = randomArray(arena.length, 99);
    const src = rt().tensor(whole);
    rt().copy(src, arena.values);
    src.dispose();
    for (const p of arena.params) expect(Array.from(await p.value.toArray())).toEqual(Array.from(whole.subarray(p.offset, p.offset + p.size)));
    arena.dispose();
  });

  it('zeroGrads zeroes every gradient with one dispatch', async () => {
    const arena = ParamArena.create(rt(), SPECS);
    for (const p of arena.params) fill(p.grad, 1 + p.index);
    const d0 = rt().workStats().dispatches;
    arena.zeroGrads();
    expect(rt().workStats().dispatches - d0).toBe(1);
    expect((await arena.grads.toArray()).every((x) => x === 0)).toBe(true);
    arena.dispose();
  });

  it('snapshot and restore round-trip bit for bit, each with one copy and no dispatch', async () => {
    const arena = ParamArena.create(rt(), SPECS);
    for (const p of arena.params) arena.setValues(p.name, randomArray(p.size, 7 + p.index));
    const original = await arena.values.toArray();
    const d0 = rt().workStats().dispatches;
    const snap = arena.snapshot();
    expect(rt().workStats().dispatches).toBe(d0);
    // Move the weights away, then restore.
    const opt = new SGD(arena, { lr: 0.5, alpha: 0.1 });
    for (const p of arena.params) fill(p.grad, 1);
    opt.step();
    expect(Array.from(await arena.values.toArray())).not.toEqual(Array.from(original));
    const d1 = rt().workStats().dispatches;
    arena.restore(snap);
    expect(rt().workStats().dispatches).toBe(d1);
    expect(Array.from(await arena.values.toArray())).toEqual(Array.from(original));
    // The snapshot is independent of later changes to the arena.
    opt.step();
    arena.restore(snap);
    expect(Array.from(await arena.values.toArray())).toEqual(Array.from(original));
    snap.dispose();
    opt.dispose();
    arena.dispose();
  });

  it('coefficients: biases 0 and spec l2 override for a number; a per-layer function decides alone; L1 ignores l2', () => {
    const arena = ParamArena.create(rt(), SPECS);
    expect(arena.coefficients(0.01, 'l2')).toEqual([0.01, 0, 0.25, 0, 0.01]);
    expect(arena.coefficients(0.01, 'l1')).toEqual([0.01, 0, 0.01, 0, 0.01]);
    expect(arena.coefficients((p) => (p.role === 'bias' ? 0 : 0.1 * (Number(p.layer) + 1)), 'l2')).toEqual([0.1, 0, 0.2, 0, 0.1 * 3]);
    arena.dispose();
  });

  it('returns every tensor and buffer it held on dispose', async () => {
    await rt().sync();
    const before = rt().memoryStats();
    const arena = ParamArena.create(rt(), SPECS);
    expect(rt().memoryStats().liveTensors).toBeGreaterThan(before.liveTensors);
    arena.dispose();
    arena.dispose();
    await rt().sync();
    expect(rt().memoryStats().liveTensors).toBe(before.liveTensors);
    expect(rt().memoryStats().liveBuffers).toBe(before.liveBuffers);
  });

  it('rejects bad specs and bad calls with clear errors', () => {
    expect(() => ParamArena.create(rt(), [])).toThrow(/no parameters/);
    expect(() => ParamArena.create(rt(), [SPECS[0], SPECS[0]])).toThrow(/duplicate parameter name "w1"/);
    expect(() => ParamArena.create(rt(), [{ name: 'x', shape: [2, -1], role: 'weight', layer: 0 }])).toThrow(/x shape/);
    expect(() => ParamArena.create(rt(), [{ name: 'x', shape: [2], role: 'gain' as 'weight', layer: 0 }])).toThrow(/role "gain"/);
    expect(() => ParamArena.create(rt(), [{ name: 'x', shape: [2], role: 'weight', layer: 0, l2: -1 }])).toThrow(/l2 = -1/);
    const arena = ParamArena.create(rt(), SPECS);
    expect(() => arena.param('nope')).toThrow(/no parameter "nope" \(have: w1, b1, w2, b2, w3\)/);
    expect(() => arena.setValues('b1', [1, 2])).toThrow(/b1 \[11\] needs 11 values, got 2/);
    const small = rt().empty([3]);
    expect(() => arena.restore(small)).toThrow(/snapshot is \[3\] f32/);
    small.dispose();
    arena.dispose();
    expect(() => arena.zeroGrads()).toThrow(/disposed/);
  });
});
