/**
 * The dropout page in headless Chromium (SwiftShader): it loads with no console errors; a training
 * step advances training and draws the next step's mask; moving the p slider with the keyboard (a
 * real input event) redraws the mask with a kept fraction within a binomial tolerance of p; the GPU
 * mask equals the TypeScript twin's bit for bit (the page's replay check); hovering and clicking a
 * cell shows its derivation, which agrees with the GPU's mask; the inverted / weight-scaling
 * comparison trains and the mistaken 1 − p scale scores worse. Screenshot: out/screenshots/demo-dropout.png
 * (with THUMBS=1 also demos/dropout/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

interface CellInfo {
  row: number;
  unit: number;
  keep: boolean;
  gpu: number;
  u: number;
  threshold: number;
}

interface RuleResult {
  kind: string;
  training: string;
  accuracy: number;
  loss: number;
}

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-demo-dropout');
});

afterAll(async () => {
  await site?.close();
});

describe('the dropout page', () => {
  it('trains, draws the mask from the GPU, replays it bit for bit, explains a cell, and compares the inference rules', async () => {
    const p = await openPage(site, 'demos/dropout/#seed=3&p=0.8');
    await waitReady(p);
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;

    // Step 0's mask at p = 0.8, and its replay.
    expect(await ev<number>('__demo.stepCount')).toBe(0);
    expect(await ev<boolean>('__demo.replayMatch')).toBe(true);
    const cells = await ev<number>('__demo.cells');
    expect(cells).toBeGreaterThan(0);

    // A step through the real button advances training and redraws the next step's mask.
    const v0 = await ev<number>('__demo.masksVersion');
    await p.page.click('button[data-role=step]');
    await waitFor(p, `__demo.stepCount === 1 && __demo.masksVersion > ${v0}`, 60_000);
    expect(await ev<number>('__demo.maskStep')).toBe(1);
    expect(Number.isFinite(await ev<number>('__demo.lastLoss'))).toBe(true);
    // The replay covers every hidden layer's mask of the shown step: 2 layers × batch × units.
    expect(await ev<boolean>('__demo.replayMatch')).toBe(true);
    expect(await ev<number>('__demo.replayCompared')).toBe(2 * cells);
    expect(await p.page.$eval('.replay-line', (e) => e.textContent)).toContain('✓');

    // The slider, moved with the keyboard (trusted input events): 0.8 → 0.3 in ten steps of 0.05.
    await p.page.focus('#keep-p');
    for (let k = 0; k < 10; k++) await p.page.keyboard.press('ArrowLeft');
    await waitFor(p, '__demo.maskP === 0.3 && __demo.p === 0.3', 60_000);
    const kept = await ev<number>('__demo.keptFraction');
    // Binomial: n = cells draws of Bernoulli(0.3) (t = round(0.3·2¹⁶) makes P(keep) within 2⁻¹⁷ of 0.3);
    // 5 standard deviations, so a correct kernel fails with probability below 1e-6 for any seed.
    const sd = Math.sqrt((0.3 * 0.7) / cells);
    expect(Math.abs(kept - 0.3)).toBeLessThan(5 * sd);
    expect(await ev<boolean>('__demo.replayMatch')).toBe(true);
    expect(await p.page.$eval('.p-value', (e) => e.textContent)).toBe('0.30');
    expect(await ev<string>('location.hash')).toContain('p=0.3');

    // Hover a cell: the derivation follows the pointer; click another: it stays pinned there.
    const hoverAt = await ev<{ x: number; y: number }>('__demo.cellCenter(5, 17)');
    await p.page.mouse.move(hoverAt.x, hoverAt.y);
    await waitFor(p, `document.querySelector('.derivation h2').textContent.startsWith('Example 5, unit 17')`, 30_000);
    const clickAt = await ev<{ x: number; y: number }>('__demo.cellCenter(2, 9)');
    await p.page.mouse.click(clickAt.x, clickAt.y);
    await waitFor(p, `__demo.selected.row === 2 && __demo.selected.unit === 9`, 30_000);
    const info = await ev<CellInfo>('__demo.cellInfo(2, 9)');
    expect(info.keep).toBe(info.gpu === 1);
    expect(info.keep).toBe(info.u < info.threshold);
    expect(info.threshold).toBe(Math.round(0.3 * 65536));
    const heading = await p.page.$eval('.derivation h2', (e) => e.textContent);
    expect(heading).toBe(`Example 2, unit 9: ${info.keep ? 'kept' : 'dropped'}`);
    const stages = await p.page.$$eval('.stages li', (ls) => ls.map((l) => (l as HTMLElement).dataset.stage));
    expect(stages).toEqual(['counter', 'philox', 'uniform', 'threshold', 'apply']);
    expect(await p.page.$eval('.stages li[data-stage=uniform] .value', (e) => e.textContent)).toContain(String(info.u));
    expect(await p.page.$eval('.stages li[data-stage=apply] .value', (e) => e.textContent)).toContain('✓');
    // The WGSL lines shown inline are the statements each stage names; its link opens the Source
    // tab on that file with those lines marked.
    expect(await p.page.$eval('.stages li[data-stage=threshold] .snippet', (e) => e.textContent)).toContain('params.threshold');
    await p.page.click('.stages li[data-stage=uniform] .src-link');
    await waitFor(p, `document.querySelectorAll('.source-code .line.marked').length === 2`, 30_000);
    const marked = await p.page.$$eval('.source-code .line.marked', (ls) => ls.map((l) => l.textContent ?? ''));
    expect(marked.some((l) => l.includes('>> vec4<u32>(0u, 16u, 0u, 16u)'))).toBe(true);
    expect(await p.page.$eval('.source-files button.active', (e) => e.textContent)).toBe('shaders/dropout.wgsl');
    await p.page.click('nav.tabs button:first-child');

    // Back to p = 0.8 for the comparison (at p = ½ the mistake would be invisible).
    await p.page.focus('#keep-p');
    for (let k = 0; k < 10; k++) await p.page.keyboard.press('ArrowRight');
    await waitFor(p, '__demo.maskP === 0.8', 60_000);
    // A little more training, so that the screenshot shows curves (and a held-out point at step 25).
    await ev('(async () => { while (__demo.stepCount < 25) await __demo.step(); })()');
    expect(await ev<number>('__demo.maskStep')).toBe(25);
    expect(await ev<boolean>('__demo.replayMatch')).toBe(true);
    await p.page.click('button[data-role=compare]');
    await waitFor(p, '__demo.comparisonReady === true', 150_000);
    const results = await ev<RuleResult[]>('__demo.comparison');
    const byKind = (kind: string, training: string) => results.find((r) => r.kind === kind && r.training === training)!;
    const inverted = byKind('correct', 'inverted');
    const scaled = byKind('correct', 'weight-scaling');
    const mistake = byKind('mistake', 'weight-scaling');
    // Trained briefly, both correct rules clearly learn (10 classes: chance is 10%); the 1 − p scale
    // (×0.2 instead of ×0.8 on both layers) loses accuracy and raises the loss.
    expect(inverted.accuracy).toBeGreaterThan(0.7);
    expect(scaled.accuracy).toBeGreaterThan(0.7);
    expect(mistake.accuracy).toBeLessThan(scaled.accuracy);
    expect(mistake.loss).toBeGreaterThan(scaled.loss);
    await p.page.mouse.move(0, 0);

    await screenshot(p, 'demo-dropout');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/dropout/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 760 } });
    }
    expect(p.errors).toEqual([]);
  });
});
