/**
 * Two models training at once on one device do not corrupt each other's buffers: two bagging
 * members (tests/helpers/regularized-run.ts: the same seed, bootstrap resamples 0 and 1, each with
 * input and hidden dropout, augmentation and input, hidden and weight noise) run `fit` concurrently
 * on one runtime, strictly interleaved step by step, and each ends with parameters bit-identical to
 * the same member trained alone. Interleaving shares everything a runtime shares between models:
 * the buffer pool (a buffer one model releases is reused by the other at once), the uniform arena,
 * the command batch, the pipeline cache and the cached constants of backward.
 *
 * The interleaving is forced, not left to chance: a plugin evaluates after every step and waits at
 * a two-party barrier in its (awaited) onEvaluate hook, so member 0's step s, member 1's step s,
 * member 0's step s + 1, ... are recorded in that order. The runs alone use the same plugin with a
 * one-party barrier (no waiting) and the same evaluation schedule, so the only difference is the
 * other model's work in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Regularizer } from '../../regularizers/index';
import { useRuntime } from '../helpers/gpu';
import { regularizedRun, uploadRunData, type RunData } from '../helpers/regularized-run';

const SEED = 11;
const STEPS = 24;

/** A barrier for `parties` runs: each waits at round s until every run has reached round s. */
class Barrier {
  private round = new Map<number, { arrived: number; release: () => void; done: Promise<void> }>();
  constructor(private readonly parties: number) {}

  async pass(round: number): Promise<void> {
    let r = this.round.get(round);
    if (!r) {
      let release!: () => void;
      const done = new Promise<void>((res) => (release = res));
      r = { arrived: 0, release, done };
      this.round.set(round, r);
    }
    r.arrived++;
    if (r.arrived === this.parties) {
      r.release();
      this.round.delete(round);
    }
    await r.done;
  }
}

/** The plugin that makes a run wait at `barrier` after every step; it changes nothing in the computation. */
function turnstile(barrier: Barrier, log: string[], who: string): Regularizer {
  return {
    name: 'turnstile',
    async onEvaluate(e) {
      log.push(`${who}:${e.step}`);
      await barrier.pass(e.step);
    },
  };
}

describe('concurrency', () => {
  const rt = useRuntime();
  let data: RunData;
  beforeAll(async () => {
    data = await uploadRunData(rt());
    // Warm-up: backward's seed ∂loss/∂loss = 1 is a constant cached per runtime (engine/autograd/grads.ts),
    // made by the first step; make it before the memory baseline, so the baseline counts only the runs.
    await regularizedRun(rt(), data, { seed: SEED, steps: 1, evalEvery: 1 });
  });
  afterAll(() => data?.dispose());

  it(`two bagging members trained at once, interleaved step by step, each end bit-identical to the member trained alone (${STEPS} steps)`, async () => {
    const together = new Barrier(2);
    const log: string[] = [];
    const start = rt().memoryStats();
    const [m0, m1] = await Promise.all(
      [0, 1].map((member) => regularizedRun(rt(), data, { seed: SEED, member, steps: STEPS, evalEvery: 1, extra: [turnstile(together, log, `m${member}`)] })),
    );
    // The two really alternated: member 0's step s, then member 1's step s, for every step.
    expect(log.length).toBe(2 * STEPS);
    for (let s = 1; s <= STEPS; s++) expect(new Set(log.slice(2 * (s - 1), 2 * s)), `round ${s}`).toEqual(new Set([`m0:${s}`, `m1:${s}`]));

    const alone = [];
    for (const member of [0, 1])
      alone.push(await regularizedRun(rt(), data, { seed: SEED, member, steps: STEPS, evalEvery: 1, extra: [turnstile(new Barrier(1), [], 'alone')] }));
    for (const [k, got] of [m0, m1].entries()) {
      for (const name of Object.keys(alone[k])) {
        const a = new Uint32Array(alone[k][name].buffer, alone[k][name].byteOffset, alone[k][name].length);
        const b = new Uint32Array(got[name].buffer, got[name].byteOffset, got[name].length);
        const i = a.findIndex((v, j) => v !== b[j]);
        expect(i, `member ${k}, ${name}: first element that differs from the run alone (${alone[k][name][i]} vs ${got[name][i]})`).toBe(-1);
      }
    }
    // The members differ from each other (different resamples): the comparison above is not vacuous.
    expect(Array.from(m0['fc1.weight']).some((v, i) => v !== m1['fc1.weight'][i])).toBe(true);
    await rt().sync();
    expect(rt().memoryStats().liveTensors, 'every tensor of the four runs released').toBe(start.liveTensors);
  });
});
