/**
 * Finite-difference gradient checks of every autodiff op on small random shapes, including
 * broadcasting. What each check compares and why its tolerance is what it is: see ./gradcheck.ts.
 */
import { describe, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { useRuntime } from '../helpers/gpu';
import { gradCheck, input, inputAwayFromZero } from './gradcheck';

describe('gradient checks: elementwise and broadcasting', () => {
  const rt = useRuntime();
  const binaries = [
    ['add', F.add],
    ['sub', F.sub],
    ['mul', F.mul],
  ] as const;
  const shapes: [number[], number[]][] = [
    [
      [3, 4],
      [3, 4],
    ],
    [[3, 4], [4]],
    [
      [2, 1, 3],
      [4, 1],
    ],
    [
      [3, 1],
      [1, 4],
    ],
    [[], [2, 3]],
  ];
  for (const [name, op] of binaries) {
    for (const [sa, sb] of shapes) {
      it(`${name} [${sa}] with [${sb}]`, async () => {
        await gradCheck(rt(), ([a, b]) => op(a, b), [input(sa, 1), input(sb, 2)]);
      });
    }
  }
  for (const [sa, sb] of shapes) {
    it(`div [${sa}] by [${sb}] (denominators in [0.5, 2))`, async () => {
      await gradCheck(rt(), ([a, b]) => F.div(a, b), [input(sa, 3), input(sb, 4, 0.5, 2)]);
    });
  }
  it('scale', async () => {
    await gradCheck(rt(), ([a]) => F.scale(a, -1.5), [input([2, 5], 5)]);
  });
  it('the same Var used twice (gradients add up)', async () => {
    await gradCheck(rt(), ([a]) => F.mul(F.add(a, a), a), [input([3, 2], 6)]);
  });
});

describe('gradient checks: unary math', () => {
  const rt = useRuntime();
  it('relu (inputs kept away from the kink at 0)', async () => {
    await gradCheck(rt(), ([a]) => F.relu(a), [inputAwayFromZero([4, 5], 7)]);
  });
  it('tanh', async () => {
    await gradCheck(rt(), ([a]) => F.tanh(a), [input([4, 5], 8, -2, 2)]);
  });
  it('sigmoid', async () => {
    await gradCheck(rt(), ([a]) => F.sigmoid(a), [input([4, 5], 9, -3, 3)]);
  });
  it('exp', async () => {
    await gradCheck(rt(), ([a]) => F.exp(a), [input([4, 5], 10)]);
  });
  it('log (inputs in [0.5, 2))', async () => {
    await gradCheck(rt(), ([a]) => F.log(a), [input([4, 5], 11, 0.5, 2)]);
  });
});

describe('gradient checks: reductions and layout', () => {
  const rt = useRuntime();
  const cases: [number[] | undefined, boolean][] = [
    [undefined, false],
    [[0], false],
    [[1], true],
    [[0, 2], false],
    [[-1], true],
  ];
  for (const [axes, keepDims] of cases) {
    it(`sum and mean over ${axes ? `[${axes}]` : 'all'}${keepDims ? ' keepDims' : ''} of [2, 3, 4]`, async () => {
      await gradCheck(rt(), ([a]) => F.sum(a, axes, keepDims), [input([2, 3, 4], 12)]);
      await gradCheck(rt(), ([a]) => F.mean(a, axes, keepDims), [input([2, 3, 4], 13)]);
    });
  }
  it('reshape', async () => {
    await gradCheck(rt(), ([a]) => F.mul(F.reshape(a, [4, -1]), F.reshape(a, [4, 3])), [input([2, 6], 14)]);
  });
  it('transpose [2, 3, 4] by [2, 0, 1] and the default reversal', async () => {
    await gradCheck(rt(), ([a]) => F.transpose(a, [2, 0, 1]), [input([2, 3, 4], 15)]);
    await gradCheck(rt(), ([a]) => F.transpose(a), [input([3, 5], 16)]);
  });
  it('broadcastTo [3, 1] → [2, 3, 4]', async () => {
    await gradCheck(rt(), ([a]) => F.broadcastTo(a, [2, 3, 4]), [input([3, 1], 17)]);
  });
  it('gather with repeated indices (the table gets the rows added back)', async () => {
    const idx = rt().tensor(new Uint32Array([3, 0, 3, 1]));
    await gradCheck(rt(), ([t]) => F.gather(t, idx), [input([5, 3], 18)]);
    idx.dispose();
  });
});

describe('gradient checks: softmax cross-entropy', () => {
  const rt = useRuntime();
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`soft targets, reduction ${reduction}`, async () => {
      // Targets: random non-negative rows normalized to sum to 1 (as label smoothing produces).
      const t = input([4, 5], 19, 0, 1);
      for (let r = 0; r < 4; r++) {
        let s = 0;
        for (let c = 0; c < 5; c++) s += t.data[r * 5 + c];
        for (let c = 0; c < 5; c++) t.data[r * 5 + c] /= s;
      }
      const targets = rt().tensor(t.data, t.shape);
      await gradCheck(rt(), ([z]) => F.softmaxCrossEntropy(z, targets, reduction), [input([4, 5], 20, -3, 3)]);
      targets.dispose();
    });
  }
  it('targets that do not sum to 1 (gradient p·Σt − t)', async () => {
    const targets = rt().tensor(input([3, 4], 21, 0, 2).data, [3, 4]);
    await gradCheck(rt(), ([z]) => F.softmaxCrossEntropy(z, targets, 'sum'), [input([3, 4], 22, -2, 2)]);
    targets.dispose();
  });
});

describe('gradient checks: matmul and linear', () => {
  const rt = useRuntime();
  // Shapes where op(A) is M × K and op(B) is K × N; [4, 8] × [8, 4] takes the vec4 kernel.
  const dims: [number, number, number][] = [
    [3, 5, 2],
    [4, 8, 4],
  ];
  for (const [m, k, n] of dims) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`matmul M=${m} K=${k} N=${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`, async () => {
          const sa = transA ? [k, m] : [m, k];
          const sb = transB ? [n, k] : [k, n];
          await gradCheck(rt(), ([a, b]) => F.matmul(a, b, { transA, transB }), [input(sa, 30), input(sb, 31)]);
        });
      }
    }
  }
  it('linear without bias, with bias, and with a fused relu', async () => {
    await gradCheck(rt(), ([x, w]) => F.linear(x, w), [input([4, 3], 32), input([3, 5], 33)]);
    await gradCheck(rt(), ([x, w, b]) => F.linear(x, w, b), [input([4, 3], 34), input([3, 5], 35), input([5], 36)]);
    // Pre-activations kept at least 1.25 away from relu's kink: |x·W| ≤ 3 · 0.5 · 0.5 and b = ±2,
    // so both branches are exercised and no perturbation of ±h crosses 0.
    const bias = { data: Float32Array.from({ length: 6 }, (_, i) => (i % 2 ? -2 : 2)), shape: [6] };
    await gradCheck(rt(), ([x, w, b]) => F.linear(x, w, b, { relu: true }), [input([5, 3], 37, -0.5, 0.5), input([3, 6], 38, -0.5, 0.5), bias]);
  });
});

describe('gradient checks: dropout', () => {
  const rt = useRuntime();
  // The mask is a function of the key only, so every evaluation of the difference quotient sees
  // the same mask: the function is linear in x and the check is exact up to f32 rounding.
  it('dropout on [5, 8] (vec4 kernel) and [3, 5] (scalar kernel), inverted and unscaled', async () => {
    await gradCheck(rt(), ([a]) => F.dropout(a, { keepProb: 0.6, seed: 3, stream: 1, offset: 7 }), [input([5, 8], 40)]);
    await gradCheck(rt(), ([a]) => F.dropout(a, { keepProb: 0.5, seed: 4, offset: 2, scale: 'none' }), [input([3, 5], 41)]);
  });
});
