/**
 * The conv suite's CNN training step in its three implementations (bench/suites/cnn-step.ts), on
 * the test's adapter: from the engine's initial weights and on the same batch, tfjs-webgpu and
 * jax-js give the engine's loss at every step (the guard the suite runs before it times a peer),
 * and the guard catches a peer that computes another network (a wrong flatten order). Checked
 * against the engine's own losses read back, with the guard's tolerance (its comment says why).
 * Also the guard itself, on given numbers. Nothing here is timed.
 */
import { describe, expect, it } from 'vitest';
import {
  CHECK_STEPS,
  checkedLosses,
  checkTraining,
  CNN,
  engineCnnStep,
  jaxCnn,
  LOSS_REL_TOL,
  rowsToNchw,
  tfjsCnn,
  type CnnStep,
} from '../../bench/suites/cnn-step';
import { jaxPeer } from '../../bench/peers/jax';
import { tfjsPeer } from '../../bench/peers/tfjs';
import { useRuntime } from '../helpers/gpu';

const rt = useRuntime();

describe('checkTraining', () => {
  const engine = [2.5, 2.1, 2.2];

  it("accepts losses that end below where they started and match the engine's step by step", () => {
    const near = engine.map((l) => l * (1 + LOSS_REL_TOL / 2));
    expect(checkTraining('peer', near, engine)).toContain('engine');
    expect(checkTraining('engine', engine)).toBe('2.50000 → 2.10000 → 2.20000');
  });

  it('rejects losses that do not fall, that are not finite, or that are a single step', () => {
    expect(() => checkTraining('peer', [2.5, 2.6, 2.5])).toThrow(/peer cnn step does not train/);
    expect(() => checkTraining('peer', [2.5, Number.NaN, 2.1])).toThrow(/does not train/);
    expect(() => checkTraining('peer', [2.5])).toThrow(/does not train/);
  });

  it("rejects a loss further from the engine's than the tolerance, naming the step", () => {
    const off = [...engine];
    off[1] = engine[1] * (1 + 2 * LOSS_REL_TOL);
    expect(() => checkTraining('peer', off, engine)).toThrow(/disagrees with the engine at step 1/);
  });
});

describe('the CNN step from the same weights on the same batch', () => {
  const batch = 4;

  async function engineRun(): Promise<{ params: Record<string, Float32Array>; losses: number[] }> {
    const e = engineCnnStep(rt(), batch, false);
    try {
      const params = (await e.model.exportState()).params;
      return { params, losses: await checkedLosses(e) };
    } finally {
      e.dispose();
    }
  }

  async function lossesOf(make: () => Promise<CnnStep>): Promise<number[]> {
    const step = await make();
    try {
      return await checkedLosses(step);
    } finally {
      step.dispose();
    }
  }

  it("trains in tfjs-webgpu and in jax-js as in the engine: the engine's loss at every step", async () => {
    const { params, losses } = await engineRun();
    expect(losses).toHaveLength(CHECK_STEPS);
    const peers = {
      'tfjs-webgpu': await lossesOf(async () => tfjsCnn(await tfjsPeer(), params, batch)),
      'jax-js': await lossesOf(async () => jaxCnn(await jaxPeer(), params, batch)),
    };
    for (const [name, peer] of Object.entries(peers)) {
      peer.forEach((l, i) => expect(Math.abs(l - losses[i]), `${name} step ${i}`).toBeLessThanOrEqual(LOSS_REL_TOL * losses[i]));
      expect(() => checkTraining(name, peer, losses)).not.toThrow();
    }
  }, 300_000);

  it('fails the check of a peer given the dense rows in the wrong flatten order', async () => {
    const { params, losses } = await engineRun();
    const side = (CNN.image - CNN.kernel + 1) / 2 - CNN.kernel + 1;
    // jaxCnn reorders fc1's rows from NHWC's flatten order to NCHW's; given them already reordered, it reads them wrongly.
    const wrong = { ...params, 'fc1.weight': rowsToNchw(params['fc1.weight'], [side / 2, side / 2, CNN.channels[1]], CNN.hidden) };
    const peer = await lossesOf(async () => jaxCnn(await jaxPeer(), wrong, batch));
    expect(() => checkTraining('jax-js', peer, losses)).toThrow(/disagrees with the engine at step 0/);
  }, 300_000);
});
