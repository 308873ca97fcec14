/**
 * The train page (demos/train/) in headless Chromium on SwiftShader: it loads with no console
 * errors; three epochs of training lift the held-out accuracy above a floor; a digit drawn with real
 * mouse events on the pad gets a weight-scaling prediction and a Monte-Carlo spread; the rotate
 * slider and the rotation sweep run; a model saved through the Save button and loaded back through
 * the file input predicts exactly as before (and exports the very same file). A screenshot is saved
 * (and, with THUMBS=1, the page's thumbnail).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitFor, waitReady, type OpenPage, type Site } from './site';

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-train');
});

afterAll(async () => {
  await site?.close();
});

interface Prediction {
  top: number;
  weightScaling: number[];
  mcMean: number[];
  mcStd: number[];
  samples: number;
  angle: number;
}

const hookValue = <T>(p: OpenPage, field: string): Promise<T> => p.page.evaluate(`window.__demo.${field}`) as Promise<T>;

/**
 * The floor: with the default settings (784-128-10, hidden dropout p = 0.5, L2 1e-4, Adam 2e-3,
 * 1,500 training digits, batches of 50) two and three epochs reached 86-88% held-out accuracy for
 * seeds 1-3, on lavapipe and on SwiftShader alike (80-83% after one epoch); 75% leaves a wide
 * margin for adapter rounding while still failing a run that does not learn (chance is 10%).
 */
const ACCURACY_FLOOR = 0.75;

describe('the train page', () => {
  it('trains, classifies a drawn digit with Monte-Carlo dropout, and round-trips a saved model', async () => {
    const p = await openPage(site, 'demos/train/#seed=1');
    await waitReady(p);
    const { page } = p;
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Train, then draw a digit');
    const untrained = await hookValue<number>(p, 'heldOutAccuracy');

    // Training: the Step button (real click) for the first epoch, the hook for two more.
    await page.click('button[data-role="step"]');
    await waitFor(p, 'window.__demo.epochs >= 1');
    await page.evaluate('window.__demo.trainSteps(2)');
    expect(await hookValue<number>(p, 'epochs')).toBe(3);
    expect(await hookValue<number>(p, 'step')).toBe(90);
    const accuracy = await hookValue<number>(p, 'heldOutAccuracy');
    expect(accuracy).toBeGreaterThan(ACCURACY_FLOOR);
    expect(accuracy).toBeGreaterThan(untrained + 0.4);
    // The confusion matrix counts every held-out digit, its diagonal the correct ones.
    const cells = await page.$$eval('table.confusion tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent || 0))));
    const total = cells.flat().reduce((a, b) => a + b, 0);
    const diagonal = cells.reduce((a, row, i) => a + row[i], 0);
    expect(total).toBe(500);
    expect(Math.abs(diagonal / total - accuracy)).toBeLessThan(0.01);

    // Drawing a 7 with the mouse on a cleared pad.
    await page.click('button[data-role="clear"]');
    await waitFor(p, 'window.__demo.prediction === null');
    const before = await hookValue<number>(p, 'classified');
    const box = await (await page.$('canvas.pad'))!.boundingBox();
    if (!box) throw new Error('the pad has no box');
    const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    await page.mouse.move(...at(0.3, 0.25));
    await page.mouse.down();
    await page.mouse.move(...at(0.7, 0.25), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.8), { steps: 10 });
    await page.mouse.up();
    // Requests made during the stroke merge; once none is pending, the last one saw the whole stroke.
    await waitFor(p, `window.__demo.classified > ${before} && !window.__demo.classifying && window.__demo.prediction !== null`);
    const inked = await page.$eval('canvas.pad', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(30);
    const drawn = await hookValue<Prediction>(p, 'prediction');
    expect(drawn.samples).toBe(256);
    expect(drawn.weightScaling.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(drawn.mcMean.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // Dropout is on (hidden p = 0.5): the 256 masks disagree.
    expect(await hookValue<number>(p, 'spread')).toBeGreaterThan(0);
    expect(await hookValue<number>(p, 'entropy')).toBeGreaterThan(0);

    // The rotate slider (keyboard: nine steps of 5°) re-classifies the digit turned on the GPU.
    await page.focus('input[name="rotate"]');
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight');
    await waitFor(p, 'window.__demo.prediction && Math.abs(window.__demo.prediction.angle - Math.PI / 4) < 1e-6');
    await page.click('button[data-role="sweep"]');
    await waitFor(p, 'window.__demo.sweeps >= 1');

    // Back upright for the screenshot (before the reset below clears the curves).
    await page.focus('input[name="rotate"]');
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowLeft');
    await waitFor(p, 'window.__demo.prediction && window.__demo.prediction.angle === 0');
    await screenshot(p, 'demo-train');
    if (process.env.THUMBS === '1') {
      // The landing page's card (16:10): the pad and the predictions, at the top left of the drawing panel.
      const clip = await page.$eval('section.panel.draw', (e) => {
        const r = e.getBoundingClientRect();
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: 720, height: 450 };
      });
      await page.screenshot({ path: resolve(import.meta.dirname, '../../demos/train/thumb.png'), clip });
    }

    // Save through the button, reset to an untrained network, load the file back: same predictions.
    const saved = await hookValue<Prediction>(p, 'prediction');
    await page.click('button[data-role="save"]');
    await waitFor(p, 'window.__demo.saves >= 1');
    const text = (await page.evaluate('fetch(window.__demo.savedUrl).then((r) => r.text())')) as string;
    const file = join(mkdtempSync(join(tmpdir(), 'demo-train-')), 'model.json');
    writeFileSync(file, text);
    const classifiedBeforeReset = await hookValue<number>(p, 'classified');
    await page.click('button[data-role="reset"]');
    await waitFor(p, `window.__demo.epochs === 0 && window.__demo.classified > ${classifiedBeforeReset}`);
    const reset = await hookValue<Prediction>(p, 'prediction');
    expect(reset.weightScaling).not.toEqual(saved.weightScaling);
    const input = await page.$('input[type="file"]');
    if (!input) throw new Error('no file input');
    await input.uploadFile(file);
    await waitFor(p, 'window.__demo.loads >= 1');
    const loaded = await hookValue<Prediction>(p, 'prediction');
    expect(loaded.weightScaling).toEqual(saved.weightScaling);
    expect(loaded.mcMean).toEqual(saved.mcMean);
    expect(await hookValue<number>(p, 'heldOutAccuracy')).toBe(accuracy);
    expect(await page.evaluate('window.__demo.saveModel()')).toBe(text);

    // The link in the Monte-Carlo note opens the Source tab at the lines that key a mask.
    await page.click('.pred-box a');
    await page.waitForSelector('.source-code .line.marked', { visible: true });

    expect(p.errors).toEqual([]);
  });
});
