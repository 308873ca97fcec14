/**
 * L2 regularization on linear regression (chapter 7.1.1), trained on the GPU — forward and backward
 * on the tape, updates by the fused chain over a ParamArena — against f64 closed forms.
 *
 * Convention. The code minimizes the mean-squared loss with a coupled L2 gradient:
 *
 *   J(w) = ½·(1/n)·‖Xw − y‖²,   ∇J = Xᵀ(Xw − y)/n,   step: w ← w − ε·(∇J + α·w)   (eq. 7.5)
 *
 * i.e. the objective J(w) + ½α‖w‖² (Ω = ½‖w‖², eq. 7.1). Its fixed point solves
 * (XᵀX/n + αI)·w = Xᵀy/n, so
 *
 *   w̃ = (XᵀX/n + αI)⁻¹·Xᵀy/n = (XᵀX + nα·I)⁻¹·Xᵀy,
 *
 * which is eq. 7.17, (XᵀX + α′I)⁻¹Xᵀy, with α′ = n·α: the mean (1/n) in our loss moves the factor n
 * onto α. (Eq. 7.17 itself is exact for the cost ½‖Xw − y‖² + ½α′‖w‖²; with the book's cost
 * (Xw − y)ᵀ(Xw − y) + ½α′wᵀw as printed the normal equations would give α′/2 instead — the factor 2
 * that is easy to get wrong. The test shows that the wrong factors are far outside its tolerance.)
 *
 * Checks: (1) coupled L2 + SGD converges to w̃; (2) along each eigenvector of the unregularized
 * Hessian H = XᵀX/n = QΛQᵀ, the regularized solution is λᵢ/(λᵢ + α) times the unregularized one
 * (eq. 7.13), both solutions trained on the GPU; (3) decoupled decay with SGD reaches the same fixed
 * point, because its update is the same: w − ε·(∇J + α·w) in both (shaders/update_chain.wgsl:
 * coupled adds α·w to g before the direction, decoupled adds it to the direction d = g after; with
 * SGD, d = g — it is Adam's rescaling of d that makes them differ).
 *
 * Tolerance (see `bound` below): gradient descent on a quadratic with Hessian A = H + αI contracts
 * the error by ρ = maxᵢ|1 − ε·μᵢ(A)| per step, so after T steps from w = 0 the error is at most
 * ρᵀ·‖w̃‖ plus the f32 floor: each step adds at most f = ε·e + δ (e the rounding error of the f32
 * gradient, δ that of the update, both bounded with Higham's γₖ) and the contraction sums these to
 * at most ‖f‖/(1 − ρ). The bound is in the 2-norm (so it holds in any orthonormal basis, the
 * eigenbasis included) and is doubled for slack. It comes out at 2e-5 … 5e-5 (the measured errors
 * are near 1e-7: the bound is worst-case), while the wrong conventions of eq. 7.17 miss by more
 * than 1e-1.
 */
import { describe, expect, it } from 'vitest';
import { backward, matmul, mean, param, scale, square, sub } from '../../engine/autograd/index';
import type { Runtime } from '../../engine/index';
import { ParamArena } from '../../engine/optim/arena';
import { chain, coupledL2, decoupledWeightDecay, sgd, type Chain } from '../../engine/optim/chain';
import { randomArray, useRuntime } from '../helpers/gpu';
import {
  flatten,
  fromRows,
  gamma,
  identity,
  matMul,
  matTVec,
  matVec,
  maxAbs,
  norm2,
  orthogonal,
  solve,
  symmetricEigen,
  transpose,
  type Matrix,
} from './linalg';

const N = 64;
const D = 5;
const ALPHA = 0.3;
const f32 = Math.fround;

/** The regression problem, its inputs rounded to f32 (what the GPU sees) and kept in f64. */
interface Problem {
  x: Matrix;
  y: number[];
  /** H = XᵀX/n, the Hessian of J. */
  h: Matrix;
  /** Xᵀy/n. */
  b: number[];
}

/**
 * n = 64 examples, d = 5 features: uniform inputs, columns scaled by 1.5 … 0.6 and rotated by a fixed
 * orthogonal matrix, so H's eigenvalues are spread (≈ 0.11 … 0.74) and its eigenvectors are not the
 * axes; targets y = X·w_true + uniform noise of ±0.3.
 */
function makeProblem(): Problem {
  const colScale = [1.5, 1.2, 1, 0.8, 0.6];
  const z = fromRows(randomArray(N * D, 1001), N, D);
  const x = matMul(
    z.map((row) => row.map((v, j) => v * colScale[j])),
    transpose(orthogonal(D, 7)),
  ).map((row) => row.map(f32));
  const wTrue = [1, -2, 0.5, 1.5, -1];
  const noise = randomArray(N, 1002, -0.3, 0.3);
  const y = matVec(x, wTrue).map((v, i) => f32(v + noise[i]));
  const h = matMul(transpose(x), x).map((row) => row.map((v) => v / N));
  const b = matTVec(x, y).map((v) => v / N);
  return { x, y, h, b };
}

const plus = (m: Matrix, a: number): Matrix => m.map((row, i) => row.map((v, j) => v + (i === j ? a : 0)));

/** Eq. 7.17 read with α′: (XᵀX + α′I)⁻¹Xᵀy. */
function eq717(p: Problem, alphaPrime: number): number[] {
  return solve(plus(matMul(transpose(p.x), p.x), alphaPrime), matTVec(p.x, p.y));
}

/** Steps of gradient descent at learning rate ε on J + ½α‖w‖², from w = 0, on the GPU. */
async function train(rt: Runtime, p: Problem, make: (lr: number) => Chain, lr: number, steps: number): Promise<number[]> {
  const arena = ParamArena.create(rt, [{ name: 'w', shape: [D, 1], role: 'weight', layer: 'linear' }]);
  const pw = arena.param('w');
  const opt = make(lr).init(arena);
  const x = rt.tensor(Float32Array.from(flatten(p.x)), [N, D]);
  const y = rt.tensor(Float32Array.from(p.y), [N, 1]);
  const w = param(pw.value, pw.grad, 'w');
  for (let k = 0; k < steps; k++) {
    arena.zeroGrads();
    const loss = scale(mean(square(sub(matmul(x, w), y))), 0.5);
    backward(loss);
    loss.dispose();
    opt.step();
  }
  const out = Array.from(await pw.value.toArray());
  opt.dispose();
  arena.dispose();
  x.dispose();
  y.dispose();
  return out;
}

/** The learning rate 2/(μ_min + μ_max) of A = H + αI (the fastest fixed step), rounded to f32. */
function bestLr(p: Problem, alpha: number): number {
  const mu = symmetricEigen(plus(p.h, alpha)).values;
  return f32(2 / (mu[0] + mu[mu.length - 1]));
}

/**
 * Bound on ‖w_T − w̃‖₂ after `steps` steps (header): the contraction term ρᵀ‖w̃‖ plus the f32 floor
 * ‖ε·e + δ‖/(1 − ρ), doubled. Per component j, at the fixed point (the last steps are the ones
 * not damped away):
 *   e_j = (1/n)·Σᵢ |Xᵢⱼ|·[γ_{d+1}·(Σₖ|Xᵢₖ||w̃ₖ| + |yᵢ|) + γ_{n+4}·|rᵢ|]
 *         (the residual rᵢ = (Xw − y)ᵢ is a d-term dot product and a subtraction; squaring's
 *          backward, the ½ and the mean are ≤ 4 more roundings; Xᵀ·(…) sums n terms),
 *   δ_j = γ₄·|w̃ⱼ|·(1 + 2εα)   (α·w, g + α·w, ε·(…), w − (…); at the fixed point |g| = α|w|).
 */
function bound(p: Problem, alpha: number, lr: number, steps: number, wFixed: number[]): number {
  const mu = symmetricEigen(plus(p.h, alpha)).values;
  const rho = Math.max(...mu.map((m) => Math.abs(1 - lr * m)));
  const r = matVec(p.x, wFixed).map((v, i) => v - p.y[i]);
  const f = wFixed.map((wj, j) => {
    let e = 0;
    for (let i = 0; i < N; i++) {
      const dot = p.x[i].reduce((s, v, k) => s + Math.abs(v * wFixed[k]), 0);
      e += Math.abs(p.x[i][j]) * (gamma(D + 1) * (dot + Math.abs(p.y[i])) + gamma(N + 4) * Math.abs(r[i]));
    }
    e /= N;
    return lr * e + gamma(4) * Math.abs(wj) * (1 + 2 * lr * alpha);
  });
  return 2 * (rho ** steps * norm2(wFixed) + norm2(f) / (1 - rho));
}

describe('L2 on linear regression: GPU gradient descent against the ridge closed form', () => {
  const rt = useRuntime();
  const p = makeProblem();
  const STEPS = 120;

  it('coupled L2 + SGD converges to (XᵀX/n + αI)⁻¹Xᵀy/n = eq. 7.17 with α′ = nα; the factor-2 and no-n readings are far off', async () => {
    const lr = bestLr(p, ALPHA);
    const closed = solve(plus(p.h, ALPHA), p.b);
    // The two forms of the fixed point agree in f64 (the same equation multiplied by n).
    expect(maxAbs(eq717(p, N * ALPHA), closed)).toBeLessThan(1e-12);
    const tol = bound(p, ALPHA, lr, STEPS, closed);
    expect(tol).toBeLessThan(1e-4);

    const got = await train(rt(), p, (eps) => chain(coupledL2({ alpha: ALPHA }), sgd({ lr: eps })), lr, STEPS);
    expect(norm2(got.map((v, i) => v - closed[i])), `GPU ${got} vs ${closed}`).toBeLessThanOrEqual(tol);
    // Conventions that are not the code's: α′ = α (forgetting n) and α′ = 2nα (the printed cost's factor).
    for (const wrong of [ALPHA, 2 * N * ALPHA, (N * ALPHA) / 2]) expect(norm2(got.map((v, i) => v - eq717(p, wrong)[i]))).toBeGreaterThan(100 * tol);
  });

  it('along each eigenvector of H = QΛQᵀ the regularized solution is λᵢ/(λᵢ + α) times the unregularized one (eq. 7.13)', async () => {
    const { values: lambda, vectors: q } = symmetricEigen(p.h);
    // The Jacobi decomposition itself, to f64 accuracy: QᵀQ = I and QΛQᵀ = H.
    expect(maxAbs(matMul(transpose(q), q).flat(), identity(D).flat())).toBeLessThan(1e-12);
    expect(
      maxAbs(
        matMul(
          q.map((row) => row.map((v, j) => v * lambda[j])),
          transpose(q),
        ).flat(),
        p.h.flat(),
      ),
    ).toBeLessThan(1e-12);

    const wStar = solve(p.h, p.b);
    const wTilde = solve(plus(p.h, ALPHA), p.b);
    const lr0 = bestLr(p, 0);
    const lrA = bestLr(p, ALPHA);
    const tol0 = bound(p, 0, lr0, STEPS, wStar);
    const tolA = bound(p, ALPHA, lrA, STEPS, wTilde);
    const gotStar = await train(rt(), p, (eps) => chain(sgd({ lr: eps })), lr0, STEPS);
    const gotTilde = await train(rt(), p, (eps) => chain(coupledL2({ alpha: ALPHA }), sgd({ lr: eps })), lrA, STEPS);
    expect(norm2(gotStar.map((v, i) => v - wStar[i]))).toBeLessThanOrEqual(tol0);

    // In the eigenbasis (an isometry: the 2-norm bounds hold per component). z̃ᵢ − fᵢ·z*ᵢ mixes the
    // errors as (z̃ᵢ − exact) − fᵢ·(z*ᵢ − exact), fᵢ < 1: at most tolA + tol0.
    const zStar = matTVec(q, gotStar);
    const zTilde = matTVec(q, gotTilde);
    const factor = lambda.map((l) => l / (l + ALPHA));
    for (let i = 0; i < D; i++) {
      expect(Math.abs(zTilde[i] - factor[i] * zStar[i]), `direction ${i}: λ = ${lambda[i]}, factor ${factor[i]}`).toBeLessThanOrEqual(tolA + tol0);
    }
    // The same statement in the original basis: w̃ = Q·diag(λ/(λ+α))·Qᵀ·w*.
    const predicted = matVec(
      q,
      zStar.map((z, i) => factor[i] * z),
    );
    expect(norm2(gotTilde.map((v, i) => v - predicted[i]))).toBeLessThanOrEqual(tolA + tol0);
    // The factors really differ per direction (0.28 … 0.71): one uniform shrink would not pass.
    expect(factor[0] / factor[D - 1]).toBeGreaterThan(2);
    const meanFactor = factor.reduce((s, v) => s + v, 0) / D;
    expect(
      maxAbs(
        zTilde,
        zStar.map((z) => meanFactor * z),
      ),
    ).toBeGreaterThan(100 * (tolA + tol0));
  });

  it('decoupled weight decay with SGD reaches the same fixed point as coupled L2 (the same update w − ε(∇J + αw))', async () => {
    const lr = bestLr(p, ALPHA);
    const closed = solve(plus(p.h, ALPHA), p.b);
    const tol = bound(p, ALPHA, lr, STEPS, closed);
    const coupled = await train(rt(), p, (eps) => chain(coupledL2({ alpha: ALPHA }), sgd({ lr: eps })), lr, STEPS);
    const decoupled = await train(rt(), p, (eps) => chain(sgd({ lr: eps }), decoupledWeightDecay({ alpha: ALPHA })), lr, STEPS);
    expect(norm2(decoupled.map((v, i) => v - closed[i])), `decoupled ${decoupled} vs ${closed}`).toBeLessThanOrEqual(tol);
    // Both are within tol of w̃, hence within 2·tol of each other (the kernels may round the two
    // orders of the same sum differently, so bit equality is not asserted).
    expect(norm2(decoupled.map((v, i) => v - coupled[i]))).toBeLessThanOrEqual(2 * tol);
  });
});
