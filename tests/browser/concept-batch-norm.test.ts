/**
 * The batch-norm page in headless Chromium (SwiftShader): it loads with no console errors; a step
 * through the real button trains both networks and redraws the histograms for the new step; with
 * batch norm, each shown unit's pre-activation on the probe batch has mean β and std
 * γ·√(σ²/(σ² + ε)): checked at step 0 (γ = 1, β = 0, σ from the network without batch norm) to
 * the f32 bounds derived below; toggling the
 * mode with the real buttons switches the statistics the page reports as used from the batch's to
 * the running buffers (and the two differ, and the reported running values are the model's
 * buffers); the batch-size slider (keyboard: a real input event) re-measures the spread of the
 * batch statistics, larger at B = 4 than at B = 64; the on-demand short run at one batch size
 * trains both networks and reports train and held-out accuracy. Screenshot:
 * out/screenshots/concept-batch-norm.png (with THUMBS=1 also demos/batch-norm/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BN_EPS } from '../../demos/batch-norm/models';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

interface UnitStats {
  mean: number[];
  variance: number[];
}

interface Report {
  mode: string;
  layer: number;
  batch: number;
  batchStats: UnitStats;
  runningStats: UnitStats;
  used: UnitStats;
  source: string;
  accuracy: Record<string, { accuracy: number }>;
}

interface Cell {
  mean: number;
  std: number;
}

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-concept-batch-norm');
});

afterAll(async () => {
  await site?.close();
});

describe('the batch-norm page', () => {
  it('trains both networks, switches between batch and running statistics, and measures batch-size noise', async () => {
    const t0 = Date.now();
    const p = await openPage(site, 'demos/batch-norm/#seed=1&layer=2&batch=32&mode=running');
    await waitReady(p);
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;
    const log = (what: string): void => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    log('ready');

    // At step 0 batch norm's γ and β are exactly 1 and 0, so each shown unit's output on the probe
    // batch of n = 512 has mean β = 0 and std γ·√(σ²/(σ² + ε)), σ² the unit's (biased) batch
    // variance before batch norm. In hidden layer 1 that input is the Linear output the network
    // without batch norm shows (same initial weights, same probe batch), so σ and μ are its cell's.
    // Bounds (f32, u = 2⁻²⁴, γ_k = k·u): the GPU's batch mean is off by γ_n·(|μ| + σ), which shifts
    // every output by that over σ; its variance (even as E[x²] − μ²) by γ_{n+2}·(μ² + σ²), which
    // moves the std by half that relative to σ²; each output value carries a few roundings (8 ulp
    // of a value of order 1 in all).
    let v0 = await ev<number>('__demo.inferenceVersion');
    await p.page.click('.layer-pick button[data-layer="1"]');
    await waitFor(p, `__demo.inferenceVersion > ${v0} && __demo.inference.layer === 1`, 60_000);
    const initial = await ev<Cell[][]>('__demo.cells');
    expect(initial[1]).toHaveLength(initial[0].length);
    const n = 512;
    const g = (k: number) => k * 2 ** -24;
    for (let u = 0; u < initial[0].length; u++) {
      const { mean: mu, std: sigma } = initial[0][u];
      const bn = initial[1][u];
      const meanBound = (g(n) * (Math.abs(mu) + sigma)) / sigma + 8 * 2 ** -23;
      expect(Math.abs(bn.mean), `unit ${u}: mean β = 0`).toBeLessThanOrEqual(meanBound);
      const want = Math.sqrt(sigma ** 2 / (sigma ** 2 + BN_EPS));
      const stdBound = want * ((g(n + 2) * (mu ** 2 + sigma ** 2)) / (2 * sigma ** 2) + 8 * 2 ** -23);
      expect(Math.abs(bn.std - want), `unit ${u}: std γ·√(σ²/(σ² + ε))`).toBeLessThanOrEqual(stdBound);
    }
    v0 = await ev<number>('__demo.inferenceVersion');
    await p.page.click('.layer-pick button[data-layer="2"]');
    await waitFor(p, `__demo.inferenceVersion > ${v0} && __demo.inference.layer === 2`, 60_000);
    log('step 0: mean β, std γ·√(σ²/(σ² + ε))');

    // Training advances through the real button, and the histograms are redrawn for the new step.
    expect(await ev<number>('__demo.stepCount')).toBe(0);
    expect(await ev<number>('__demo.activationsStep')).toBe(0);
    await p.page.click('button[data-role=step]');
    await waitFor(p, '__demo.stepCount === 1 && __demo.activationsStep === 1', 60_000);
    const first = await ev<{ plain: { loss: number }; bn: { loss: number } }>('__demo.lastStep');
    expect(Number.isFinite(first.plain.loss) && Number.isFinite(first.bn.loss)).toBe(true);
    log('one step');
    // Play (the real button) to step 20 or a little past it, then pause.
    await p.page.click('button[data-role=play]');
    await waitFor(p, '__demo.stepCount >= 20', 90_000);
    await p.page.click('button[data-role=pause]');
    await ev('__demo.idle()');
    const steps = await ev<number>('__demo.stepCount');
    expect(await ev<number>('__demo.activationsStep')).toBe(steps);
    log(`${steps} steps`);
    const cells = await ev<Cell[][]>('__demo.cells');
    expect(cells).toHaveLength(2);
    expect(await p.page.$$eval('.hist-cell canvas', (cs) => cs.length)).toBe(8);

    // The mode toggle, through the real buttons.
    let r = await ev<Report>('__demo.inference');
    expect(r.mode).toBe('running');
    let version = await ev<number>('__demo.inferenceVersion');
    await p.page.click('button[data-mode=batch]');
    await waitFor(p, `__demo.inferenceVersion > ${version} && __demo.inference.mode === 'batch'`, 60_000);
    r = await ev<Report>('__demo.inference');
    expect(r.used).toEqual(r.batchStats);
    expect(await p.page.$eval('.inf-source', (e) => e.textContent)).toContain('Using batch statistics');
    const usedBatch = r.used;
    version = await ev<number>('__demo.inferenceVersion');
    await p.page.click('button[data-mode=running]');
    await waitFor(p, `__demo.inferenceVersion > ${version} && __demo.inference.mode === 'running'`, 60_000);
    r = await ev<Report>('__demo.inference');
    expect(r.used).toEqual(r.runningStats);
    expect(await p.page.$eval('.inf-source', (e) => e.textContent)).toContain('bn2.runningMean');
    // The statistics used differ between the modes: 32 held-out digits are not the running average over 20-odd training batches.
    const diff = Math.max(...r.used.mean.map((m, i) => Math.abs(m - usedBatch.mean[i])), ...r.used.variance.map((v, i) => Math.abs(v - usedBatch.variance[i])));
    expect(diff).toBeGreaterThan(1e-3);
    // The values shown are the ones reported (the used row is highlighted).
    const usedRow = await p.page.$$eval('.stats-table tr.used', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].slice(1).map((td) => Number(td.textContent))),
    );
    expect(usedRow[0][0]).toBeCloseTo(r.runningStats.mean[0], 2);
    log('mode toggle');

    // The layer picker switches the histograms and the inference panel to hidden layer 1, and back.
    version = await ev<number>('__demo.inferenceVersion');
    await p.page.click('.layer-pick button[data-layer="1"]');
    await waitFor(p, `__demo.inferenceVersion > ${version} && __demo.inference.layer === 1`, 60_000);
    expect(await p.page.$eval('.panel h2', (e) => e.textContent)).toContain('hidden layer 1');
    expect(await p.page.$eval('.inf-source', (e) => e.textContent)).toContain('bn1.runningMean');
    version = await ev<number>('__demo.inferenceVersion');
    await p.page.click('.layer-pick button[data-layer="2"]');
    await waitFor(p, `__demo.inferenceVersion > ${version} && __demo.inference.layer === 2`, 60_000);

    // The batch-size slider: B 32 → 4 (three ArrowLeft), then 64.
    let sv = await ev<number>('__demo.spreadVersion');
    await p.page.focus('#batch-size');
    for (let k = 0; k < 3; k++) await p.page.keyboard.press('ArrowLeft');
    await waitFor(p, `__demo.batchSize === 4 && __demo.spreadVersion > ${sv}`, 30_000);
    const small = await ev<{ meanSpread: number; stdSpread: number }>('__demo.spread');
    sv = await ev<number>('__demo.spreadVersion');
    await ev('__demo.setBatchSize(64)');
    await waitFor(p, `__demo.batchSize === 64 && __demo.spreadVersion > ${sv}`, 30_000);
    const large = await ev<{ meanSpread: number; stdSpread: number }>('__demo.spread');
    // About 1/√B for the mean: 0.5 at B = 4, 0.125 at B = 64.
    expect(small.meanSpread).toBeGreaterThan(2 * large.meanSpread);
    expect(small.stdSpread).toBeGreaterThan(large.stdSpread);
    await waitFor(p, `__demo.inference.batch === 64`, 60_000);
    log('slider');

    // The short run at B = 64, on demand.
    await p.page.click('button[data-role=short-run]');
    await waitFor(p, '__demo.shortRuns.length === 1 && !__demo.shortRunning', 120_000);
    const run = (await ev<{ batch: number; scores: Record<string, { train: { accuracy: number }; heldOut: { accuracy: number } }> }[]>('__demo.shortRuns'))[0];
    expect(run.batch).toBe(64);
    for (const k of ['plain', 'bn']) {
      expect(run.scores[k].heldOut.accuracy).toBeGreaterThan(0.5);
      expect(run.scores[k].train.accuracy).toBeGreaterThan(0.5);
    }
    expect(await p.page.$$eval('.run-table tbody tr', (rows) => rows.length)).toBe(1);
    log('short run');

    await p.page.mouse.move(0, 0);
    await screenshot(p, 'concept-batch-norm');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/batch-norm/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
  }, 240_000);
});
