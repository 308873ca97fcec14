/**
 * The "Under the hood" page in headless Chromium (SwiftShader): it loads with no console errors;
 * the per-kernel table lists the step's kernels (matmul, fused dropout, softmax cross-entropy, the
 * fused update) with positive times; the dispatches and submits per step it shows equal what the
 * runtime's workStats counts for one more step, and equal the profile's dispatch count; the
 * roofline has one dot per kernel and both ceilings; the fused-against-unfused table has its rows
 * with fewer dispatches on the fused side. Saves a screenshot (and, with THUMBS=1, the page's
 * thumbnail). Times are not compared to figures: the machine is shared; only their sign is checked.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitReady, type Site } from './site';

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-under-the-hood');
});

afterAll(async () => {
  await site?.close();
});

interface Row {
  n: number;
  file: string;
  entry: string;
  overrides: Record<string, number | boolean>;
  inStepUs: number | null;
  aloneUs: number | null;
}

interface Hook {
  clock: string;
  work: { dispatchesPerStep: number; submitsPerStep: number; profiledDispatches: number; profiledSubmits: number };
  profile: Row[];
  roofline: { dots: number; ceilings: number; peakGflops: number; bandwidthGBs: number };
  comparisons: { what: string; fused: { dispatches: number; us: number }; unfused: { dispatches: number; us: number } }[];
}

describe('the under-the-hood page', () => {
  it('profiles the step kernel by kernel, counts its work, draws the roofline, compares fusion', async () => {
    const p = await openPage(site, 'demos/under-the-hood/');
    await waitReady(p);
    const hook = (await p.page.evaluate(() => {
      const h = (window as unknown as { __demo: Hook }).__demo;
      return { clock: h.clock, work: h.work, profile: h.profile, roofline: h.roofline, comparisons: h.comparisons };
    })) as Hook;

    // SwiftShader in Chromium exposes timestamp-query: the page uses it.
    expect(hook.clock).toBe('timestamp');
    const rows = hook.profile;
    const entries = rows.map((r) => r.entry);
    // The matmul entry point depends on the adapter's tuning; the others are fixed.
    expect(rows.filter((r) => r.file === 'shaders/matmul.wgsl').length).toBeGreaterThanOrEqual(5);
    // The update is the chain's one fused kernel (shaders/update_chain.wgsl), SGD's entry point.
    for (const k of ['xent_reduce', 'xent_backward', 'chain_sgd']) expect(entries).toContain(k);
    // Hidden dropout has no kernel of its own: its mask is drawn in the epilogue of the matmuls that
    // make the activations (DROPOUT) and applied again with the ReLU gate in those of the hidden
    // gradients (GATE).
    const matmuls = rows.filter((r) => r.file === 'shaders/matmul.wgsl');
    // Two hidden layers: two forward products draw a mask; the two hidden gradients regenerate it and gate.
    expect(matmuls.filter((r) => r.overrides.DROPOUT && !r.overrides.GATE).length).toBe(2);
    expect(matmuls.filter((r) => r.overrides.DROPOUT && r.overrides.GATE).length).toBe(2);
    expect(entries.some((e) => e.startsWith('dropout'))).toBe(false);
    for (const r of rows) {
      expect(r.aloneUs, `#${r.n} ${r.entry}`).toBeGreaterThan(0);
      expect(r.inStepUs, `#${r.n} ${r.entry}`).toBeGreaterThanOrEqual(0);
    }
    expect(rows.reduce((s, r) => s + (r.inStepUs ?? 0), 0)).toBeGreaterThan(0);
    const tableRows = await p.page.$$eval('table.kernels tbody tr', (trs) => trs.length);
    expect(tableRows).toBe(rows.length);

    // Dispatches and submits per step: shown, and equal to the runtime's counters for one more step.
    const shown = await p.page.evaluate(() => [
      document.getElementById('dispatches-per-step')?.textContent,
      document.getElementById('submits-per-step')?.textContent,
    ]);
    const counted = (await p.page.evaluate(() =>
      (window as unknown as { __demo: { countWork(n: number): Promise<{ dispatches: number; submits: number }> } }).__demo.countWork(1),
    )) as { dispatches: number; submits: number };
    expect(shown).toEqual([String(counted.dispatches), String(counted.submits)]);
    expect(hook.work.dispatchesPerStep).toBe(counted.dispatches);
    expect(hook.work.profiledDispatches).toBe(counted.dispatches);
    expect(hook.work.profiledSubmits).toBe(counted.submits);
    expect(counted.submits).toBe(1);
    expect(rows.length).toBe(counted.dispatches);

    // The roofline: one dot per kernel, both ceilings, measured and positive.
    expect(hook.roofline.dots).toBe(rows.length);
    expect(hook.roofline.ceilings).toBe(2);
    expect(hook.roofline.peakGflops).toBeGreaterThan(0);
    expect(hook.roofline.bandwidthGBs).toBeGreaterThan(0);

    // Fused against unfused: every pair measured, the fused side with fewer dispatches.
    expect(hook.comparisons.length).toBe(4);
    for (const c of hook.comparisons) {
      expect(c.fused.dispatches, c.what).toBeLessThan(c.unfused.dispatches);
      expect(c.fused.us, c.what).toBeGreaterThan(0);
      expect(c.unfused.us, c.what).toBeGreaterThan(0);
    }
    expect(await p.page.$$eval('table.fusion tbody tr', (trs) => trs.length)).toBe(4);

    await screenshot(p, 'demo-under-the-hood');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/under-the-hood/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
  });
});
