/**
 * The kernel lab page in headless Chromium (SwiftShader), in its quick mode (`#quick=1`: three
 * short samples, matmuls of 64³, 4,096 elements):
 * - every preset runs: correct against its CPU reference, a positive time, a dot on the roofline;
 * - an edit typed into the editor that breaks compilation shows the compiler's error inline, at the
 *   line typed on;
 * - an edit that makes the result wrong is flagged with the first bad element, the one the edit broke;
 * - reloading the page from its URL brings the edited source back;
 * - the dropout preset marks the lines that decide keep or drop; a run at other Philox rounds
 *   draws its mask and tests it; halving the threshold in the WGSL keeps about half as many
 *   (within 4σ of the binomial), is flagged wrong, and fails the page's test;
 * - a run over its time budget is stopped with a message, and the next run works.
 * Times are only checked to be positive (the machine is shared). Screenshot:
 * out/screenshots/kernel-lab.png (with THUMBS=1 also demos/kernel-lab/thumb.png).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, serveSite, waitFor, waitReady, type OpenPage, type Site } from './site';

let site: Site;

beforeAll(async () => {
  site = await serveSite('dist/e2e-kernel-lab');
});

afterAll(async () => {
  await site?.close();
});

/** What the page's hook reports of its last run. */
interface Last {
  preset: string;
  correct: boolean;
  firstBad: { buffer: string; index: number; got: number; want: number } | null;
  compileErrors: { line: number; column: number; message: string }[];
  stopped: string | null;
  error: string | null;
  medianMs: number | null;
  rooflineDots: number;
  mask: { n: number; fraction: number; pass: boolean } | null;
}

const runs = (p: OpenPage): Promise<number> => p.page.evaluate('window.__demo.runs') as Promise<number>;
const last = (p: OpenPage): Promise<Last> => p.page.evaluate('window.__demo.last') as Promise<Last>;
const source = (p: OpenPage): Promise<string> => p.page.evaluate('window.__demo.source()') as Promise<string>;

/** Clicks Run and waits for the run to be recorded. */
async function run(p: OpenPage): Promise<Last> {
  const before = await runs(p);
  await p.page.click('button.run');
  await waitFor(p, `window.__demo.runs > ${before} && !window.__demo.busy`);
  return last(p);
}

/** Puts the cursor at the end of 1-based `line` of the editor. */
async function endOfLine(p: OpenPage, line: number): Promise<void> {
  await p.page.click(`.cm-content .cm-line:nth-child(${line})`);
  await p.page.keyboard.press('End');
}

/** The 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('the kernel lab page', () => {
  it('runs every preset, shows compile errors inline, flags a wrong result, restores the URL, stops a run over budget', async () => {
    const p = await openPage(site, 'demos/kernel-lab/#quick=1');
    await waitReady(p);
    const presets = (await p.page.evaluate('window.__demo.presets')) as string[];
    expect(presets.length).toBeGreaterThanOrEqual(12);
    for (const name of presets) {
      await p.page.select('select.preset', name);
      const r = await run(p);
      expect({ name, correct: r.correct, error: r.error, compile: r.compileErrors }).toEqual({ name, correct: true, error: null, compile: [] });
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.rooflineDots).toBeGreaterThanOrEqual(1);
    }
    expect(await p.page.$$eval('table.history tr', (rows) => rows.length)).toBe(presets.length + 1);

    // The dropout preset: the deciding lines are marked; at 3 Philox rounds the mask is still the CPU twin's, drawn and tested.
    await p.page.select('select.preset', 'dropout (teaching: mask written)');
    const dropText = await source(p);
    const marked = (await p.page.evaluate('window.__demo.marked')) as number[];
    expect(marked).toContain(lineOf(dropText, '& 0xFFFFu) < params.threshold;'));
    expect(marked).toContain(lineOf(dropText, 'return philox4x32_r_from('));
    await p.page.$eval('input[data-param="rounds"]', (e) => {
      (e as HTMLInputElement).value = '3';
      e.dispatchEvent(new Event('change'));
    });
    const drop = await run(p);
    expect(drop.correct).toBe(true);
    expect(drop.mask?.n).toBeGreaterThan(0);
    expect(await p.page.$$eval('canvas.mask', (c) => c.length)).toBe(1);
    // Halving the threshold in keep1 (the scalar entry point's decision): the mask keeps half as many,
    // the result differs from the reference, and the page's binomial test fails.
    const setParam = (name: string, value: number) =>
      p.page.$eval(
        `input[data-param="${name}"]`,
        (e, v) => {
          (e as HTMLInputElement).value = String(v);
          e.dispatchEvent(new Event('change'));
        },
        value,
      );
    await setParam('rounds', 7);
    const keep = Number(await p.page.$eval('input[data-param="keep"]', (e) => (e as HTMLInputElement).value));
    const keepLine = lineOf(dropText, '& 0xFFFFu) < params.threshold;');
    await p.page.evaluate(`window.__demo.cursorAt(${keepLine})`);
    await p.page.keyboard.press('Backspace');
    await p.page.keyboard.type(' / 2u;');
    const halved = await run(p);
    expect(halved.correct).toBe(false);
    const q = keep / 2;
    const n = halved.mask?.n as number;
    expect(Math.abs((halved.mask?.fraction as number) - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / n));
    expect(halved.mask?.pass).toBe(false);

    // An edit that breaks compilation: the error is reported at the line typed on, and marked there.
    await p.page.select('select.preset', 'matmul step 1: naive');
    const text = await source(p);
    const accLine = lineOf(text, 'var acc = 0.0;');
    await endOfLine(p, accLine);
    const typed = ' let bad = oops;';
    await p.page.keyboard.type(typed);
    const broken = await run(p);
    expect(broken.compileErrors.length).toBeGreaterThan(0);
    expect(broken.compileErrors[0].line).toBe(accLine);
    await waitFor(p, `document.querySelector('.cm-content .cm-line:nth-child(${accLine}) .cm-lintRange-error') !== null`);
    await endOfLine(p, accLine);
    for (let i = 0; i < typed.length; i++) await p.page.keyboard.press('Backspace');
    expect(await source(p)).toBe(text);

    // An edit that makes the result wrong at one element: flagged with that element.
    const storeLine = lineOf(await source(p), 'c[row * params.n + col] = acc;');
    await endOfLine(p, storeLine);
    await p.page.keyboard.down('Shift');
    await p.page.keyboard.press('Home');
    await p.page.keyboard.up('Shift');
    await p.page.keyboard.type('c[row * params.n + col] = select(acc, 0.0, row * params.n + col == 77u);');
    const wrong = await run(p);
    expect(wrong.correct).toBe(false);
    expect(wrong.firstBad).toMatchObject({ buffer: 'c', index: 77, got: 0 });
    expect(await p.page.$eval('.result .verdict', (e) => e.textContent)).toContain('c[77]');

    // The URL holds the edited source: a reload brings it back.
    const edited = await source(p);
    expect(edited).toContain('== 77u');
    await p.page.reload();
    await waitReady(p);
    expect(await source(p)).toBe(edited);
    expect(await p.page.$eval('select.preset', (e) => (e as HTMLSelectElement).value)).toBe('matmul step 1: naive');

    // A run over its time budget (0.1 s: compiling the 16-row unrolled kernel alone takes longer here) stops with a message; the next run works.
    await p.page.select('select.preset', 'matmul strided TM16 (engine)');
    await p.page.$eval('input.budget', (e) => {
      (e as HTMLInputElement).value = '0.1';
      e.dispatchEvent(new Event('change'));
    });
    const stopped = await run(p);
    expect(stopped.stopped).toMatch(/time budget/);
    await p.page.$eval('input.budget', (e) => {
      (e as HTMLInputElement).value = '60';
      e.dispatchEvent(new Event('change'));
    });
    await p.page.select('select.preset', 'matmul step 2: register-blocked');
    const after = await run(p);
    expect(after.correct).toBe(true);
    expect(after.medianMs).toBeGreaterThan(0);

    await screenshot(p, 'kernel-lab');
    if (process.env.THUMBS === '1') {
      await p.page.screenshot({ path: resolve(import.meta.dirname, '../../demos/kernel-lab/thumb.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });
    }
    expect(p.errors).toEqual([]);
  });
});
