/**
 * The noise page in headless Chromium (SwiftShader): it loads with no console errors; the augmented
 * minibatch is the same for the same seed and step and different for another step or seed (compared
 * pixel by pixel through the hook, GPU values and canvases); the label-smoothing panel trains its
 * three models and draws a reliability diagram with populated bins, and both smoothed models are less
 * confident (lower mean top probability) than the one trained on hard targets; the five noise models
 * (augmentation among them) train; the CNN section trains a CNN without and with augmentation to
 * the end (finite losses, accuracy above chance, the gap of each reported); the size slider
 * trains at a small n and shows a training/held-out gap. Screenshot: out/screenshots/concept-noise.png
 * (with THUMBS=1 also demos/noise/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CnnAugResult } from '../../demos/noise/cnn-augment-section';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

interface Bin {
  count: number;
  accuracy: number;
  confidence: number;
}

interface SmoothingResult {
  name: string;
  convention: string;
  step: number;
  count: number;
  bins: Bin[];
  meanConfidence: number;
  accuracy: number;
  meanMaxLogit: number;
  trainLabelGap: number;
  optimalGap: number;
}

interface SizeResult {
  n: number;
  train: number;
  val: number;
  gap: number;
}

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-concept-noise');
});

afterAll(async () => {
  await site?.close();
});

const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

describe('the noise page', () => {
  it('shows a reproducible augmented batch, and smoothed models are less confident', async () => {
    const t0 = Date.now();
    const p = await openPage(site, 'demos/noise/#seed=1&n=500&eps=0.1');
    await waitReady(p);
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;
    console.log(`ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Seed 1, step 0: the batch on the GPU and on the canvases.
    expect(await ev<number>('__demo.augStep')).toBe(0);
    const gpu0 = await ev<number[]>('__demo.augData()');
    const px0 = await ev<number[]>('__demo.augPixels()');
    expect(gpu0.length).toBe(32 * 784);
    expect(px0.length).toBe(32 * 784);
    // Augmentation changed the digits (shifts, rotations, zooms are on by default).
    expect(same(gpu0, await ev<number[]>('__demo.augOriginal()'))).toBe(false);

    // "Next step" (a real click): another batch.
    let v = await ev<number>('__demo.augVersion');
    await p.page.click('button[data-role=aug-next]');
    await waitFor(p, `__demo.augVersion > ${v} && __demo.augStep === 1`, 30_000);
    expect(same(gpu0, await ev<number[]>('__demo.augData()'))).toBe(false);
    expect(same(px0, await ev<number[]>('__demo.augPixels()'))).toBe(false);

    // Back to step 0: the very same batch, bit for bit.
    await ev('__demo.setAugStep(0)');
    expect(same(gpu0, await ev<number[]>('__demo.augData()'))).toBe(true);
    expect(same(px0, await ev<number[]>('__demo.augPixels()'))).toBe(true);

    // Another seed, typed into the seed field: another batch; seed 1 again: the same one.
    const typeSeed = async (s: number): Promise<void> => {
      v = await ev<number>('__demo.augVersion');
      await p.page.click('#seed', { count: 3 });
      await p.page.keyboard.type(String(s));
      // Leaving the field commits it (a change event), as for a person.
      await p.page.keyboard.press('Tab');
      await waitFor(p, `__demo.augVersion > ${v} && __demo.augSeed === ${s}`, 30_000);
    };
    await typeSeed(2);
    expect(same(gpu0, await ev<number[]>('__demo.augData()'))).toBe(false);
    expect(same(px0, await ev<number[]>('__demo.augPixels()'))).toBe(false);
    expect(await ev<string>('location.hash')).toContain('seed=2');
    await typeSeed(1);
    expect(same(gpu0, await ev<number[]>('__demo.augData()'))).toBe(true);
    expect(same(px0, await ev<number[]>('__demo.augPixels()'))).toBe(true);

    // Label smoothing: train the three models (the panel's Play button), then compare.
    const t1 = Date.now();
    await p.page.click('.smoothing-panel button[data-role=play]');
    await waitFor(p, '__demo.smoothingDone && __demo.smoothingResults.length === 3 && __demo.smoothingResults.every((r) => r.step >= __demo.steps)', 120_000);
    console.log(`smoothing trained in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const results = await ev<SmoothingResult[]>('__demo.smoothingResults');
    const by = (c: string): SmoothingResult => results.find((r) => r.convention === c)!;
    const hard = by('none');
    const book = by('book');
    const uniform = by('uniform');
    for (const r of results) {
      // A reliability diagram: 10 bins that hold every held-out digit, several of them populated.
      expect(r.bins.length).toBe(10);
      expect(r.count).toBeGreaterThanOrEqual(500);
      expect(r.bins.reduce((s, b) => s + b.count, 0)).toBe(r.count);
      expect(r.bins.filter((b) => b.count > 0).length).toBeGreaterThanOrEqual(3);
      expect(r.accuracy).toBeGreaterThan(0.75);
    }
    expect(book.meanConfidence).toBeLessThan(hard.meanConfidence);
    expect(uniform.meanConfidence).toBeLessThan(hard.meanConfidence);
    // Hard targets push the logits further apart than either smoothed loss, whose minimum is at log(on/off).
    expect(book.trainLabelGap).toBeLessThan(hard.trainLabelGap);
    expect(book.optimalGap).toBeCloseTo(Math.log(0.9 / (0.1 / 9)), 6);
    expect(uniform.optimalGap).toBeCloseTo(Math.log(0.91 / 0.01), 6);
    expect(await p.page.$$eval('.smoothing-panel canvas.reliability-diagram', (cs) => cs.length)).toBe(3);

    // Noise side by side: the five models train to the end (Play) and all learn.
    const t3 = Date.now();
    await p.page.click('.noise-panel button[data-role=play]');
    await waitFor(p, '__demo.noiseDone && __demo.noiseResults.every((r) => r.step >= __demo.steps)', 120_000);
    console.log(`noise trained in ${((Date.now() - t3) / 1000).toFixed(1)} s`);
    const noise = await ev<{ name: string; val: number; train: number }[]>('__demo.noiseResults');
    expect(noise.map((r) => r.name)).toEqual(['no noise', 'input noise', 'hidden noise', 'weight noise', 'augmentation']);
    for (const r of noise) {
      expect(r.val).toBeGreaterThan(0.7);
      expect(r.train).toBeGreaterThanOrEqual(r.val);
    }

    // Augmentation on the CNN: both networks (seeded) train to the end on the same digits.
    const t4 = Date.now();
    await ev('__demo.trainCnnAug()');
    console.log(`CNN without and with augmentation trained in ${((Date.now() - t4) / 1000).toFixed(1)} s`);
    expect(await ev<boolean>('__demo.cnnAugDone')).toBe(true);
    const cnnRuns = await ev<CnnAugResult[]>('__demo.cnnAugResults');
    expect(cnnRuns.map((r) => r.augmented)).toEqual([false, true]);
    // Both learned: better than guessing one of the ten classes, on seen and unseen digits.
    const chance = 1 / 10;
    for (const r of cnnRuns) {
      expect(r.step).toBe(await ev<number>('__demo.cnnAugSteps'));
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(Number.isFinite(r.valLoss)).toBe(true);
      expect(r.val).toBeGreaterThan(chance);
      expect(r.train).toBeGreaterThan(chance);
    }
    // Same initial weights and minibatches: the augmentation is what made the two models differ.
    const augCnn = cnnRuns[1];
    expect(augCnn.valLoss).not.toBe(cnnRuns[0].valLoss);
    // The page states what this run measured: the augmented CNN's gap beside the plain one's, and the MLPs'.
    const finding = await p.page.$eval('.cnn-aug-finding', (e) => e.textContent ?? '');
    expect(finding).toContain(`${(100 * cnnRuns[0].gap).toFixed(1)} → ${(100 * augCnn.gap).toFixed(1)} points`);
    expect(finding).toContain('MLPs of the noise panel');
    console.log(`CNN gap ${(100 * cnnRuns[0].gap).toFixed(1)} → ${(100 * augCnn.gap).toFixed(1)} points; held-out ${cnnRuns[0].val} → ${augCnn.val}`);

    // The size slider, moved with the keyboard (n = 500 → 200): trains at 200 and shows the gap.
    const t2 = Date.now();
    await p.page.focus('#train-size');
    await p.page.keyboard.press('ArrowLeft');
    await p.page.$eval('#train-size', (e) => e.dispatchEvent(new Event('change')));
    await waitFor(p, '__demo.sizeResults.some((r) => r.n === 200)', 120_000);
    console.log(`size 200 trained in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    const size = (await ev<SizeResult[]>('__demo.sizeResults')).find((r) => r.n === 200)!;
    expect(size.train).toBeGreaterThan(size.val);
    expect(size.gap).toBeGreaterThan(0.05);

    await p.page.mouse.move(0, 0);
    await screenshot(p, 'concept-noise');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/noise/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
  }, 240_000);
});
