/**
 * The README's library examples ("Training your own model: the library API"), run as written: each
 * block after `<!-- example: NAME -->` is read from README.md, written to a module beside this test
 * (so the package name resolves as in the rest of the repository) and imported; what it prints is
 * checked against what the program claims to do:
 *
 * - regression: y = 2x₀ − x₁ + ½x₂ + 1 without noise, fitted by SGD on the MSE with a tiny L2
 *   (α = 1e-6 shrinks the weights by about α/λ ≈ 1e-6 relative): the weights recover [2, −1, ½]
 *   well within 1e-3 and the training MSE ends below 1e-4 (it starts near 5);
 * - classification: MNIST with L2, dropout and early stopping: validation accuracy above 85% (a
 *   784-128-10 net reaches about 90% on 2,000 digits in a few epochs; chance is 10%), and training
 *   stops either after its epochs or by early stopping;
 * - the hand-written loop: 500 Trainer steps on a separable problem: every row counted (500 × 64),
 *   and the running accuracy well above chance.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const dir = join(import.meta.dirname, '.readme-examples');

/** The README's example blocks by name. */
function examples(): Map<string, string> {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g)) out.set(m[1], m[2]);
  return out;
}

/** Runs one example as a module and returns what it printed with console.log, parsed as JSON. */
async function run(name: string): Promise<Record<string, unknown>> {
  const code = examples().get(name);
  if (!code) throw new Error(`README.md has no example "${name}"`);
  // The README shows each in under 15 lines of code (blank lines not counted), as it promises.
  expect(code.split('\n').filter((l) => l.trim() !== '').length).toBeLessThan(15);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code);
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  expect(printed).toHaveLength(1);
  return JSON.parse(printed[0]) as Record<string, unknown>;
}

describe("the README's library examples", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('regression: the weights of y = 2x₀ − x₁ + ½x₂ + 1 are recovered', async () => {
    const out = (await run('regression')) as { mse: number; w: number[] };
    expect(out.w).toHaveLength(3);
    [2, -1, 0.5].forEach((want, i) => expect(Math.abs(out.w[i] - want)).toBeLessThan(1e-3));
    expect(out.mse).toBeLessThan(1e-4);
  });

  it('classification with three regularizers: MNIST validation accuracy above 85%', async () => {
    const out = (await run('classification')) as { stoppedBy: string; val: number[] };
    expect(['epochs', 'early stopping']).toContain(out.stoppedBy);
    expect(out.val.at(-1)).toBeGreaterThan(0.85);
  });

  it('a hand-written loop of Trainer steps learns a separable problem', async () => {
    const out = (await run('loop')) as { loss: number; accuracy: number; count: number };
    expect(out.count).toBe(500 * 64);
    expect(out.accuracy).toBeGreaterThan(0.9);
    expect(Number.isFinite(out.loss)).toBe(true);
  });
});
