/**
 * Dropout fused into the matmul epilogues through autodiff: the `linearChain` op
 * (engine/autograd/ops/matmul.ts) and the MLP's use of it (`Sequential.fuse`, engine/nn/linear.ts).
 *
 * Oracles:
 * - gradients by central differences (./gradcheck.ts): the mask is a function of the key only, so
 *   every evaluation of the difference quotient sees the same mask; pre-activations are kept well
 *   away from ReLU's kink (biases ±2, small inputs and weights), so the function is smooth there;
 * - an MLP step through the fused path equals the unfused path (every layer's own forward: matmul,
 *   then a standalone dropout kernel, and in backward the dropout kernel and a ReLU-derivative pass)
 *   BIT FOR BIT: loss, logits and every parameter gradient. Why exact and not just to rounding: both
 *   paths run the same products with the same kernel (the same summation order), and the only
 *   per-element work the fusion moves is a select of v·fround(1/p) (one f32 product) or 0, with the
 *   mask from the same key, and a select on h > 0, which for a kept unit is the same condition as
 *   the pre-dropout ReLU output's since 1/p > 0. That holds where the adapter's plan runs the plain
 *   products on a kernel with the mask epilogue, which the software adapters' plans must (checked:
 *   on lavapipe and SwiftShader the comparison is always bit for bit); on any other adapter (a real
 *   GPU's plan, a workgroup-memory kernel) the masked products run another kernel, a different
 *   summation order, and the step is compared to rounding instead: 10⁻⁵ of the loss, 10⁻⁴ of each
 *   gradient's largest magnitude (the bound of tests/nn/mlp.test.ts);
 * - the fused path issues exactly three fewer dispatches per fused hidden dropout layer (its forward
 *   kernel, its backward kernel, the ReLU-derivative pass), i.e. the fusion really happens.
 */
import { describe, expect, it } from 'vitest';
import { apply } from '../../engine/autograd/tape';
import { backward, constant, softmaxCrossEntropy, type Var } from '../../engine/autograd/index';
import type { ChainLayer } from '../../engine/autograd/ops/matmul';
import { createMlp, type MlpOptions, type Sequential } from '../../engine/nn/index';
import { planMatmul } from '../../engine/ops/matmul';
import type { ForwardContext } from '../../engine/nn/layer';
import type { Runtime } from '../../engine/runtime/runtime';
import { randomArray, useRuntime, firstBitDiff } from '../helpers/gpu';
import { gradCheck, input, type CheckInput } from './gradcheck';

/** A bias of alternating ±2: with |x·W| < 2 no pre-activation is near the kink, and both branches occur. */
function kinkFreeBias(n: number): CheckInput {
  return { data: Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? -2 : 2)), shape: [n] };
}

const chain = (layers: ChainLayer[]) => (xs: Var[]) => apply('linearChain', xs, { layers });

describe('gradient checks: linearChain with dropout in the epilogues', () => {
  const rt = useRuntime();

  it('two layers, ReLU + inverted dropout between them (odd shapes: scalar or strided kernel)', async () => {
    const layers: ChainLayer[] = [
      { bias: true, relu: true, dropout: { keepProb: 0.6, seed: 3, stream: 1, offset: 7 } },
      { bias: true, relu: false },
    ];
    await gradCheck(rt(), chain(layers), [input([5, 3], 50, -0.5, 0.5), input([3, 7], 51, -0.5, 0.5), kinkFreeBias(7), input([7, 3], 52), input([3], 53)]);
  });

  it("three layers on vec4-aligned shapes, unscaled dropout on one, ReLU on every layer (the last layer's as its own pass)", async () => {
    const layers: ChainLayer[] = [
      { bias: true, relu: true, dropout: { keepProb: 0.5, seed: 9, stream: 2, offset: 1, scale: 'none' } },
      { bias: true, relu: true, dropout: { keepProb: 0.75, seed: 9, stream: 3, offset: 1 } },
      { bias: true, relu: true },
    ];
    // Every pre-activation stays ≥ 1 away from 0 against biases ±2: |x·W1| ≤ 4·0.5·0.5 = 1; then
    // h1 ≤ 3 (unscaled) and |h1·W2| ≤ 4·3·0.05 = 0.6; then h2 ≤ 2.6·4/3 < 3.5 and |h2·W3| ≤ 4·3.5·0.05 = 0.7.
    await gradCheck(rt(), chain(layers), [
      input([4, 4], 54, -0.5, 0.5),
      input([4, 4], 55, -0.5, 0.5),
      kinkFreeBias(4),
      input([4, 4], 56, -0.05, 0.05),
      kinkFreeBias(4),
      input([4, 4], 57, -0.05, 0.05),
      kinkFreeBias(4),
    ]);
  });

  it('dropout without ReLU between the layers (the backward epilogue applies the mask alone), a layer without bias', async () => {
    const layers: ChainLayer[] = [
      { bias: true, relu: false, dropout: { keepProb: 0.4, seed: 11, offset: 5 } },
      { bias: false, relu: false },
    ];
    await gradCheck(rt(), chain(layers), [input([6, 4], 58), input([4, 9], 59), input([9], 60), input([9, 2], 61)]);
  });
});

interface StepResult {
  loss: Float32Array;
  logits: Float32Array;
  grads: Map<string, Float32Array>;
  dispatches: number;
}

/** One training step's loss, logits and parameter gradients, with the model's fusion on or off. */
async function step(
  rt: Runtime,
  model: Sequential,
  fuse: boolean,
  x: Float32Array,
  rows: number,
  ctx: ForwardContext,
  labels: Float32Array,
): Promise<StepResult> {
  model.fuse = fuse;
  model.zeroGrads();
  const tx = rt.tensor(x, [rows, x.length / rows]);
  const tt = rt.tensor(labels, [rows, labels.length / rows]);
  const d0 = rt.workStats().dispatches;
  const logits = model.forward(constant(tx), ctx);
  const loss = softmaxCrossEntropy(logits, tt);
  const logitsCopy = logits.data.toArray();
  backward(loss);
  const dispatches = rt.workStats().dispatches - d0;
  const result: StepResult = { loss: (await loss.data.toArray()) as Float32Array, logits: (await logitsCopy) as Float32Array, grads: new Map(), dispatches };
  for (const p of model.arena.params) result.grads.set(p.name, await p.grad.toArray());
  loss.dispose();
  tx.dispose();
  tt.dispose();
  return result;
}

/**
 * Whether the masked products of an MLP step (each hidden layer's forward, and the input-gradient
 * product of the layer after it) run the same kernel as the plain ones: then the paths agree bit for bit.
 */
function sameKernels(rt: Runtime, sizes: readonly number[], rows: number): boolean {
  const shapes = sizes.slice(1, -1).flatMap((width, l) => [
    { m: rows, n: width, k: sizes[l], transA: false, transB: false },
    { m: rows, n: width, k: sizes[l + 2], transA: false, transB: true },
  ]);
  return shapes.every((s) => planMatmul(rt, { ...s, mask: false }).entry === planMatmul(rt, { ...s, mask: true }).entry);
}

/**
 * Whether the comparison must be bit for bit. The test decides, not the plan: on the two software
 * adapters it always is, and their plans must keep the masked and plain products on one kernel (a
 * plan change that moved them apart fails here instead of quietly relaxing the comparison). Only
 * on another adapter (a real GPU, WEBGPU_TESTS=hardware) are the paths compared to rounding.
 */
function exactOn(rt: Runtime, sizes: readonly number[], rows: number): boolean {
  if (rt.info.kind === 'other') return false;
  expect(sameKernels(rt, sizes, rows), `${rt.info.kind}: masked and plain products on one kernel`).toBe(true);
  return true;
}

/** Bit for bit, or within `rel` of the largest magnitude of `want`, as {@link exactOn} says. */
function expectSame(got: Float32Array, want: Float32Array, exact: boolean, rel: number, what: string): void {
  if (exact) {
    expect(firstBitDiff(got, want), what).toBe(-1);
    return;
  }
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, what).toBeLessThanOrEqual(rel * scale);
}

describe('an MLP step through the fused path equals the unfused path bit for bit', () => {
  const rt = useRuntime();
  const cases: { name: string; opts: MlpOptions; rows: number; ctx: ForwardContext; fusedDropouts: number }[] = [
    {
      name: 'aligned widths, inverted dropout on inputs and hidden units',
      opts: { sizes: [32, 64, 48, 12], hiddenDropout: { rate: 0.5 }, inputDropout: { rate: 0.2 } },
      rows: 16,
      ctx: { training: true, step: 4 },
      fusedDropouts: 2,
    },
    {
      name: 'odd widths, the weight scaling rule',
      opts: { sizes: [13, 17, 9, 5], hiddenDropout: [{ rate: 0.3 }, { rate: 0.6 }], dropoutRule: 'weight-scaling' },
      rows: 7,
      ctx: { training: true, step: 2 ** 33 + 1 },
      fusedDropouts: 2,
    },
    {
      name: 'dropout on one hidden layer of two',
      opts: { sizes: [20, 24, 16, 4], hiddenDropout: [{ rate: 0 }, { rate: 0.25 }] },
      rows: 9,
      ctx: { training: true, step: 0 },
      fusedDropouts: 1,
    },
    { name: 'no dropout (the ReLU derivative alone fused)', opts: { sizes: [20, 24, 16, 4] }, rows: 9, ctx: { training: true, step: 0 }, fusedDropouts: 0 },
  ];
  for (const c of cases) {
    it(`${c.name}: loss, logits and every gradient; three dispatches fewer per fused dropout layer`, async () => {
      const r = rt();
      const model = createMlp(r, { ...c.opts, seed: 5 });
      const sizes = c.opts.sizes;
      const x = randomArray(c.rows * sizes[0], 21, 0, 1);
      const k = sizes[sizes.length - 1];
      const labels = new Float32Array(c.rows * k);
      for (let i = 0; i < c.rows; i++) labels[i * k + ((3 * i) % k)] = 1;
      // A first step warms up what the runtime creates once (a constant it fills on first use), so
      // that the two counted steps issue only their own dispatches.
      await step(r, model, false, x, c.rows, c.ctx, labels);
      const fused = await step(r, model, true, x, c.rows, c.ctx, labels);
      const unfused = await step(r, model, false, x, c.rows, c.ctx, labels);
      const exact = exactOn(r, sizes, c.rows);
      expectSame(fused.loss, unfused.loss, exact, 1e-5, 'loss');
      expectSame(fused.logits, unfused.logits, exact, 1e-4, 'logits');
      for (const [name, g] of unfused.grads) {
        expect(
          g.some((v) => v !== 0),
          `${name} has a gradient`,
        ).toBe(true);
        expectSame(fused.grads.get(name) as Float32Array, g, exact, 1e-4, name);
      }
      const hidden = sizes.length - 2;
      // Every hidden layer saves its ReLU-derivative pass; a fused dropout layer its two kernels too.
      expect(unfused.dispatches - fused.dispatches).toBe(hidden + 2 * c.fusedDropouts);
      model.dispose();
    });
  }

  it('inference: Monte-Carlo dropout fused, explicit masks and the weight scaling rule unfused, all equal to the unfused path', async () => {
    const r = rt();
    for (const rule of ['inverted', 'weight-scaling'] as const) {
      const sizes = [16, 20, 12, 3];
      const model = createMlp(r, { sizes, hiddenDropout: { rate: 0.5 }, dropoutRule: rule, seed: 8 });
      const rows = 5;
      const x = r.tensor(randomArray(rows * sizes[0], 31, 0, 1), [rows, sizes[0]]);
      const masks = new Map([
        [
          'drop1',
          r.tensor(
            Float32Array.from(randomArray(rows * 20, 32), (v) => (v > 0 ? 1 : 0)),
            [rows, 20],
          ),
        ],
      ]);
      const contexts: ForwardContext[] = [
        { training: false, step: 0 },
        { training: false, dropout: true, step: 9 },
        { training: true, step: 3, masks },
      ];
      for (const ctx of contexts) {
        const out: Float32Array[] = [];
        for (const fuse of [true, false]) {
          model.fuse = fuse;
          const y = model.forward(constant(x), ctx);
          out.push((await y.data.toArray()) as Float32Array);
          y.dispose();
        }
        expectSame(out[0], out[1], exactOn(r, sizes, rows), 1e-4, `${rule} ${JSON.stringify({ ...ctx, masks: !!ctx.masks })}`);
      }
      masks.get('drop1')?.dispose();
      x.dispose();
      model.dispose();
    }
  });
});
