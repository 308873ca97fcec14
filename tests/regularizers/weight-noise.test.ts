/**
 * Weight noise (eq. 7.31) through the training step: the gradient is taken at W + ε, with ε the
 * draws of `perturbArena` under the step's key on the weights (none on the biases), and the update
 * applies to W itself, because the clean values kept before the noise are copied back bit for bit.
 * The reference model gets the same perturbation by hand (perturbArena, same key and σ per
 * parameter) and trains without the regularizer: its gradient must be the same bits.
 */
import { describe, expect, it } from 'vitest';
import { chain, GpuDataset, perturbArena, RANDOM_STREAMS, sgd, Trainer } from '../../engine/index';
import { mlp, weightNoise } from '../../regularizers/index';
import { useRuntime } from '../helpers/gpu';
import { randomArray } from '../helpers/random';

const SIZES = [12, 8, 3];
const BATCH = 16;
const ETA = 1e-2;
const LR = 0.25;
const SEED = 77;

describe('weightNoise in a training step', () => {
  const rt = useRuntime();

  it('the gradient is taken at W + ε (perturbArena’s draws under the step’s key, weights only) and the update applies to W: W − lr·g within rounding; a second step draws other noise', async () => {
    const images = randomArray(BATCH * SIZES[0], 11, 0, 1);
    const labels = Uint32Array.from({ length: BATCH }, (_, i) => (i * 7) % SIZES[2]);
    const data = GpuDataset.upload(rt(), images, labels, SIZES[2]);
    const order = data.identityOrder();
    const regs = [weightNoise({ eta: ETA, seed: SEED })];
    const noisy = mlp(rt(), { sizes: SIZES, seed: 3, regularizers: regs });
    const plain = mlp(rt(), { sizes: SIZES, seed: 3 });
    const optNoisy = chain(sgd({ lr: LR })).init(noisy.arena);
    const optPlain = chain(sgd({ lr: LR })).init(plain.arena);
    for (const r of regs) r.setup?.({ model: noisy, train: data, optimizer: optNoisy, seed: 1 });
    // After weight noise's afterBackward, before the update: the values the update will start from.
    const seen = rt().empty([noisy.arena.length]);
    const spy = { name: 'spy', afterBackward: () => rt().copy(noisy.arena.values, seen) };
    const trainNoisy = new Trainer(noisy, optNoisy, { callbacks: [...regs, spy] });
    const trainPlain = new Trainer(plain, optPlain);
    const a = plain.arena;
    const table = a.chunkTable(a.params.map((p) => (p.role === 'weight' ? Math.sqrt(ETA) : 0)));
    const step = (t: Trainer): void => {
      const b = data.batch(order, { start: 0, count: BATCH });
      try {
        t.record(b);
      } finally {
        b.x.dispose();
        b.targets.dispose();
      }
    };
    try {
      const w0 = await noisy.arena.values.toArray();
      expect(Array.from(await plain.arena.values.toArray())).toEqual(Array.from(w0));
      for (let s = 0; s < 2; s++) {
        const before = await noisy.arena.values.toArray();
        // The reference: the same noise added by hand, a step without the regularizer.
        perturbArena(a, table, { seed: SEED, stream: RANDOM_STREAMS.weightNoise, offset: s, sign: 1 });
        step(trainPlain);
        step(trainNoisy);
        const gNoisy = await noisy.arena.grads.toArray();
        const gPlain = await plain.arena.grads.toArray();
        expect(new Uint32Array(gNoisy.buffer), `step ${s}: gradient bits`).toEqual(new Uint32Array(gPlain.buffer));
        // The clean weights are back, bit for bit, before the update runs.
        const restored = await seen.toArray();
        expect(new Uint32Array(restored.buffer), `step ${s}: values the update starts from`).toEqual(new Uint32Array(before.buffer));
        const after = await noisy.arena.values.toArray();
        let worst = 0;
        let moved = 0;
        for (let i = 0; i < after.length; i++) {
          const want = Math.fround(before[i] - Math.fround(LR * gNoisy[i]));
          worst = Math.max(worst, Math.abs(after[i] - want) / (Math.abs(want) * 2 ** -23 + 1e-30));
          moved += after[i] !== before[i] ? 1 : 0;
        }
        expect(worst, `step ${s}: update from W, in ulps`).toBeLessThanOrEqual(1);
        expect(moved, `step ${s}`).toBeGreaterThan(50);
        // Put the reference back on the clean weights of the noisy model for the next step.
        rt().copy(noisy.arena.values, a.values);
      }
    } finally {
      table.dispose();
      seen.dispose();
      for (const r of regs) r.dispose?.();
      trainNoisy.dispose();
      trainPlain.dispose();
      optNoisy.dispose();
      optPlain.dispose();
      noisy.dispose();
      plain.dispose();
      order.dispose();
      data.dispose();
    }
  });
});
