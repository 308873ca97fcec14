/**
 * A whole MLP against an independent f64 CPU implementation (./cpu-mlp.ts): the same weights (read
 * back from the arena after the seeded initialization), the same inputs and soft targets must give
 * the same loss and the same gradient for every parameter.
 *
 * Tolerance: the GPU computes in f32; every value is a dot product or sum of at most 100 terms,
 * chained through three layers, so its relative rounding error is of order 100 · 2^-24 ≈ 6e-6 of
 * the magnitudes involved. The check allows 1e-4 of the largest magnitude of each tensor (loss:
 * 1e-5 relative) — far below the O(1) error of any wrong rule or misplaced parameter.
 */
import { describe, expect, it } from 'vitest';
import { backward, constant, softmaxCrossEntropy } from '../../engine/autograd/index';
import { createMlp } from '../../engine/nn/index';
import { dropoutMaskCpu } from '../../engine/ops/dropout';
import { randomArray, useRuntime } from '../helpers/gpu';
import { mlpLossAndGrads, type CpuLayer } from './cpu-mlp';

describe('MLP against an f64 CPU reference', () => {
  const rt = useRuntime();
  const cases: { sizes: number[]; rows: number; hiddenDropout: number }[] = [
    { sizes: [12, 16, 8, 5], rows: 6, hiddenDropout: 0 },
    { sizes: [100, 64, 32, 10], rows: 20, hiddenDropout: 0 },
    { sizes: [100, 64, 32, 10], rows: 20, hiddenDropout: 0.5 },
  ];
  for (const { sizes, rows, hiddenDropout } of cases) {
    it(`[${sizes}] on ${rows} rows${hiddenDropout ? `, dropout ${hiddenDropout} on hidden units` : ''}: same loss and gradients`, async () => {
      const seed = 7;
      const step = 3;
      const model = createMlp(rt(), { sizes, seed, hiddenDropout: { rate: hiddenDropout } });
      const k = sizes[sizes.length - 1];
      const x = randomArray(rows * sizes[0], 1, 0, 1);
      // Soft targets: label smoothing with ε = 0.1 (0.9 + 0.1/k at the label, 0.1/k elsewhere).
      const t = new Float32Array(rows * k).fill(0.1 / k);
      for (let r = 0; r < rows; r++) t[r * k + ((r * 7) % k)] += 0.9;
      const tx = rt().tensor(x, [rows, sizes[0]]);
      const tt = rt().tensor(t, [rows, k]);

      model.zeroGrads();
      const loss = softmaxCrossEntropy(model.forward(constant(tx), { training: true, step }), tt);
      backward(loss);
      const gpuLoss = await loss.data.item();
      loss.dispose();

      const layers: CpuLayer[] = [];
      for (let l = 1; l < sizes.length; l++) {
        const w = await model.arena.param(`fc${l}.weight`).value.toArray();
        const b = await model.arena.param(`fc${l}.bias`).value.toArray();
        layers.push({ w: Float64Array.from(w), b: Float64Array.from(b), inF: sizes[l - 1], outF: sizes[l] });
      }
      // The masks the kernels draw, computed on the CPU from the same keys (Philox twin): hidden
      // layer l uses stream l and the step as offset; kept units are scaled by 1/(1 − rate).
      const masks = sizes
        .slice(1, -1)
        .map((width, l) =>
          hiddenDropout === 0
            ? undefined
            : Float64Array.from(
                dropoutMaskCpu(rows * width, { keepProb: 1 - hiddenDropout, seed, stream: l + 1, offset: step }),
                (m) => m * Math.fround(1 / (1 - hiddenDropout)),
              ),
        );
      const ref = mlpLossAndGrads(layers, Float64Array.from(x), rows, Float64Array.from(t), masks);
      expect(Math.abs(gpuLoss - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(ref.loss));
      for (let l = 1; l < sizes.length; l++) {
        for (const [which, want] of [
          ['weight', ref.grads[l - 1].w],
          ['bias', ref.grads[l - 1].b],
        ] as const) {
          const got = await model.arena.param(`fc${l}.${which}`).grad.toArray();
          const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          expect(scale).toBeGreaterThan(0);
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
          expect(worst, `fc${l}.${which}`).toBeLessThanOrEqual(1e-4 * scale);
        }
      }
      tx.dispose();
      tt.dispose();
      model.dispose();
    });
  }

  it('tags parameters by role and layer, in layer order', () => {
    const model = createMlp(rt(), { sizes: [4, 3, 2] });
    expect(model.arena.params.map((p) => [p.name, p.role, p.layer, p.shape])).toEqual([
      ['fc1.weight', 'weight', 'fc1', [4, 3]],
      ['fc1.bias', 'bias', 'fc1', [3]],
      ['fc2.weight', 'weight', 'fc2', [3, 2]],
      ['fc2.bias', 'bias', 'fc2', [2]],
    ]);
    model.dispose();
  });
});
