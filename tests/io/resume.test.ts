/**
 * Device loss and resuming. A training run checkpoints every few steps; its device is destroyed
 * behind the runtime's back mid-run (what a driver reset looks like to WebGPU). The loss arrives as
 * an event (Runtime.onDeviceLost) and as a DeviceLostError from the next call, within a deadline (no
 * hang). A new runtime loads the last checkpoint (parameters, batch-norm statistics, Adam's moments
 * and step count) and finishes the run; the result equals an uninterrupted run bit for bit, and the
 * uninterrupted run's own checkpoint at that step is byte-identical to the one resumed from.
 */
import { describe, expect, it } from 'vitest';
import { Adam, DeviceLostError, loadCheckpoint, Runtime, saveCheckpoint, decodeSafetensors } from '../../engine/index';
import { fullState, makeModel, trainSteps } from './train-helper';

/** `p`, or a rejection naming `what` if it has not settled within `ms`: a hang fails the test instead of stalling it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const STEPS = 12;
const EVERY = 4;
const LOSS_AT = 10;
const make = (rt: Runtime, seed: number) => {
  const model = makeModel(rt, seed);
  return { model, opt: new Adam(model.arena, { lr: 0.01, alpha: 1e-3 }) };
};

describe('device loss and resuming', () => {
  it('surfaces as an event and a typed error, and training resumes on a new device from the last checkpoint, bit for bit', async () => {
    // The interrupted run: a checkpoint every EVERY steps, each step synced, the device lost before step LOSS_AT + 1.
    const rt1 = await Runtime.create();
    const run1 = make(rt1, 1);
    const events: DeviceLostError[] = [];
    const dropped: DeviceLostError[] = [];
    rt1.onDeviceLost(() => {
      throw new Error('a broken listener');
    });
    rt1.onDeviceLost((e) => events.push(e));
    const off = rt1.onDeviceLost((e) => dropped.push(e));
    off();
    expect(rt1.deviceLost).toBeNull();
    const errorLog = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => logged.push(args);
    let last: { step: number; bytes: Uint8Array } | undefined;
    let caught: unknown;
    let failedAt = -1;
    try {
      for (let s = 0; s < STEPS; s++) {
        if (s === LOSS_AT) rt1.device.destroy();
        failedAt = s + 1;
        trainSteps(rt1, run1.model, run1.opt, s, s + 1);
        await within(rt1.sync(), 30_000, `sync after step ${s + 1}`);
        if ((s + 1) % EVERY === 0) last = { step: s + 1, bytes: await within(saveCheckpoint(run1.model, run1.opt), 30_000, 'saveCheckpoint') };
      }
    } catch (e) {
      caught = e;
    }
    try {
      await within(
        (async () => {
          while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
        })(),
        10_000,
        'the device-lost event',
      );
    } finally {
      console.error = errorLog;
    }
    expect(caught).toBeInstanceOf(DeviceLostError);
    expect((caught as DeviceLostError).reason).toBe('destroyed');
    expect(failedAt).toBe(LOSS_AT + 1);
    // Each listener heard it once, with the very error the calls raise; a throwing listener is logged and stops no other.
    expect(events).toHaveLength(1);
    expect(events[0]).toBe(caught);
    expect(rt1.deviceLost).toBe(caught);
    expect(dropped).toHaveLength(0);
    expect(String(logged[0])).toMatch(/device-lost listener/);
    const late = await within(new Promise<DeviceLostError>((r) => rt1.onDeviceLost(r)), 1_000, 'a listener registered after the loss');
    expect(late).toBe(caught);
    expect(() => rt1.onDeviceLost(undefined as unknown as () => void)).toThrow(/expected a function/);
    expect(() => trainSteps(rt1, run1.model, run1.opt, LOSS_AT + 1, LOSS_AT + 2)).toThrow(DeviceLostError);
    await expect(within(saveCheckpoint(run1.model, run1.opt), 30_000, 'saveCheckpoint on the lost device')).rejects.toBeInstanceOf(DeviceLostError);
    expect(last?.step).toBe(8);
    rt1.destroy();

    // Resume on a new runtime from the last checkpoint.
    const rt2 = await Runtime.create();
    const seed = Number(decodeSafetensors(last!.bytes).metadata.model_seed);
    expect(seed).toBe(1);
    const resumed = make(rt2, seed);
    expect(loadCheckpoint(last!.bytes, resumed.model, resumed.opt).step).toBe(8);
    trainSteps(rt2, resumed.model, resumed.opt, 8, STEPS);
    const got = await fullState(resumed.model, resumed.opt);

    // The uninterrupted run, on the same adapter.
    const ref = make(rt2, 1);
    trainSteps(rt2, ref.model, ref.opt, 0, 8);
    expect(await saveCheckpoint(ref.model, ref.opt)).toEqual(last!.bytes);
    trainSteps(rt2, ref.model, ref.opt, 8, STEPS);
    const want = await fullState(ref.model, ref.opt);
    expect(want.steps).toBe(STEPS);
    expect(got).toEqual(want);
    // Without the optimizer state the continuation differs: the check above can tell.
    const weightsOnly = make(rt2, 1);
    loadCheckpoint(last!.bytes, weightsOnly.model);
    weightsOnly.opt.setSteps(8);
    trainSteps(rt2, weightsOnly.model, weightsOnly.opt, 8, STEPS);
    expect((await fullState(weightsOnly.model, weightsOnly.opt)).params).not.toEqual(want.params);
    for (const r of [resumed, ref, weightsOnly]) {
      r.opt.dispose();
      r.model.dispose();
    }
    rt2.destroy();
  });
});
