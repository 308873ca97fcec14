/**
 * The NaN/Inf guard (engine/train/guard.ts): its kernel finds NaN, +Inf and −Inf in the parameter
 * arena and names the parameter and element; a run whose learning rate explodes is stopped with a
 * NonFiniteError naming the step and the tensor where the first non-finite value appeared (found
 * independently, by reading every step's gradients and values back on the CPU); a healthy run is
 * not stopped, and the guard frees what it allocated.
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../engine/data/dataset';
import { createMlp } from '../../engine/nn/mlp';
import type { Sequential } from '../../engine/nn/sequential';
import { keepTensor } from '../../engine/autograd/scope';
import { SGD } from '../../engine/optim/optimizers';
import { ArgumentError } from '../../engine/runtime/errors';
import type { Tensor } from '../../engine/runtime/tensor';
import { fit, nanGuard, NonFiniteError, type StepContext, type TrainingPlugin } from '../../engine/train/index';
import { useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';

/** Multiplies the learning rate by `factor` before every step (from step `from` on). */
function lrRamp(opt: SGD, factor: number, from: number): TrainingPlugin {
  return {
    name: 'lrRamp',
    beforeForward(ctx) {
      if (ctx.step >= from) opt.lr = Math.min(opt.lr * factor, 1e37);
    },
  };
}

describe('nanGuard', () => {
  const rt = useRuntime();

  const setup = (seed: number, lr: number) => {
    const { x, y } = syntheticArgmax(96, 8, 3, seed);
    const data = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [8, 16, 3], seed });
    const opt = new SGD(model.arena, { lr });
    const dispose = (): void => {
      opt.dispose();
      model.dispose();
      data.dispose();
    };
    return { data, model, opt, dispose };
  };

  it('the kernel finds NaN, +Inf and −Inf and names the parameter, element, step and count', async () => {
    const { model, dispose } = setup(1, 0.1);
    const base = rt().memoryStats().liveTensors;
    const w = new Float32Array(16 * 3).fill(0.5);
    w[7] = Number.NaN;
    w[20] = Number.POSITIVE_INFINITY;
    w[41] = Number.NEGATIVE_INFINITY;
    model.arena.setValues('fc2.weight', w);
    const guard = nanGuard({ every: 1 });
    const ctx: StepContext = { step: 5, epoch: 1, model };
    guard.afterBackward!(ctx); // gradients are zero: nothing found
    guard.afterUpdate!(ctx); // the values: found
    guard.afterUpdate!({ ...ctx, step: 6 }); // a later step does not overwrite the first finding
    const err = await guard.check(9).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect(e.code).toBe('NON_FINITE');
    expect([e.step, e.tensor, e.which, e.element, e.count, e.stoppedAt]).toEqual([5, 'fc2.weight', 'value', 7, 3, 9]);
    expect(e.message).toMatch(/value of fc2\.weight \[16, 3\].*step 5/);
    // Raising freed the status buffer.
    expect(rt().memoryStats().liveTensors).toBe(base);
    dispose();
  });

  it('finite values, however large, are not flagged', async () => {
    const { model, dispose } = setup(2, 0.1);
    model.arena.setValues('fc1.bias', new Float32Array(16).fill(3.4e38));
    model.arena.setValues('fc2.bias', [-3.4e38, 1e-45, 0]);
    const guard = nanGuard({ every: 1 });
    guard.afterBackward!({ step: 0, epoch: 1, model });
    guard.afterUpdate!({ step: 0, epoch: 1, model });
    await expect(guard.check()).resolves.toBeUndefined();
    guard.dispose();
    dispose();
  });

  it('stops a run whose learning rate explodes, naming the step and the tensor where it began', async () => {
    const every = 4;
    const steps = 64;
    // The reference: the same run without the guard, every step's gradients and values copied on
    // the GPU and read back at the end; the first non-finite one is found on the CPU.
    const ref = setup(3, 0.05);
    const grads: Tensor[] = [];
    const values: Tensor[] = [];
    const recorder: TrainingPlugin = {
      name: 'recorder',
      afterBackward: () => {
        // Kept: the hook runs inside the step's tidy scope.
        const g = keepTensor(rt().empty([ref.model.arena.length]));
        rt().copy(ref.model.arena.grads, g);
        grads.push(g);
      },
      afterUpdate: () => values.push(keepTensor(ref.model.arena.snapshot())),
    };
    const unguarded = await fit(ref.model, ref.opt, ref.data, undefined, {
      epochs: 100,
      batchSize: 16,
      seed: 7,
      maxSteps: steps,
      plugins: [lrRamp(ref.opt, 2, 10), recorder],
    });
    // Without the guard nothing stops the run.
    expect(unguarded.steps).toBe(steps);
    const [gs, vs] = await Promise.all([Promise.all(grads.map((t) => t.toArray())), Promise.all(values.map((t) => t.toArray()))]);
    let want: { step: number; which: string; index: number; count: number } | null = null;
    for (let s = 0; s < steps && !want; s++) {
      for (const [which, d] of [
        ['gradient', gs[s]],
        ['value', vs[s]],
      ] as const) {
        const bad = [...d.keys()].filter((i) => !Number.isFinite(d[i]));
        if (bad.length > 0) {
          want = { step: s, which, index: bad[0], count: bad.length };
          break;
        }
      }
    }
    for (const t of [...grads, ...values]) t.dispose();
    expect(want, 'the learning-rate ramp must blow the run up within the steps').not.toBeNull();
    const p = ref.model.arena.params.find((q) => want!.index >= q.offset && want!.index < q.offset + q.size)!;
    ref.dispose();

    const run = setup(3, 0.05);
    let taken = 0;
    const counter: TrainingPlugin = { name: 'counter', afterUpdate: () => void taken++ };
    const guard = nanGuard({ every });
    const err = await fit(run.model, run.opt, run.data, undefined, {
      epochs: 100,
      batchSize: 16,
      seed: 7,
      maxSteps: steps,
      // The CPU waits for the previous step's GPU work before each step (see the bound below).
      syncEvery: 1,
      plugins: [lrRamp(run.opt, 2, 10), counter, guard],
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect({ step: e.step, which: e.which, tensor: e.tensor, element: e.element, count: e.count }).toEqual({
      step: want!.step,
      which: want!.which,
      tensor: p.name,
      element: want!.index - p.offset,
      count: want!.count,
    });
    // Noticed soon after the first bad step s, and the run stopped there. With syncEvery 1 the CPU is
    // at most 2 steps ahead of the GPU, so a reading the guard starts at a check lands within 2
    // steps and is looked at by the next check, every steps later. Worst case: a reading started
    // just before s (it cannot see s) blocks new ones until it is looked at (≤ 2 + every steps);
    // the next one, started then, sees s and is looked at ≤ 2 + every steps later:
    // s − 1 + 2·(2 + every) ≤ s + 2·every + 4.
    expect(e.stoppedAt).toBeGreaterThanOrEqual(want!.step);
    expect(e.stoppedAt).toBeLessThanOrEqual(want!.step + 2 * every + 4);
    expect(taken).toBe(e.stoppedAt + 1);
    expect(taken).toBeLessThan(steps);
    run.dispose();
  });

  it('does not stop a healthy run, costs two dispatches a step and a readback every n steps, and frees its buffer', async () => {
    const { model, opt, data, dispose } = setup(4, 0.1);
    // The waits are the test's: syncEvery beyond the run (the CPU never waits for the GPU inside an
    // epoch) and, after each epoch, onEpoch waits for the GPU to finish everything submitted, so a
    // reading the guard started during an epoch has landed before the next one (see the count below).
    const opts = { epochs: 4, batchSize: 16, seed: 1, syncEvery: 100, onEpoch: () => rt().sync() };
    // A warm-up epoch first: work done once per optimizer (its first step's set-up, one dispatch)
    // stays out of both runs' per-step counts.
    await fit(model, opt, data, undefined, { ...opts, epochs: 1 });
    const workPlain = rt().workStats().readbacks;
    const plain = await fit(model, opt, data, undefined, opts);
    const plainReadbacks = rt().workStats().readbacks - workPlain;
    const before = rt().memoryStats();
    const work0 = rt().workStats();
    const result = await fit(model, opt, data, undefined, { ...opts, plugins: [nanGuard({ every: 3 })] });
    const work1 = rt().workStats();
    expect(result.stoppedBy).toBe('epochs');
    expect(result.steps).toBe(24);
    // The check: one dispatch over the gradients, one over the values, per step; no readback per step.
    result.forEach((r, i) => expect(r.dispatchesPerStep).toBe(plain[i].dispatchesPerStep + 2));
    // Readbacks beyond the unguarded run's, exactly: 96 examples / 16 = 6 steps an epoch, a reading
    // due every 3. An epoch starts one at its step 3 (the previous epoch's reading landed during
    // the wait after that epoch) and none at its step 6: the step-3 reading cannot have landed,
    // nothing has waited for the GPU since, and the guard never waits for it. 4 epochs give 4
    // readings, and onEnd's final check 1 more: 5 (not 24/3 + 1 = 9, which a guard that waited for
    // each reading would make).
    expect(work1.readbacks - work0.readbacks - plainReadbacks).toBe(5);
    const after = rt().memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    dispose();
  });

  it('rejects bad options, and a model without an arena', () => {
    expect(() => nanGuard({ every: 0 })).toThrow(ArgumentError);
    expect(() => nanGuard({ every: 2.5 })).toThrow(/every must be a positive integer.*2\.5/);
    expect(() => nanGuard({ gradients: false, values: false })).toThrow(/nothing to check/);
    const g = nanGuard();
    expect(() => g.afterUpdate!({ step: 0, epoch: 1, model: {} as Sequential })).toThrow(/no `arena`/);
  });
});
