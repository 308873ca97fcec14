/**
 * Early stopping as L2 regularization (chapter 7.8, eqs. 7.33–7.45), on the GPU: gradient descent
 * with the engine's `chain(sgd({ lr }))` over a ParamArena on the quadratic
 *
 *   J(w) = ½(w − w*)ᵀH(w − w*),   H = QΛQᵀ (d = 4, Λ = 2, 1, 0.5, 0.25; Q a fixed rotation),
 *
 * whose gradient H(w − w*) comes from the tape (sub, matmul, mul, sum, scale; backward) every step,
 * started from w⁽⁰⁾ = 0 with learning rate ε. Against the book's closed forms, in f64, with Q and Λ
 * recomputed by Jacobi from the f32 H the GPU actually uses:
 *
 * - eq. 7.40: Qᵀw⁽τ⁾ = [I − (I − εΛ)^τ]·Qᵀw*, at τ = 1, 5 and 20 (ε = 0.1);
 * - eq. 7.42–7.43: in direction i that equals the L2 solution λᵢ/(λᵢ + αᵢ)·(Qᵀw*)ᵢ for
 *   αᵢ = λᵢ(1 − ελᵢ)^τ / (1 − (1 − ελᵢ)^τ): checked by training the L2-regularized problem
 *   (`chain(coupledL2({ alpha: αᵢ }), sgd(…))`) to convergence on the GPU, once per αᵢ, and
 *   comparing component i; the αᵢ differ per direction (0.02 … 0.38), and one α does not fit all;
 * - eq. 7.44–7.45: α ≈ 1/(τε) when ελᵢ and λᵢ/α are small (ε = 4e-4, τ = 50: ελ ≤ 8e-4,
 *   λ/α ≈ τελ ≤ 0.04). Bound: with x = −τ·ln(1 − ελ) (so τελ ≤ x ≤ τελ/(1 − ελ)),
 *   ατε = τελ/(eˣ − 1), and 1/x − ½ < 1/(eˣ − 1) < 1/x − ½ + x/12 give
 *       −(ελ + τελ/2) < ατε − 1 < 0   (for x < 6),
 *   first order −(ελ + τελ)/2: O(ελ + λτε). Checked for the closed-form αᵢ and for the α implied
 *   by the GPU trajectory, α̂ᵢ = λᵢ(zᵢ* − zᵢ)/zᵢ with z = Qᵀw⁽τ⁾.
 *
 * Tolerance of a trajectory (`trajectoryBound`): the exact iteration is w ← (I − εH)w + εHw*, and
 * ‖I − εH‖₂ = maxᵢ|1 − ελᵢ| ≤ 1 here, so the f32 error after τ steps is at most the sum of the
 * per-step rounding errors ξ: the gradient (w − w*, a 4-term dot product, the ½ and the sum of the
 * mul's two backward paths: γ₇·‖|H|‖_F·‖w − w*‖) times ε, plus the update w − ε·g (γ₂·(‖w‖ + ε‖g‖));
 * along the exact path ‖w − w*‖ ≤ ‖w*‖ and ‖w‖ ≤ ‖w⁽τ⁾‖ (each eigen-component grows monotonically
 * toward zᵢ*). Doubled for slack; 2-norm, so it holds per component in the eigenbasis.
 * The converged L2 runs are bounded as in l2-ridge.test.ts: ρᵀ‖w̃‖ + ‖f32 floor‖/(1 − ρ).
 */
import { describe, expect, it } from 'vitest';
import { backward, matmul, mul, param, scale, sub, sum } from '../../engine/autograd/index';
import type { Runtime } from '../../engine/index';
import { ParamArena } from '../../engine/optim/arena';
import { chain, coupledL2, sgd, type Chain } from '../../engine/optim/chain';
import { useRuntime } from '../helpers/gpu';
import { flatten, fromEigen, gamma, matTVec, matVec, norm2, orthogonal, solve, symmetricEigen, type Matrix } from './linalg';

const D = 4;
const f32 = Math.fround;

/** H = QΛQᵀ, symmetrized and rounded to f32 (what the GPU uses), with its own f64 eigen-decomposition. */
function makeProblem(): { h: Matrix; wStar: number[]; lambda: number[]; q: Matrix; zStar: number[] } {
  const q0 = orthogonal(D, 11);
  const h64 = fromEigen(q0, [2, 1, 0.5, 0.25]);
  const h = h64.map((row, i) => row.map((_, j) => f32((h64[i][j] + h64[j][i]) / 2)));
  const wStar = matVec(q0, [1, -1.5, 2, -1]).map(f32);
  const { values: lambda, vectors: q } = symmetricEigen(h);
  return { h, wStar, lambda, q, zStar: matTVec(q, wStar) };
}

const plus = (m: Matrix, a: number): Matrix => m.map((row, i) => row.map((v, j) => v + (i === j ? a : 0)));

/** ‖|H|‖_F, a bound on ‖|H|‖₂. */
const absFrobenius = (m: Matrix): number => Math.sqrt(m.flat().reduce((s, v) => s + v * v, 0));

/**
 * Gradient descent on J (+ the chain's penalties) from w = 0 on the GPU; the parameter after each
 * step listed in `readAt`.
 */
async function train(rt: Runtime, h: Matrix, wStar: number[], opt: Chain, readAt: readonly number[]): Promise<Map<number, number[]>> {
  const arena = ParamArena.create(rt, [{ name: 'w', shape: [D, 1], role: 'weight', layer: 'quadratic' }]);
  const pw = arena.param('w');
  const bound = opt.init(arena);
  const ht = rt.tensor(Float32Array.from(flatten(h)), [D, D]);
  const ws = rt.tensor(Float32Array.from(wStar), [D, 1]);
  const w = param(pw.value, pw.grad, 'w');
  const out = new Map<number, number[]>();
  const last = Math.max(...readAt);
  for (let t = 1; t <= last; t++) {
    arena.zeroGrads();
    const e = sub(w, ws);
    const loss = scale(sum(mul(e, matmul(ht, e))), 0.5);
    backward(loss);
    loss.dispose();
    bound.step();
    if (readAt.includes(t)) out.set(t, Array.from(await pw.value.toArray()));
  }
  bound.dispose();
  arena.dispose();
  ht.dispose();
  ws.dispose();
  return out;
}

/** Eq. 7.40 in the eigenbasis: [1 − (1 − ελᵢ)^τ]·zᵢ*. */
const earlyStopped = (lambda: number[], zStar: number[], eps: number, tau: number): number[] => lambda.map((l, i) => (1 - (1 - eps * l) ** tau) * zStar[i]);

/** Eq. 7.43: the αᵢ with (1 − ελᵢ)^τ = αᵢ/(λᵢ + αᵢ). */
const equivalentAlpha = (lambda: number[], eps: number, tau: number): number[] =>
  lambda.map((l) => {
    const r = (1 - eps * l) ** tau;
    return (l * r) / (1 - r);
  });

/** The header's bound on ‖w_GPU⁽τ⁾ − w⁽τ⁾‖₂ for plain gradient descent from 0. */
function trajectoryBound(h: Matrix, wStar: number[], wTau: number[], eps: number, tau: number, hNorm: number): number {
  const perStep = eps * (gamma(7) * absFrobenius(h) + gamma(2) * hNorm) * norm2(wStar) + gamma(2) * norm2(wTau);
  return 2 * tau * perStep;
}

/**
 * Bound on ‖w_GPU − w̃‖₂ for `steps` steps of coupled L2 + SGD from 0 (as in l2-ridge.test.ts):
 * ρᵀ‖w̃‖ + ‖ε·e + δ‖/(1 − ρ), doubled; e ≤ γ₇‖|H|‖_F‖w̃ − w*‖ + γ₂α‖w̃‖ (the gradient and α·w),
 * δ ≤ γ₄‖w̃‖(1 + 2εα) (the update; |g| = α|w̃| at the fixed point).
 */
function l2Bound(h: Matrix, wStar: number[], wTilde: number[], alpha: number, lr: number, steps: number, mu: number[]): number {
  const rho = Math.max(...mu.map((m) => Math.abs(1 - lr * m)));
  const e = gamma(7) * absFrobenius(h) * norm2(wTilde.map((v, i) => v - wStar[i])) + gamma(2) * alpha * norm2(wTilde);
  const f = lr * e + gamma(4) * norm2(wTilde) * (1 + 2 * lr * alpha);
  return 2 * (rho ** steps * norm2(wTilde) + f / (1 - rho));
}

describe('early stopping on a quadratic is L2 regularization (eqs. 7.40–7.45), on the GPU', () => {
  const rt = useRuntime();
  const p = makeProblem();
  const hNorm = p.lambda[0];

  it('the Jacobi eigen-decomposition of the f32 H reproduces it, with the chosen spectrum', () => {
    expect(
      Math.max(
        ...fromEigen(p.q, p.lambda)
          .flat()
          .map((v, k) => Math.abs(v - p.h.flat()[k])),
      ),
    ).toBeLessThan(1e-12);
    // f32 rounding of H moves the eigenvalues by at most ‖ΔH‖₂ ≤ ‖ΔH‖_F ≤ 4·2⁻²⁴·2.
    p.lambda.forEach((l, i) => expect(Math.abs(l - [2, 1, 0.5, 0.25][i])).toBeLessThan(1e-6));
  });

  it('from w = 0, Qᵀw⁽τ⁾ = [I − (I − εΛ)^τ]Qᵀw* (eq. 7.40) at τ = 1, 5, 20', async () => {
    const eps = f32(0.1);
    const taus = [1, 5, 20];
    const got = await train(rt(), p.h, p.wStar, chain(sgd({ lr: 0.1 })), taus);
    for (const tau of taus) {
      const want = earlyStopped(p.lambda, p.zStar, eps, tau);
      const z = matTVec(p.q, got.get(tau)!);
      const tol = trajectoryBound(p.h, p.wStar, matVec(p.q, want), eps, tau, hNorm);
      expect(tol).toBeLessThan(1e-4);
      for (let i = 0; i < D; i++)
        expect(Math.abs(z[i] - want[i]), `τ = ${tau}, direction ${i} (λ = ${p.lambda[i]}): ${z[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol);
    }
  });

  it('direction by direction, the early-stopped w equals the L2 solution for αᵢ of eq. 7.43, trained to convergence', async () => {
    const eps = f32(0.1);
    const tau = 20;
    const esW = (await train(rt(), p.h, p.wStar, chain(sgd({ lr: 0.1 })), [tau])).get(tau)!;
    const esZ = matTVec(p.q, esW);
    const esTol = trajectoryBound(p.h, p.wStar, matVec(p.q, earlyStopped(p.lambda, p.zStar, eps, tau)), eps, tau, hNorm);
    const alphas = equivalentAlpha(p.lambda, eps, tau);
    // Eq. 7.43 rearranged: λ/(λ + αᵢ) = 1 − (1 − ελ)^τ, so eq. 7.42's component equals eq. 7.40's.
    alphas.forEach((a, i) => expect(Math.abs(p.lambda[i] / (p.lambda[i] + a) - (1 - (1 - eps * p.lambda[i]) ** tau))).toBeLessThan(1e-14));
    // One α per direction, far apart: the equivalence is per eigen-direction.
    expect(alphas[D - 1] / alphas[0]).toBeGreaterThan(10);

    const steps = 120;
    const l2Z: number[][] = [];
    for (let i = 0; i < D; i++) {
      // The kernel's coefficient is f32(αᵢ); the closed form uses the same value.
      const a = f32(alphas[i]);
      const mu = symmetricEigen(plus(p.h, a)).values;
      const lr = f32(2 / (mu[0] + mu[D - 1]));
      const exact = solve(plus(p.h, a), matVec(p.h, p.wStar));
      const tol = l2Bound(p.h, p.wStar, exact, a, lr, steps, mu);
      const got = (await train(rt(), p.h, p.wStar, chain(coupledL2({ alpha: a }), sgd({ lr })), [steps])).get(steps)!;
      // The GPU reached the L2 optimum (H + αI)⁻¹Hw* …
      expect(norm2(got.map((v, k) => v - exact[k])), `α${i} = ${a}`).toBeLessThanOrEqual(tol);
      const z = matTVec(p.q, got);
      l2Z.push(z);
      // … and along direction i it is the early-stopped component (eq. 7.42 = eq. 7.40 at αᵢ). The
      // rounding of αᵢ to f32 moves λ/(λ + α)·z* by at most |z*|·|Δα|/λ (the slope is λ/(λ + α)² ≤ 1/λ).
      const alphaRounding = (Math.abs(p.zStar[i]) * Math.abs(a - alphas[i])) / p.lambda[i];
      expect(Math.abs(z[i] - esZ[i]), `direction ${i}: λ = ${p.lambda[i]}, α = ${a}: L2 ${z[i]} vs early-stopped ${esZ[i]}`).toBeLessThanOrEqual(
        tol + esTol + alphaRounding,
      );
    }
    // With the α of the stiffest direction, the flattest direction is far from the early-stopped one.
    expect(Math.abs(l2Z[0][D - 1] - esZ[D - 1])).toBeGreaterThan(0.1);
  });

  it('for small ελ and λ/α, αᵢ ≈ 1/(τε) (eqs. 7.44–7.45) within −(ελ + τελ/2) ≤ ατε − 1 ≤ 0, for eq. 7.43 and for the GPU trajectory', async () => {
    const eps = f32(4e-4);
    const tau = 50;
    for (const l of p.lambda) {
      expect(eps * l).toBeLessThanOrEqual(1e-3);
      expect(tau * eps * l).toBeLessThanOrEqual(0.05);
    }
    const alphas = equivalentAlpha(p.lambda, eps, tau);
    const lower = p.lambda.map((l) => -(eps * l + (tau * eps * l) / 2));
    alphas.forEach((a, i) => {
      const rel = a * tau * eps - 1;
      expect(rel, `λ = ${p.lambda[i]}: ατε − 1 = ${rel}`).toBeGreaterThanOrEqual(lower[i]);
      expect(rel).toBeLessThanOrEqual(0);
      // λ/α is small too (≈ τελ), the condition of eq. 7.44.
      expect(p.lambda[i] / a).toBeLessThanOrEqual(0.05);
    });

    const z = matTVec(p.q, (await train(rt(), p.h, p.wStar, chain(sgd({ lr: eps })), [tau])).get(tau)!);
    const zExact = earlyStopped(p.lambda, p.zStar, eps, tau);
    const tol = trajectoryBound(p.h, p.wStar, matVec(p.q, zExact), eps, tau, hNorm);
    for (let i = 0; i < D; i++) {
      const l = p.lambda[i];
      const implied = (l * (p.zStar[i] - z[i])) / z[i];
      // d(ατε)/dz = −τελ·z*/z²: a component error ≤ tol moves ατε by ≤ τελ|z*|·tol/(|z| − tol)².
      const allowance = (tau * eps * l * Math.abs(p.zStar[i]) * tol) / (Math.abs(zExact[i]) - tol) ** 2;
      expect(allowance, `direction ${i}`).toBeLessThan(0.2 * Math.abs(lower[i]));
      const rel = implied * tau * eps - 1;
      expect(Math.abs(rel - (alphas[i] * tau * eps - 1)), `direction ${i}: GPU-implied α = ${implied}, eq. 7.43 α = ${alphas[i]}`).toBeLessThanOrEqual(
        allowance,
      );
      expect(rel, `direction ${i}: GPU-implied ατε − 1 = ${rel}`).toBeGreaterThanOrEqual(lower[i] - allowance);
      expect(rel).toBeLessThanOrEqual(allowance);
    }
  });
});
