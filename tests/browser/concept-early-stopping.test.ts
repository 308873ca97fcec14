/**
 * The early-stopping page in headless Chromium (SwiftShader): it loads with no console errors; the
 * τ scrubber, moved with the keyboard (real input events), shows the GPU's gradient-descent weights
 * at the scrubbed τ, which match eq. 7.40 and, direction by direction, the L2 solution for eq. 7.43's
 * αᵢ (checked here against closed forms recomputed from the page's λ and z*); at a small ε the α of
 * eq. 7.43 (and the α implied by the GPU's weights) is within the first-order bound of eqs. 7.44–7.45
 * around 1/(τε); the MNIST run trains through the real Play button until patience runs out and
 * reports a best step consistent with its curves; the retraining strategies run from their button.
 * Screenshot: out/screenshots/concept-early-stopping.png (with THUMBS=1 also demos/early-stopping/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

interface Quad {
  eps: number;
  tau: number;
  gpuW: [number, number];
  closedW: [number, number];
  maxDiff: number;
  bound: number;
  lambda: [number, number];
  zStar: [number, number];
  gpuZ: [number, number];
  checks: { lambda: number; alpha: number; rel: number; lower: number; applies: boolean; within: boolean }[];
}

interface Mnist {
  points: { step: number; trainLoss: number; valLoss: number }[];
  bestStep: number;
  stoppedStep: number;
  stoppedEarly: boolean;
  done: boolean;
  patience: number;
  evalEvery: number;
}

interface Row {
  name: string;
  steps: number;
  testAccuracy: number;
}

/** f32 unit roundoff. */
const U = 2 ** -24;

/**
 * Tolerance on a GPU iterate against the f64 closed form: the iteration w ← (I − εH)w + εHw* has
 * ‖I − εH‖₂ ≤ 1 (ελ ≤ 1), so rounding errors add up at most linearly in τ; one step rounds a 2-term
 * dot product, the ½ and the sum of two backward paths, and the update: at most 8 roundings of
 * quantities below 1 + ‖w*‖ (|w|, |H(w − w*)| ≤ ‖w*‖ ≈ 2). Doubled for slack: 2·τ·8u·(1 + ‖w*‖).
 */
const tolerance = (tau: number, wStarNorm: number): number => 2 * tau * 8 * U * (1 + wStarNorm);

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-concept-early-stopping');
});

afterAll(async () => {
  await site?.close();
});

describe('the early-stopping page', () => {
  it('scrubs τ on the quadratic (GPU = eq. 7.40 = L2 at eq. 7.43 α, α ≈ 1/(τε) within its bound), early-stops MNIST, retrains', async () => {
    const t0 = performance.now();
    const p = await openPage(site, 'demos/early-stopping/#seed=1&patience=5&evalEvery=10&eps=0.1&tau=20');
    await waitReady(p);
    const lap: Record<string, number> = { ready: performance.now() - t0 };
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;

    // ---- The τ scrubber: 20 → 35 with the keyboard.
    await p.page.focus('#tau');
    for (let k = 0; k < 15; k++) await p.page.keyboard.press('ArrowRight');
    await waitFor(p, '__demo.quad.tau === 35', 30_000);
    let q = await ev<Quad>('__demo.quad');
    expect(q.eps).toBe(0.1);
    expect(await ev<string>('location.hash')).toContain('tau=35');
    const wStarNorm = Math.hypot(...q.zStar);
    let tol = tolerance(q.tau, wStarNorm);
    // GPU trajectory = eq. 7.40, and the page says so.
    expect(q.maxDiff).toBeLessThanOrEqual(tol);
    expect(q.maxDiff).toBeLessThanOrEqual(q.bound);
    expect(await p.page.$eval('.agree', (e) => e.textContent)).toContain('✓');
    // Direction by direction, the early-stopped weights are the L2 weights for eq. 7.43's αᵢ:
    // z̃ᵢ = λᵢ/(λᵢ + αᵢ)·zᵢ* with αᵢ = λᵢr/(1 − r), r = (1 − ελᵢ)^τ, recomputed here in f64.
    const alphas = q.lambda.map((l) => {
      const r = (1 - q.eps * l) ** q.tau;
      return (l * r) / (1 - r);
    });
    for (let i = 0; i < 2; i++) {
      const l2z = (q.lambda[i] / (q.lambda[i] + alphas[i])) * q.zStar[i];
      expect(Math.abs(q.gpuZ[i] - l2z), `direction ${i}: GPU ${q.gpuZ[i]} vs L2(α${i} = ${alphas[i]}) ${l2z}`).toBeLessThanOrEqual(tol);
    }
    // One α does not fit both: the stiff direction's αᵢ is far below the flat one's.
    expect(alphas[1] / alphas[0]).toBeGreaterThan(5);

    // ---- Small ελ: ε = 0.02 (ελ ≤ 0.02), τ = 35 (τελ ≤ 0.7). Eqs. 7.44–7.45 with their bound:
    // −(ελ + τελ/2) ≤ ατε − 1 ≤ 0 for x = −τ·ln(1 − ελ) < 6 (proved in demos/early-stopping/quadratic.ts).
    const v0 = await ev<number>('__demo.trajectoryVersion');
    await p.page.select('#eps', '0.02');
    await waitFor(p, `__demo.trajectoryVersion > ${v0} && __demo.quad.eps === 0.02`, 60_000);
    q = await ev<Quad>('__demo.quad');
    expect(q.tau).toBe(35);
    tol = tolerance(q.tau, wStarNorm);
    expect(q.maxDiff).toBeLessThanOrEqual(tol);
    for (let i = 0; i < 2; i++) {
      const l = q.lambda[i];
      const { eps, tau } = q;
      expect(-tau * Math.log(1 - eps * l)).toBeLessThan(6);
      const r = (1 - eps * l) ** tau;
      const alpha = (l * r) / (1 - r);
      const rel = alpha * tau * eps - 1;
      const lower = -(eps * l + (tau * eps * l) / 2);
      expect(rel, `λ = ${l}: ατε − 1 = ${rel}`).toBeGreaterThanOrEqual(lower);
      expect(rel).toBeLessThanOrEqual(0);
      expect(q.checks[i].within).toBe(true);
      expect(Math.abs(q.checks[i].rel - rel)).toBeLessThan(1e-12);
      // The α implied by the GPU's weights, α̂ = λ(z* − z)/z: a component error ≤ tol moves ατε by at
      // most τελ·|z*|·tol/(|z| − tol)² (d(ατε)/dz = −τελz*/z²).
      const z = q.gpuZ[i];
      const zExact = (1 - r) * q.zStar[i];
      const allowance = (tau * eps * l * Math.abs(q.zStar[i]) * tol) / (Math.abs(zExact) - tol) ** 2;
      const implied = (l * (q.zStar[i] - z)) / z;
      const relGpu = implied * tau * eps - 1;
      expect(relGpu, `direction ${i}: GPU-implied ατε − 1 = ${relGpu}`).toBeGreaterThanOrEqual(lower - allowance);
      expect(relGpu).toBeLessThanOrEqual(allowance);
    }
    // Back to ε = 0.1 for the screenshot.
    const v1 = await ev<number>('__demo.trajectoryVersion');
    await p.page.select('#eps', '0.1');
    await waitFor(p, `__demo.trajectoryVersion > ${v1} && __demo.quad.eps === 0.1`, 60_000);

    lap.quad = performance.now() - t0;
    // ---- MNIST: one evaluation interval with Step, then Play until patience runs out.
    await p.page.click('button[data-role=step]');
    await waitFor(p, '__demo.mnist.points.length === 1', 60_000);
    expect((await ev<Mnist>('__demo.mnist')).points[0].step).toBe(10);
    await p.page.click('button[data-role=play]');
    await waitFor(p, '__demo.mnist.done === true', 120_000);
    const m = await ev<Mnist>('__demo.mnist');
    expect(m.stoppedEarly).toBe(true);
    expect(m.bestStep).toBeGreaterThan(0);
    expect(m.bestStep % m.evalEvery).toBe(0);
    // Patience counts evaluations: it stopped exactly patience·evalEvery steps after the best.
    expect(m.stoppedStep).toBe(m.bestStep + m.patience * m.evalEvery);
    // The best step is where the validation curve is lowest, and the training loss kept falling past it.
    const best = m.points.find((pt) => pt.step === m.bestStep)!;
    expect(Math.min(...m.points.map((pt) => pt.valLoss))).toBe(best.valLoss);
    expect(m.points.at(-1)!.trainLoss).toBeLessThan(best.trainLoss);
    expect(await p.page.$eval('.run-line', (e) => e.textContent)).toContain(`step ${m.bestStep}`);

    lap.mnist = performance.now() - t0;
    // ---- The two retraining strategies, from their button.
    await p.page.click('button[data-role=retrain]');
    await waitFor(p, '__demo.strategiesReady === true', 150_000);
    const rows = await ev<Row[]>('__demo.strategies');
    expect(rows.map((r) => r.name)).toEqual([
      'early stopping alone (500 digits)',
      '(a) retrain on all 1,000, same steps',
      '(a) retrain on all 1,000, same epochs',
      '(b) continue on all 1,000',
    ]);
    expect(rows[1].steps).toBe(m.bestStep);
    // 1,000 digits at batch 50 are 20 steps per pass, 500 are 10: the same passes take twice the steps.
    expect(rows[2].steps).toBe(2 * m.bestStep);
    expect(rows[3].steps).toBeGreaterThan(0);
    for (const r of rows) expect(r.testAccuracy, r.name).toBeGreaterThan(0.6);
    expect(await p.page.$$eval('.retrain-table tbody tr', (trs) => trs.length)).toBe(4);

    await p.page.mouse.move(0, 0);
    await screenshot(p, 'concept-early-stopping');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/early-stopping/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
    console.log(
      `concept-early-stopping: ${((performance.now() - t0) / 1000).toFixed(1)} s in the page (${JSON.stringify(lap)}); best step ${m.bestStep}, stopped ${m.stoppedStep}; rows ${JSON.stringify(rows.map((r) => [r.steps, r.testAccuracy]))}`,
    );
  });
});
