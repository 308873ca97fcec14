/**
 * What `Trainer.step` (engine/train/trainer.ts) owns and when it waits, beyond the values it
 * computes (tests/train/trainer.test.ts): written to kill mutants that survived `npm run mutate`
 * (bench/records/2026-12-07-mutation.md).
 * - Batches made by transformBatch hooks are freed after the step, the caller's never: over 40
 *   steps with two hooks that each make a new x (and one new targets), live tensors stay flat, and
 *   the caller's batch is still usable afterwards. A hook that returns the batch it got costs nothing.
 * - A malformed batch, a used-after-dispose trainer and mismatched rows are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { chain, createMlp, GpuDataset, scale, sgd, Trainer, type TrainingPlugin } from '../../engine/index';
import { useRuntime } from '../helpers/gpu';
import { syntheticArgmax } from '../helpers/random';

describe('Trainer: what a step owns and when it waits', () => {
  const rt = useRuntime();

  const setup = (syncEvery = 8, callbacks: TrainingPlugin[] = []) => {
    const { x, y } = syntheticArgmax(16, 8, 3, 5);
    const data = GpuDataset.upload(rt(), x, y, 3);
    const model = createMlp(rt(), { sizes: [8, 8, 3], seed: 2 });
    const opt = chain(sgd({ lr: 0.05 })).init(model.arena);
    const trainer = new Trainer(model, opt, { syncEvery, callbacks });
    const order = data.shuffledOrder(1, 1);
    const batch = data.batch(order, GpuDataset.windows(data.count, 16)[0]);
    order.dispose();
    const disposeRest = () => {
      batch.x.dispose();
      batch.targets.dispose();
      opt.dispose();
      model.dispose();
      data.dispose();
    };
    const dispose = () => {
      trainer.dispose();
      disposeRest();
    };
    return { trainer, batch, dispose, disposeRest };
  };

  it('frees the batches its hooks make and never the caller’s: live tensors flat over 40 steps', async () => {
    const chains: TrainingPlugin[][] = [
      [
        { name: 'new x', transformBatch: (b) => ({ ...b, x: scale(b.x, 1) }) },
        { name: 'same batch', transformBatch: (b) => b },
        { name: 'new x and targets', transformBatch: (b) => ({ ...b, x: scale(b.x, 1), targets: scale(b.targets, 1) }) },
        { name: 'new targets', transformBatch: (b) => ({ ...b, targets: scale(b.targets, 1) }) },
      ],
      // Hooks that keep the caller's batch: nothing to free, and the caller's batch must survive.
      [{ name: 'same batch', transformBatch: (b) => b }],
    ];
    for (const hooks of chains) {
      const { trainer, batch, dispose } = setup(8, hooks);
      for (let i = 0; i < 8; i++) await trainer.step(batch);
      await rt().sync();
      const before = rt().memoryStats();
      for (let i = 0; i < 40; i++) await trainer.step(batch);
      await rt().sync();
      const after = rt().memoryStats();
      const what = hooks.map((h) => h.name).join(', ');
      expect([after.liveTensors, after.liveBuffers, after.liveBytes], what).toEqual([before.liveTensors, before.liveBuffers, before.liveBytes]);
      // The caller's batch is intact and still usable.
      expect([batch.x.isDisposed, batch.targets.isDisposed], what).toEqual([false, false]);
      expect((await batch.x.toArray()).length).toBe(16 * 8);
      dispose();
    }
  });

  it('refuses a malformed batch, mismatched rows, and use after dispose, by name', async () => {
    const { trainer, batch, disposeRest } = setup();
    const three = rt().empty([3, 3]);
    expect(() => trainer.record({ x: batch.x } as never)).toThrow(/Trainer.step: the batch must be \{ x, targets \}/);
    expect(() => trainer.record({ x: batch.x, targets: {} } as never)).toThrow(/Trainer.step: the batch must be \{ x, targets \}/);
    expect(() => trainer.record({ targets: batch.targets } as never)).toThrow(/Trainer.step: the batch must be \{ x, targets \}/);
    expect(() => trainer.record({ x: {}, targets: batch.targets } as never)).toThrow(/Trainer.step: the batch must be \{ x, targets \}/);
    const scalar = rt().empty([]);
    expect(() => trainer.record({ x: scalar, targets: batch.targets })).toThrow(
      /Trainer.step: inputs \[\] and targets \[16, 3\] must have the same number of rows/,
    );
    expect(() => trainer.record({ x: batch.x, targets: scalar })).toThrow(/Trainer.step: inputs \[16, 8\] and targets \[\] must have the same number of rows/);
    scalar.dispose();
    expect(() => trainer.record({ x: batch.x, targets: three })).toThrow(
      /Trainer.step: inputs \[16, 8\] and targets \[3, 3\] must have the same number of rows/,
    );
    trainer.record(batch);
    trainer.dispose();
    expect(() => trainer.record(batch)).toThrow(/Trainer: used after dispose\(\)/);
    three.dispose();
    disposeRest();
  });
});
