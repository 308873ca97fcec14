/**
 * The L1-vs-L2 page in headless Chromium (SwiftShader): it loads with no console errors; moving the
 * 2-D α slider with the keyboard (real input events) moves the drawn optimum to the book's closed
 * form — recomputed here independently: eq. 7.13 for L2 (rotated H), eq. 7.23 for L1 (diagonal H) —
 * and the engine's own solver (chain optimizer on a 2-element ParamArena, 200 GPU steps) ends
 * there too; on MNIST, L1 by subgradient leaves no exact zeros while proximal L1, switched on with
 * the page's toggle while training runs, makes a growing number of them; α moves while training
 * without a restart; the loss surface of two picked weights (one by a click on a weight image) is
 * an 11 × 11 grid of finite GPU losses whose middle point is the page's evaluation loss, and the
 * weights are bit-identical afterwards. Screenshot: out/screenshots/concept-l1-vs-l2.png (THUMBS=1: demos/l1-vs-l2/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

type Vec2 = [number, number];
interface PanelState {
  alpha: number;
  closedForm: Vec2;
  drawn: { x: number; y: number };
  solverAlpha: number | null;
  solver: Vec2 | null;
  distance: number | null;
}
interface MnistState {
  step: number;
  method: string;
  alpha: number;
  zerosFc1: number;
  zerosAll: number;
  weightCount: number;
  history: { step: number; zeros: number; method: string }[];
}

interface Pick {
  param: string;
  row: number;
  col: number;
}
interface Surface {
  picks: [Pick, Pick];
  size: number;
  xs: number[];
  ys: number[];
  losses: number[];
  current: [number, number];
  currentLoss: number;
  step: number;
  examples: number;
}

/** The page's problems, restated: eigenvalues (2, 0.5), w* = (1, 1.2); L2's H rotated by 35°, L1's diagonal. */
const LAMBDA: Vec2 = [2, 0.5];
const W_STAR: Vec2 = [1, 1.2];
const THETA = (35 * Math.PI) / 180;

/** Eq. 7.13 with Q = [(cos θ, sin θ), (−sin θ, cos θ)] as columns. */
function l2ClosedForm(alpha: number): Vec2 {
  const q1: Vec2 = [Math.cos(THETA), Math.sin(THETA)];
  const q2: Vec2 = [-Math.sin(THETA), Math.cos(THETA)];
  const z1 = q1[0] * W_STAR[0] + q1[1] * W_STAR[1];
  const z2 = q2[0] * W_STAR[0] + q2[1] * W_STAR[1];
  const s1 = (LAMBDA[0] / (LAMBDA[0] + alpha)) * z1;
  const s2 = (LAMBDA[1] / (LAMBDA[1] + alpha)) * z2;
  return [q1[0] * s1 + q2[0] * s2, q1[1] * s1 + q2[1] * s2];
}

/** Eq. 7.23 with H = diag(2, 0.5). */
function l1ClosedForm(alpha: number): Vec2 {
  return [0, 1].map((i) => Math.sign(W_STAR[i]) * Math.max(Math.abs(W_STAR[i]) - alpha / LAMBDA[i], 0)) as Vec2;
}

const dist = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/**
 * The engine's solve vs the closed form: gradient descent contracts by ρ ≤ 0.85 per step, so 200
 * steps leave < 1e-13 of the start's error; the rest is f32 rounding of the gradient and the update
 * (a few ulps of values ≤ 2, amplified at most 1/(ε·μmin) = 1/(0.3·0.5) ≈ 7 at the fixed point:
 * ~1e-6). 1e-4 leaves a factor 100 for slack, while one α step of the slider (0.05) moves the
 * optimum by > 1e-2.
 */
const SOLVER_TOL = 1e-4;

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-concept-l1-vs-l2');
});

afterAll(async () => {
  await site?.close();
});

describe('the L1 vs L2 page', () => {
  it('moves the 2-D optimum to eq. 7.13 / 7.23 with the engine agreeing, and proximal L1 makes exact zeros on MNIST where the subgradient does not', async () => {
    const t0 = Date.now();
    const p = await openPage(site, 'demos/l1-vs-l2/#a=0.8&method=subgradient&la=-2&seed=1');
    await waitReady(p);
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;

    // ---- 2-D: the slider, moved with the keyboard: 0.8 → 1.2 in eight steps of 0.05 ----
    const before = await ev<PanelState>('__demo.plane.l2');
    expect(dist(before.closedForm, l2ClosedForm(0.8))).toBeLessThan(1e-12);
    await p.page.focus('#alpha-2d');
    for (let k = 0; k < 8; k++) await p.page.keyboard.press('ArrowRight');
    await waitFor(p, '__demo.plane.l2.solverAlpha === 1.2 && __demo.plane.l1.solverAlpha === 1.2', 60_000);
    expect(await ev<string>('location.hash')).toContain('a=1.2');
    for (const [panel, expected] of [
      ['l2', l2ClosedForm(1.2)],
      ['l1', l1ClosedForm(1.2)],
    ] as const) {
      const s = await ev<PanelState>(`__demo.plane.${panel}`);
      expect(s.alpha).toBe(1.2);
      // The point drawn is the closed form (f64, same formula: to rounding)…
      expect(dist(s.closedForm, expected), `${panel} closed form ${s.closedForm} vs ${expected}`).toBeLessThan(1e-12);
      // …and is drawn where it is: the pixel maps back to it within a pixel (2.4 units over 340 px).
      const back = await ev<Vec2>(`__demo.planeFromPx('${panel}', ${s.drawn.x}, ${s.drawn.y})`);
      expect(dist(back, expected)).toBeLessThan(2.4 / 340);
      // The engine's own solve ends at the same point.
      expect(dist(s.solver!, expected), `${panel} engine ${s.solver} vs ${expected}`).toBeLessThan(SOLVER_TOL);
      expect(s.distance!).toBeLessThan(SOLVER_TOL);
    }
    // The optimum moved with α (L2 shrinks; L1's w₁ loses α/H₁₁ = 0.2 more), and L1's w₂ is exactly 0
    // (|w₂*| = 1.2 ≤ α/H₂₂ = 2.4) in the engine's proximal solve too.
    expect(dist(l2ClosedForm(1.2), before.closedForm)).toBeGreaterThan(0.05);
    const l1s = await ev<PanelState>('__demo.plane.l1');
    expect(l1s.solver![1]).toBe(0);
    expect(l1s.solver![0]).not.toBe(0);
    expect(await p.page.$eval('.plane-box:nth-child(2) .readout', (e) => e.textContent)).toContain('distance to the closed form');

    // ---- MNIST: subgradient first (from the hash): no exact zeros ----
    let m = await ev<MnistState>('__demo.mnist()');
    expect(m.method).toBe('subgradient');
    expect(m.zerosAll).toBe(0);
    await ev('__demo.trainSteps(8)');
    m = await ev<MnistState>('__demo.mnist()');
    expect(m.step).toBe(80);
    expect(m.history.every((h) => h.zeros === 0)).toBe(true);
    expect(m.zerosAll).toBe(0);

    // Switch to proximal with the page's toggle (a real click), while training continues from step 80.
    await p.page.click('button[data-method=proximal]');
    expect(await ev<string>('__demo.mnist().method')).toBe('proximal');
    expect(await ev<string>('location.hash')).toContain('method=proximal');
    await ev('__demo.trainSteps(5)');
    const mid = await ev<MnistState>('__demo.mnist()');
    expect(mid.step).toBe(130);
    expect(mid.zerosFc1).toBeGreaterThan(0);

    // α up one notch (10^-2 → 10^-1.75) by the keyboard while the same run goes on: no restart.
    await p.page.focus('#alpha-mnist');
    await p.page.keyboard.press('ArrowRight');
    expect(Math.abs((await ev<number>('__demo.mnist().alpha')) - 10 ** -1.75)).toBeLessThan(1e-9);
    await ev('__demo.trainSteps(5)');
    m = await ev<MnistState>('__demo.mnist()');
    expect(m.step).toBe(180);
    const prox = m.history.filter((h) => h.method === 'proximal').map((h) => h.zeros);
    // Growing: more zeros at the end than halfway, and never many fewer from one tick to the next.
    expect(m.zerosFc1).toBeGreaterThan(mid.zerosFc1);
    expect(prox[prox.length - 1]).toBeGreaterThan(prox[0]);
    for (let i = 1; i < prox.length; i++) expect(prox[i]).toBeGreaterThanOrEqual(0.95 * prox[i - 1]);
    console.log(`zeros (first layer) under proximal L1: ${prox.join(', ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s so far`);

    // ---- The loss surface of two real weights: a by a click on a weight image, b by the hook ----
    await waitFor(p, '__demo.surface() !== null', 60_000);
    const bitsBefore = await ev<number[]>('__demo.weightBits()');
    const img = await p.page.$('.weight-images canvas:nth-child(4)');
    const box = (await img!.boundingBox())!;
    // Pixel (row 14, col 12) of unit 3's 28×28 image.
    await p.page.mouse.click(box.x + ((12 + 0.5) / 28) * box.width, box.y + ((14 + 0.5) / 28) * box.height);
    expect(await ev<Pick[]>('__demo.surfacePicks()')).toContainEqual({ param: 'fc1.weight', row: 14 * 28 + 12, col: 3 });
    await ev(`__demo.pickWeight(1, 'fc2.weight', 3, 7)`);
    const surf = await ev<Surface>('__demo.computeSurface()');
    const bitsAfter = await ev<number[]>('__demo.weightBits()');
    expect(surf.picks).toEqual([
      { param: 'fc1.weight', row: 14 * 28 + 12, col: 3 },
      { param: 'fc2.weight', row: 3, col: 7 },
    ]);
    expect(surf.step).toBe(180);
    // SwiftShader: the small grid, 11 × 11 on 256 digits.
    expect(surf.size).toBe(11);
    expect(surf.examples).toBe(256);
    expect(surf.xs).toHaveLength(11);
    expect(surf.ys).toHaveLength(11);
    expect(surf.losses).toHaveLength(121);
    expect(surf.losses.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(Math.max(...surf.losses)).toBeGreaterThan(Math.min(...surf.losses));
    // The middle grid point is the current weights exactly, and its loss is the page's evaluation
    // loss (engine's evaluate, another reduction order): equal to f32 rounding of a mean of 256 terms.
    const c = 5;
    expect(surf.xs[c]).toBe(surf.current[0]);
    expect(surf.ys[c]).toBe(surf.current[1]);
    const centre = surf.losses[c * 11 + c];
    expect(Math.abs(centre - surf.currentLoss), `centre ${centre} vs evaluate ${surf.currentLoss}`).toBeLessThan(1e-5 * Math.max(1, surf.currentLoss));
    // The weights were restored bit for bit.
    expect(bitsAfter.length).toBe(bitsBefore.length);
    expect(bitsAfter).toEqual(bitsBefore);
    expect(await p.page.$eval('.surface-readout', (e) => e.textContent)).toContain('a = layer 1, pixel (14, 12) → unit 3 = ');
    console.log(
      `surface: loss ${Math.min(...surf.losses).toFixed(4)}..${Math.max(...surf.losses).toFixed(4)}, centre ${centre} vs ${surf.currentLoss}; ${((Date.now() - t0) / 1000).toFixed(1)} s so far`,
    );

    await screenshot(p, 'concept-l1-vs-l2');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/l1-vs-l2/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
  });
});
