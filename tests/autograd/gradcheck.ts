/**
 * Central-difference gradient checks of GPU ops (test helper, not a test file).
 *
 * The checked function f maps input Vars to an output Var of any shape; the scalar checked is
 * L = Σ f(x) ⊙ W with fixed random weights W, so every output element's gradient is distinct.
 * Analytic: backward() of L. Numeric: (L(x + h·e_j) − L(x − h·e_j)) / 2h for every element j of
 * every input, each L evaluated on the GPU in f32 and differenced in f64 on the CPU.
 *
 * Tolerance (f32-aware): an f32 evaluation of L carries a rounding error of about
 * ε·Σ|terms| with ε = 2^-24 times a small factor for the summation depth; divided by 2h that
 * becomes the noise floor of the numeric gradient. With h = 1e-2 and |L| terms of order 1-10
 * it is ~1e-4; the truncation error h²/6·|f'''| is ~2e-5 for the smooth functions tested (inputs
 * are kept 2h away from kinks such as relu's 0). The check is |num − ana| ≤ atol + rtol·|num| with
 * atol = 2e-3 and rtol = 1e-2 by default: ten times the expected noise, far below the size of any
 * real mistake (a wrong rule is off by O(1) on some element).
 */
import { expect } from 'vitest';
import { backward, noGrad, sum, mul, tidy, variable, type Var } from '../../engine/autograd/index';
import type { Runtime } from '../../engine/runtime/runtime';
import { shapeSize } from '../../engine/runtime/tensor';
import { randomArray } from '../helpers/random';

/** One input of a check: values and shape. */
export interface CheckInput {
  data: Float32Array;
  shape: number[];
}

/** Tolerances and step. */
export interface CheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

/** A random input of `shape` with values in [lo, hi). */
export function input(shape: number[], seed: number, lo = -1, hi = 1): CheckInput {
  return { data: randomArray(shapeSize(shape), seed, lo, hi), shape };
}

/** Like {@link input}, but every value at least `gap` away from 0 (for kinks at 0). */
export function inputAwayFromZero(shape: number[], seed: number, gap = 0.05): CheckInput {
  const d = randomArray(shapeSize(shape), seed, -1, 1).map((x) => (x >= 0 ? x + gap : x - gap));
  return { data: d, shape };
}

/** Checks f's analytic gradients against central differences for every input element. */
export async function gradCheck(rt: Runtime, f: (xs: Var[]) => Var, inputs: CheckInput[], opts: CheckOptions = {}): Promise<void> {
  const { h = 1e-2, atol = 2e-3, rtol = 1e-2, seed = 99 } = opts;
  const tensors = inputs.map((x) => rt.tensor(x.data, x.shape));
  const vars = tensors.map((t) => variable(t));
  const out = f(vars);
  const w = rt.tensor(randomArray(out.data.size, seed, -1, 1), out.shape);
  const loss = sum(mul(out, w));
  backward(loss);
  loss.dispose();
  const analytic = await Promise.all(vars.map(async (v) => (v.grad ? await v.grad.toArray() : new Float32Array(v.data.size))));
  vars.forEach((v) => v.dispose());

  const evalLoss = async (xs: CheckInput[]): Promise<number> => {
    const ts = xs.map((x) => rt.tensor(x.data, x.shape));
    const l = noGrad(() => tidy(() => sum(mul(f(ts.map((t) => variable(t, { requiresGrad: false }))), w))));
    const value = await l.data.item();
    l.dispose();
    ts.forEach((t) => t.dispose());
    return value;
  };
  for (let i = 0; i < inputs.length; i++) {
    const numeric = new Float64Array(inputs[i].data.length);
    for (let j = 0; j < numeric.length; j++) {
      const at = (delta: number): CheckInput[] =>
        inputs.map((x, k) => {
          if (k !== i) return x;
          const d = Float32Array.from(x.data);
          d[j] += delta;
          return { data: d, shape: x.shape };
        });
      const plus = await evalLoss(at(h));
      const minus = await evalLoss(at(-h));
      // The perturbation actually applied in f32 (x ± h rounds), for an exact denominator.
      const x0 = inputs[i].data[j];
      numeric[j] = (plus - minus) / (Math.fround(x0 + h) - Math.fround(x0 - h));
    }
    for (let j = 0; j < numeric.length; j++) {
      const tol = atol + rtol * Math.abs(numeric[j]);
      const diff = Math.abs(numeric[j] - analytic[i][j]);
      if (!(diff <= tol)) {
        expect.fail(
          `input ${i} element ${j}: analytic ${analytic[i][j]} vs numeric ${numeric[j]} (|diff| ${diff.toExponential(2)} > tol ${tol.toExponential(2)})`,
        );
      }
    }
  }
  tensors.forEach((t) => t.dispose());
  w.dispose();
}
