/**
 * L1 regularization with a diagonal Hessian (chapter 7.1.2), trained on the GPU: the quadratic
 *
 *   J(w) = ½·Σᵢ Hᵢᵢ·(wᵢ − wᵢ*)²,   ∇J = H(w − w*),
 *
 * is built on the tape (sub, square, mul, sum, scale) and back-propagated into a ParamArena every
 * step; the fused chain (engine/optim/chain.ts) takes the step. With Ω = ‖w‖₁ the minimizer of
 * J + α‖w‖₁ is the soft threshold (eq. 7.23)
 *
 *   w̃ᵢ = sign(wᵢ*)·max(|wᵢ*| − α/Hᵢᵢ, 0),
 *
 * exactly 0 wherever |wᵢ*| ≤ α/Hᵢᵢ. The w* below lie at 0.4–0.45 of their threshold or at 2.4–4.8
 * times it, never near it, and the iterations start at ±2, so every zero has to be reached.
 *
 * Checks:
 * - `sgd` then `proximalL1`: w ← prox_{εα}(w − ε∇J) converges to eq. 7.23, with === 0 in the dead
 *   zone (the proximal-gradient fixed point is the minimizer, whatever ε).
 * - `l1Subgradient` with the same steps: the active coordinates reach the same values, but the
 *   dead-zone ones never become 0: they oscillate in a band of width about εα around 0. The band is
 *   derived and checked: once |w| ≤ B = ε(α + H|w*|) it stays there (from w ∈ (0, B] the step gives
 *   w′ ∈ [−B, B) because H|w*| < α), and two consecutive iterates have max |w| ≥ ε(α − H|w*|)/(2 + εH)
 *   (their difference is ε|H(w − w*) + α·sign w| ≥ ε(α − H|w*| − H·max|w|)).
 * - momentum then `proximalL1`: exact zeros again. Its fixed point has velocity u = ∇J/(1 − μ), so
 *   w = prox_{εα′}(w − ε∇J/(1 − μ)): the proximal-gradient fixed point for step ε/(1 − μ) and
 *   threshold α′(1 − μ). The chain's threshold is ε·α′ after any direction, so reaching eq. 7.23's α
 *   with momentum takes α′ = α/(1 − μ); the test uses that and gets eq. 7.23.
 * - Adam then `proximalL1`: exact zeros appear too, but not at eq. 7.23's thresholds — Adam's
 *   direction m̂/(√v̂ + δ) is normalized (about ±1 per coordinate), so the dead zone is |m̂/√v̂| < α,
 *   not |∇J| < α. Checked against an f64 replay of the same 100 steps; Adam + l1Subgradient over
 *   the same steps gives no zeros.
 *
 * Tolerances (per coordinate, doubled for slack): proximal gradient descent contracts coordinate i
 * by ρᵢ = |1 − εHᵢᵢ| per step (the prox is non-expansive), so after T steps the distance to w̃ is at
 * most ρᵢᵀ·|w⁽⁰⁾ᵢ − w̃ᵢ| plus the f32 floor. At the f32 fixed point the ≤ 8 roundings on the way
 * (the gradient on the tape: ≤ 4; the direction, the step and the threshold: ≤ 4) perturb the
 * fixed-point equation by at most γ₈·(|w̃ᵢ| + 3sα), s the effective step (ε, or ε/(1 − μ) with
 * momentum; s·|∇J| ≤ sα at the fixed point, the threshold is sα); the equation's slope in wᵢ is
 * s·Hᵢᵢ, so the fixed point moves by at most γ₈(|w̃ᵢ| + 3sα)/(sHᵢᵢ): below 2e-5 here (measured: ≤ 4e-7).
 */
import { describe, expect, it } from 'vitest';
import { backward, mul, param, scale, square, sub, sum } from '../../engine/autograd/index';
import type { Runtime } from '../../engine/index';
import { ParamArena } from '../../engine/optim/arena';
import { adam, chain, l1Subgradient, momentum, proximalL1, sgd, type Chain } from '../../engine/optim/chain';
import { useRuntime } from '../helpers/gpu';
import { gamma } from './linalg';

const f32 = Math.fround;
const HDIAG = [1, 2, 0.5, 4, 1, 2, 0.5, 1.5];
const WSTAR = [1.5, -0.1, 0.4, -0.6, -1.2, 0.9, -2.5, 0.15].map(f32);
const D = HDIAG.length;
const ALPHA = 0.5;
const LR = 0.2;
/** Start at ±2, away from every answer. */
const W0: number[] = HDIAG.map((_, i) => (i % 2 === 0 ? -2 : 2));
/** Eq. 7.23 at α. */
const softThreshold = (alpha: number): number[] => WSTAR.map((w, i) => Math.sign(w) * Math.max(Math.abs(w) - alpha / HDIAG[i], 0));
/** The coordinates where |wᵢ*| < α/Hᵢᵢ. */
const DEAD = HDIAG.map((_, i) => i).filter((i) => Math.abs(WSTAR[i]) < ALPHA / HDIAG[i]);

/**
 * Runs `steps` steps of the chain on J(w) = ½Σ Hᵢᵢ(wᵢ − wᵢ*)² with the gradient from the tape;
 * returns the parameter after each step listed in `readAt`.
 */
async function train(rt: Runtime, opt: Chain, steps: number, readAt: readonly number[]): Promise<Map<number, number[]>> {
  const arena = ParamArena.create(rt, [{ name: 'w', shape: [D], role: 'weight', layer: 'quadratic' }]);
  arena.setValues('w', W0);
  const pw = arena.param('w');
  const bound = opt.init(arena);
  const h = rt.tensor(Float32Array.from(HDIAG), [D]);
  const wStar = rt.tensor(Float32Array.from(WSTAR), [D]);
  const w = param(pw.value, pw.grad, 'w');
  const out = new Map<number, number[]>();
  for (let t = 1; t <= steps; t++) {
    arena.zeroGrads();
    const loss = scale(sum(mul(h, square(sub(w, wStar)))), 0.5);
    backward(loss);
    loss.dispose();
    bound.step();
    if (readAt.includes(t)) out.set(t, Array.from(await pw.value.toArray()));
  }
  bound.dispose();
  arena.dispose();
  h.dispose();
  wStar.dispose();
  return out;
}

/**
 * x === 0 (either sign: the chain's kernel gives −0.0 when the value before the threshold was
 * negative; the sign of a zero is not what these tests are about).
 */
function expectExactZero(x: number, what: string): void {
  expect(x === 0, `${what} = ${x} should be exactly 0`).toBe(true);
}

/** x !== 0 (neither +0 nor −0). */
function expectNonZero(x: number, what: string): void {
  expect(x !== 0, `${what} should not be 0`).toBe(true);
}

/** The f32 floor of the header, doubled: s the effective step, `alpha` the L1 coefficient the fixed point has. */
function floorTol(i: number, target: number, s: number, alpha: number): number {
  return (2 * gamma(8) * (Math.abs(target) + 3 * s * alpha)) / (s * HDIAG[i]);
}

describe('L1 with a diagonal Hessian: the proximal step gives eq. 7.23 with exact zeros; the subgradient does not', () => {
  const rt = useRuntime();
  const T = 250;

  it('sgd → proximalL1 converges to sign(w*)·max(|w*| − α/H, 0), exactly 0 in the dead zone', async () => {
    const target = softThreshold(ALPHA);
    expect(DEAD).toEqual([1, 2, 7]);
    const got = await train(rt(), chain(sgd({ lr: LR }), proximalL1({ alpha: ALPHA })), T, [T - 10, T]);
    const w = got.get(T)!;
    for (let i = 0; i < D; i++) {
      if (DEAD.includes(i)) {
        // Exact, and still exact 10 steps earlier: a resting point, not a crossing.
        expectExactZero(w[i], `w[${i}] (|w*| = ${Math.abs(WSTAR[i])} < α/H = ${ALPHA / HDIAG[i]})`);
        expectExactZero(got.get(T - 10)![i], `w[${i}] at step ${T - 10}`);
      } else {
        const rho = Math.abs(1 - f32(LR) * HDIAG[i]);
        const tol = 2 * rho ** T * Math.abs(W0[i] - target[i]) + floorTol(i, target[i], LR, ALPHA);
        expect(Math.abs(w[i] - target[i]), `w[${i}] = ${w[i]} vs ${target[i]} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
        expectNonZero(w[i], `w[${i}]`);
      }
    }
  });

  it('l1Subgradient with the same steps: the same active values, but the dead zone oscillates around 0 and is never 0', async () => {
    const target = softThreshold(ALPHA);
    const got = await train(rt(), chain(l1Subgradient({ alpha: ALPHA }), sgd({ lr: LR })), T, [T - 1, T]);
    const prev = got.get(T - 1)!;
    const w = got.get(T)!;
    for (let i = 0; i < D; i++) {
      if (!DEAD.includes(i)) {
        // Near the answer sign(w) is fixed, and the step is the proximal one: same contraction and floor.
        const rho = Math.abs(1 - f32(LR) * HDIAG[i]);
        const tol = 2 * rho ** T * Math.abs(W0[i] - target[i]) + floorTol(i, target[i], LR, ALPHA);
        expect(Math.abs(w[i] - target[i]), `w[${i}]`).toBeLessThanOrEqual(tol);
        continue;
      }
      expectNonZero(prev[i], `w[${i}] at step ${T - 1}`);
      expectNonZero(w[i], `w[${i}] at step ${T}`);
      const h = HDIAG[i];
      const a = Math.abs(WSTAR[i]);
      const amplitude = Math.max(Math.abs(prev[i]), Math.abs(w[i]));
      // The band of the header; 1e-6 covers the f32 roundings of a step of size ≤ 0.3.
      const lo = (LR * (ALPHA - h * a)) / (2 + LR * h);
      const hi = LR * (ALPHA + h * a);
      expect(amplitude, `w[${i}]: |w| over the last two steps = ${amplitude}, band [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo - 1e-6);
      expect(amplitude).toBeLessThanOrEqual(hi + 1e-6);
      expect(Math.abs(w[i])).toBeLessThanOrEqual(hi + 1e-6);
    }
  });

  it('momentum → proximalL1(α/(1 − μ)) reaches eq. 7.23 at α with exact zeros (the prox follows any direction)', async () => {
    const mu = 0.5;
    const alphaProx = ALPHA / (1 - mu);
    const target = softThreshold(ALPHA);
    // The heavy-ball iteration has no simple per-step contraction bound, so an f64 replay of the same
    // steps shows that T steps converge (to 1e-12); the GPU is then held to the f32 floor at s = ε/(1 − μ).
    const w64 = [...W0];
    const u64 = new Array<number>(D).fill(0);
    for (let t = 1; t <= T; t++) {
      for (let i = 0; i < D; i++) {
        u64[i] = mu * u64[i] + HDIAG[i] * (w64[i] - WSTAR[i]);
        const v = w64[i] - LR * u64[i];
        w64[i] = Math.sign(v) * Math.max(Math.abs(v) - LR * alphaProx, 0);
      }
    }
    for (let i = 0; i < D; i++) expect(Math.abs(w64[i] - target[i])).toBeLessThan(1e-12);

    const got = await train(rt(), chain(momentum({ lr: LR, momentum: mu }), proximalL1({ alpha: alphaProx })), T, [T - 10, T]);
    const w = got.get(T)!;
    for (let i = 0; i < D; i++) {
      if (DEAD.includes(i)) {
        expectExactZero(w[i], `w[${i}]`);
        expectExactZero(got.get(T - 10)![i], `w[${i}] at step ${T - 10}`);
      } else {
        const tol = floorTol(i, target[i], LR / (1 - mu), ALPHA);
        expect(Math.abs(w[i] - target[i]), `w[${i}] = ${w[i]} vs ${target[i]} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
      }
    }
  });

  it('adam → proximalL1 also makes exact zeros, where an f64 replay of the same steps has them; adam + l1Subgradient makes none', async () => {
    const lr = 0.02;
    const steps = 100;
    const b1 = f32(0.9);
    const b2 = f32(0.999);
    const eps = f32(1e-8);
    /** The chain's Adam + prox steps, every operation rounded by `r` (identity: f64; Math.fround: an f32 replay). */
    const replay = (r: (x: number) => number): { w: number[]; margin: number } => {
      const w = [...W0];
      const m = new Array<number>(D).fill(0);
      const v = new Array<number>(D).fill(0);
      const tau = r(f32(lr) * ALPHA);
      let margin = Infinity;
      for (let t = 1; t <= steps; t++) {
        const bc1 = r(1 - b1 ** t);
        const bc2 = r(1 - b2 ** t);
        for (let i = 0; i < D; i++) {
          const g = r(HDIAG[i] * r(w[i] - WSTAR[i]));
          m[i] = r(r(b1 * m[i]) + r(r(1 - b1) * g));
          v[i] = r(r(b2 * v[i]) + r(r(r(1 - b2) * g) * g));
          const d = r(r(m[i] / bc1) / r(r(Math.sqrt(r(v[i] / bc2))) + eps));
          const x = r(w[i] - r(f32(lr) * d));
          margin = Math.min(margin, Math.abs(Math.abs(x) - tau));
          w[i] = Math.abs(x) > tau ? r(Math.sign(x) * r(Math.abs(x) - tau)) : 0;
        }
      }
      return { w, margin };
    };
    const ref = replay((x) => x);
    const ref32 = replay(f32);
    // Tolerance 1e-5: over 10× the effect of rounding every operation to f32 (the f32 replay differs
    // from the f64 one by ≈ 3e-7; asserted below 1e-6, so steps that became rounding-sensitive would
    // fail here first), and 10× below the smallest distance of any pre-prox value from ±εα over all
    // steps, so no coordinate can take the other branch of the threshold on the GPU than in the replay.
    const tol = 1e-5;
    const diff32 = Math.max(...ref.w.map((x, i) => Math.abs(x - ref32.w[i])));
    expect(diff32).toBeLessThan(tol / 10);
    expect(ref.margin).toBeGreaterThan(10 * tol);
    const zeros = ref.w.flatMap((x, i) => (x === 0 ? [i] : []));
    // The dead zone of eq. 7.23 is zero here, and so is w[3] (w* = −0.6, past its 7.23 threshold):
    // Adam's normalized step, not |∇J|, decides.
    expect(zeros).toEqual([1, 2, 3, 7]);

    const got = (await train(rt(), chain(adam({ lr }), proximalL1({ alpha: ALPHA })), steps, [steps])).get(steps)!;
    for (let i = 0; i < D; i++) {
      if (zeros.includes(i)) expectExactZero(got[i], `w[${i}]`);
      else expect(Math.abs(got[i] - ref.w[i]), `w[${i}] = ${got[i]} vs ${ref.w[i]}`).toBeLessThanOrEqual(tol);
    }
    const sub = (await train(rt(), chain(l1Subgradient({ alpha: ALPHA }), adam({ lr })), steps, [steps])).get(steps)!;
    for (let i = 0; i < D; i++) expectNonZero(sub[i], `adam + l1Subgradient w[${i}]`);
  });
});
