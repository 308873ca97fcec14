/**
 * What the chain optimizer (engine/optim/chain.ts) holds and records, beyond its arithmetic (which
 * tests/optim/chain.test.ts and optimizers.test.ts check against f64 references). Written to kill
 * mutants that survived `npm run mutate` (bench/records/2026-12-07-mutation.md):
 * - a clipped step frees its norm tensor: memory flat over 200 clipped steps, by the pool's
 *   counters and by the GPU buffers the independent oracle (tests/helpers/buffer-oracle.ts) sees;
 * - the per-tensor path frees its coefficient tables on dispose;
 * - `dispatchesPerStep` is what a step really records (counted by the runtime), with and without
 *   clipping: 1 fused update, plus for the clip 1 + ⌈log₂₀₄₈ n⌉ reduction passes over n elements
 *   (each pass shrinks the array 2,048-fold, the first squares on load);
 * - the direction's state is exposed by slot (momentum's velocity after one step from zero is the
 *   gradient itself, bit for bit: 0.9·0 + g);
 * - a chain without a direction refuses a second clipByGlobalNorm.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, chain, clipByGlobalNorm, coupledL2, momentum, ParamArena, type ParamSpec, sgd, type Runtime } from '../../engine/index';
import { installBufferOracle } from '../helpers/buffer-oracle';
import { randomArray, useRuntime } from '../helpers/gpu';

const SPECS: ParamSpec[] = [
  { name: 'fc1.weight', shape: [37, 19], role: 'weight', layer: 1 },
  { name: 'fc1.bias', shape: [19], role: 'bias', layer: 1 },
  { name: 'fc2.weight', shape: [19, 5], role: 'weight', layer: 2 },
];

/** An arena with random values and random gradients. */
function arenaWithGrads(rt: Runtime, seed: number, specs: readonly ParamSpec[] = SPECS): { arena: ParamArena; grads: Float32Array } {
  const arena = ParamArena.create(rt, specs);
  for (const p of arena.params) arena.setValues(p.name, randomArray(p.size, seed + p.index));
  const grads = randomArray(arena.length, seed + 100, -1, 1);
  rt.device.queue.writeBuffer(arena.grads.buffer, arena.grads.byteOffset, grads);
  return { arena, grads };
}

describe('the chain optimizer: memory, dispatches and state', () => {
  const rt = useRuntime();

  it('a clipped step frees its norm: pool counters and live GPU buffers flat over 200 steps, fused and per tensor', async () => {
    const { arena } = arenaWithGrads(rt(), 1);
    const opt = chain(clipByGlobalNorm({ maxNorm: 0.5 }), sgd({ lr: 1e-3 })).init(arena);
    const run = async (n: number, perTensor: boolean) => {
      for (let i = 0; i < n; i++) {
        if (perTensor) opt.stepPerTensor();
        else opt.step();
      }
      await rt().sync();
    };
    // Warm-up with the measured pattern: 200 steps recorded before one submit leave up to a
    // bucket's cap of freed norms pending, so the pool grows to that once.
    await run(200, false);
    await run(200, true);
    const oracle = installBufferOracle(rt().device);
    try {
      const before = rt().memoryStats();
      await run(200, false);
      await run(200, true);
      const after = rt().memoryStats();
      expect({ tensors: after.liveTensors, buffers: after.liveBuffers, bytes: after.liveBytes }).toEqual({
        tensors: before.liveTensors,
        buffers: before.liveBuffers,
        bytes: before.liveBytes,
      });
      expect(oracle.live(), JSON.stringify(oracle.liveLabels())).toEqual({ buffers: 0, bytes: 0, created: 0 });
    } finally {
      oracle.uninstall();
    }
    opt.dispose();
    arena.dispose();
  });

  it('dispose gives back the state and every coefficient table, the per-tensor ones included', async () => {
    const { arena } = arenaWithGrads(rt(), 2);
    await rt().sync();
    const before = rt().memoryStats().liveTensors;
    const opt = chain(momentum({ lr: 1e-3, momentum: 0.9 })).init(arena);
    opt.step();
    opt.stepPerTensor();
    await rt().sync();
    expect(rt().memoryStats().liveTensors).toBeGreaterThan(before);
    opt.dispose();
    expect(rt().memoryStats().liveTensors).toBe(before);
    arena.dispose();
  });

  it('dispatchesPerStep is what a step records, with and without clipping, on arenas of one and of two reduction passes', async () => {
    for (const [clip, specs] of [
      [false, SPECS],
      [true, SPECS],
      [true, [...SPECS, { name: 'big', shape: [64, 64], role: 'weight', layer: 3 } as ParamSpec]],
    ] as const) {
      const { arena } = arenaWithGrads(rt(), 3, specs);
      const opt = (clip ? chain(clipByGlobalNorm({ maxNorm: 1 }), sgd({ lr: 1e-3 })) : chain(sgd({ lr: 1e-3 }))).init(arena);
      opt.step(); // first use: anything created once stays out of the count
      await rt().sync();
      const d0 = rt().workStats().dispatches;
      opt.step();
      const counted = rt().workStats().dispatches - d0;
      // The arena's n elements: 1 pass while n ≤ 2,048, one more per 2,048-fold.
      const passes = Math.max(1, Math.ceil(Math.log(arena.length) / Math.log(2048)));
      expect(counted, `clip ${clip}, ${arena.length} elements`).toBe(clip ? 1 + passes : 1);
      expect(opt.dispatchesPerStep, `clip ${clip}, ${arena.length} elements`).toBe(counted);
      await rt().sync();
      opt.dispose();
      arena.dispose();
    }
  });

  it('exposes the direction state by slot: momentum velocity after one step from zero is the gradient, bit for bit', async () => {
    const { arena, grads } = arenaWithGrads(rt(), 4);
    const opt = chain(momentum({ lr: 1e-3, momentum: 0.9 })).init(arena);
    opt.step();
    const state = opt.stateTensors();
    expect(Object.keys(state)).toEqual(['velocity']);
    const v = await state.velocity.toArray();
    for (const p of arena.params) {
      expect(v.subarray(p.offset, p.offset + p.size), p.name).toEqual(grads.subarray(p.offset, p.offset + p.size));
    }
    opt.dispose();
    arena.dispose();
  });

  it('a chain without a direction refuses a second clipByGlobalNorm', () => {
    expect(() => chain(clipByGlobalNorm({ maxNorm: 1 }), clipByGlobalNorm({ maxNorm: 2 }))).toThrow(ArgumentError);
    expect(() => chain(clipByGlobalNorm({ maxNorm: 1 }), clipByGlobalNorm({ maxNorm: 2 }))).toThrow(/more than one clipByGlobalNorm/);
    expect(() => chain(clipByGlobalNorm({ maxNorm: 1 }))).not.toThrow();
    // One clip among other transformations is fine: only clips are counted.
    expect(() => chain(clipByGlobalNorm({ maxNorm: 1 }), coupledL2({ alpha: 1e-3 }))).not.toThrow();
  });
});
