/**
 * The bagging page in headless Chromium (SwiftShader): it loads with no console errors; Step (the
 * real button) trains two bagged members one at a time, the batched button all K at once (the
 * library's bagging({ batched: true })), Play the dropout net. Checked:
 *
 * - The batched members are the ones trained one at a time: members 1 and 2's held-out
 *   probabilities, read back before and after the batched run, are equal value for value (f32
 *   values read as JSON numbers, so bit for bit), and the page's own bit comparison finds no
 *   difference; the members table shows all K batched members, and the line of times per member
 *   shows both ways.
 * - Each resample's distinct fraction is within 4 standard deviations of 1 − (1 − 1/n)ⁿ ≈ 63.2%, with
 *   the exact sd of the distinct fraction of n draws (Var of the number never drawn = n·q +
 *   n(n − 1)·r − n²q², q = (1 − 1/n)ⁿ, r = (1 − 2/n)ⁿ; sd ≈ 0.0099 for n = 1,000); and it is the
 *   fraction of the library's own bootstrapIndices(n, seed, member), recomputed here in Node.
 * - Eq. 7.50 for the bagged members and for the dropout net's Monte-Carlo passes: for every k, the
 *   ensemble error measured from the averaged probabilities equals v/k + (k − 1)c/k from the
 *   measured v and c. On the same points this is an identity (the squared norm of a mean expands
 *   into the mean of the Gram matrix), so only f64 rounding separates the two: sums of ~5,000 terms
 *   of size ≤ 2 give gaps near 1e-15; the tolerance is 1e-10.
 * - The GPU's ensemble average (Ensemble.predictProbs, eq. 7.52) gives the same error as the f64
 *   average within the f32 rounding bound derived here (not the one the page states); the page's
 *   passes are predictMonteCarlo's.
 * - The members are decorrelated (c < v), so the ensemble beats one member; the gallery shows
 *   28×28 digits with one vote per member. c < v holds for any members that differ (seeds alone
 *   would do): that resampling itself decorrelates members is tested in Node against members
 *   trained without it (tests/regularizers/bagging.test.ts).
 * Screenshot: out/screenshots/concept-bagging.png (with THUMBS=1 also demos/bagging/thumb.png, 1280×800 from the control bar down).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapIndices, uniqueFraction } from '../../regularizers/index';
import { openPage, screenshot, serveSite, waitFor, waitReady, type Site } from './site';

interface KRow {
  k: number;
  subsetMean: number;
  predicted: number;
  firstK: number;
  firstKPredicted: number;
}

interface Stats {
  v: number;
  c: number;
  rows: KRow[];
  members: { brier: number }[];
  maxIdentityGap: number;
  disagreements: { votes: number[] }[];
}

const IDENTITY_TOLERANCE = 1e-10;

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-concept-bagging');
});

afterAll(async () => {
  await site?.close();
});

function checkIdentity(stats: Stats, k: number): void {
  expect(stats.rows.length).toBe(k);
  expect(stats.members.length).toBe(k);
  for (const r of stats.rows) {
    const formula = r.k === 1 ? stats.v : stats.v / r.k + ((r.k - 1) * stats.c) / r.k;
    expect(Math.abs(r.predicted - formula), `k = ${r.k}: the page's curve`).toBeLessThanOrEqual(IDENTITY_TOLERANCE);
    expect(Math.abs(r.subsetMean - r.predicted), `k = ${r.k}: mean over ensembles of k vs eq. 7.50`).toBeLessThanOrEqual(IDENTITY_TOLERANCE);
    expect(Math.abs(r.firstK - r.firstKPredicted), `k = ${r.k}: first k members vs eq. 7.50 with their v, c`).toBeLessThanOrEqual(IDENTITY_TOLERANCE);
  }
  expect(stats.maxIdentityGap).toBeLessThanOrEqual(IDENTITY_TOLERANCE);
  // k = 1 is one member's mean error: v itself (the mean over the k single-member "ensembles").
  expect(Math.abs(stats.rows[0].subsetMean - stats.v)).toBeLessThanOrEqual(IDENTITY_TOLERANCE);
}

describe('the bagging page', () => {
  it('trains bagged members on ≈63.2% resamples, and measures eq. 7.50 for them and for dropout’s subnetworks', async () => {
    const K = 5;
    const seed = 2;
    const p = await openPage(site, `demos/bagging/#seed=${seed}&k=${K}`);
    await waitReady(p);
    const ev = <T>(expr: string): Promise<T> => p.page.evaluate(expr) as Promise<T>;
    expect(await ev<number>('__demo.k')).toBe(K);
    const n = await ev<number>('__demo.trainCount');
    const { mean, sd } = await ev<{ mean: number; sd: number }>('__demo.uniqueExpected');
    expect(Math.abs(mean - (1 - (1 - 1 / n) ** n))).toBeLessThan(1e-12);

    // Two members one at a time, through the real Step button.
    await p.page.click('button[data-role=step]');
    await waitFor(p, '__demo.membersTrained === 1', 60_000);
    expect(await p.page.$$eval('.members-table canvas.resample-strip', (c) => c.length)).toBe(1);
    await p.page.click('button[data-role=step]');
    await waitFor(p, '__demo.membersTrained === 2', 60_000);
    const oneAtATime = await ev<number[][]>('__demo.memberProbs');
    expect(oneAtATime.length).toBe(2);

    // All K at once, batched: members 1 and 2 come out the same, bit for bit.
    expect(await p.page.$eval('button[data-role=batched]', (b) => b.textContent)).toBe(`Train all ${K} at once (batched)`);
    await p.page.click('button[data-role=batched]');
    await waitFor(p, `__demo.batched !== undefined && __demo.membersTrained === ${K}`, 120_000);
    const batched = await ev<{ k: number; seconds: number; compared: number; values: number; differing: number }>('__demo.batched');
    expect(batched).toMatchObject({ k: K, compared: 2, values: 2 * oneAtATime[0].length, differing: 0 });
    const twins = await ev<number[][]>('__demo.memberProbs');
    expect(twins.length).toBe(K);
    expect(twins[0]).toEqual(oneAtATime[0]);
    expect(twins[1]).toEqual(oneAtATime[1]);
    // Members differ from one another (their resamples and initial weights do).
    expect(twins[2]).not.toEqual(twins[1]);
    expect(await p.page.$$eval('.members-table canvas.resample-strip', (c) => c.length)).toBe(K);
    expect(await p.page.$eval('.ensemble .timing', (e) => e.textContent)).toMatch(
      new RegExp(`one at a time \\(the last member trained alone\\) · .* batched, all ${K} at once`),
    );

    // The dropout net, with Play.
    await p.page.click('button[data-role=play]');
    await waitFor(p, '__demo.done === true', 120_000);

    const fractions = await ev<number[]>('__demo.uniqueFractions');
    expect(fractions.length).toBe(K);
    fractions.forEach((f, i) => {
      expect(Math.abs(f - mean), `member ${i}: ${f} vs ${mean} ± ${sd}`).toBeLessThanOrEqual(4 * sd);
      expect(f, `member ${i}: the library's resample`).toBe(uniqueFraction(bootstrapIndices(n, seed, i), n));
    });

    const bag = await ev<Stats>('__demo.bagging');
    checkIdentity(bag, K);
    // Resamples and seeds decorrelate the members: c < v, and averaging pays.
    expect(bag.c).toBeLessThan(bag.v);
    expect(bag.rows[K - 1].subsetMean).toBeLessThan(bag.v);
    // The GPU's average of K f32 probability vectors is off by at most δ = (K + 1)·u (u = 2⁻²⁴) per
    // entry from the f64 one; a point's squared error Σ_c (p_c − y_c)² then moves by at most
    // 2δ·Σ_c |p_c − y_c| ≤ 4δ (probabilities and a one-hot y: Σ|p − y| ≤ 2), and so does their mean.
    expect(await ev<number>('__demo.gpuEnsembleGap')).toBeLessThanOrEqual(4 * (K + 1) * 2 ** -24);

    const drop = await ev<Stats>('__demo.dropout');
    checkIdentity(drop, K);
    expect(drop.c).toBeLessThan(drop.v);
    // Our passes are predictMonteCarlo's (same steps, same masks): equal up to f32 summation order.
    expect(await ev<number>('__demo.mcGap')).toBeLessThanOrEqual(1e-6);

    // The galleries: 28×28 canvases, one vote per member.
    const cards = await p.page.$$eval('.ensemble', (panels) =>
      panels.map((panel) =>
        [...panel.querySelectorAll('.digit-card')].map((c) => ({
          w: c.querySelector('canvas')!.width,
          h: c.querySelector('canvas')!.height,
          votes: c.querySelectorAll('.vote').length,
        })),
      ),
    );
    expect(cards.length).toBe(2);
    for (const panel of cards) {
      expect(panel.length).toBeGreaterThan(0);
      for (const c of panel) expect(c).toEqual({ w: 28, h: 28, votes: K });
    }
    const seconds = await ev<number>('__demo.secondsPerMember');
    await p.page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(p, 'concept-bagging');
    if (process.env.THUMBS === '1') {
      // From the control bar down, so that the thumbnail shows the resamples and the chart of eq. 7.50.
      const top = await p.page.$eval('.topbar', (e) => e.getBoundingClientRect().top + window.scrollY - 12);
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/bagging/thumb.png'), clip: { x: 0, y: top, width: 1280, height: 800 } });
    }
    console.log(
      `bagging page: ${seconds.toFixed(2)} s per member one at a time, ${(batched.seconds / K).toFixed(2)} s batched (${K} in ${batched.seconds.toFixed(2)} s); v = ${bag.v.toFixed(4)}, c = ${bag.c.toFixed(4)}; dropout v = ${drop.v.toFixed(4)}, c = ${drop.c.toFixed(4)}`,
    );
    expect(p.errors).toEqual([]);
  });
});
