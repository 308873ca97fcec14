/**
 * Reproducible runs (tests/helpers/regularized-run.ts: 100 steps of a 784-32-10 MLP on MNIST with
 * input and hidden dropout, augmentation, input, hidden-unit and weight noise, and bootstrap
 * sampling, all keyed by the seed):
 *
 * - the same seed on the same adapter gives bit-identical parameters after 100 steps (compared as
 *   bit patterns), while another seed or another bagging member gives different ones after 5 steps
 *   (so the randomness really is keyed, and the first check cannot pass by ignoring it);
 * - lavapipe and SwiftShader agree within a stated tolerance: the run is repeated on the other
 *   adapter in a child process (one Node process holds one Vulkan driver, chosen when Dawn starts),
 *   which writes its parameters to a temporary file.
 *
 * Why the adapters can differ at all: every random draw is integer Philox arithmetic (bit-exact on
 * both, and against the CPU twins: tests/random/), and the kernels fix the order of every sum; what
 * may differ is the last bits of exp/log in the softmax cross-entropy, the Box–Muller and bilinear
 * arithmetic (WGSL allows a few ULP), and whether a*b + c is fused. Each step then differs by a few
 * ULP of the gradients, which the following steps carry along. Measured on this machine (same seed,
 * 100 steps, lavapipe vs SwiftShader): relative L2 difference of each parameter tensor about 2.5e-7,
 * largest elementwise difference 2.2e-7 on parameters up to 0.66, about half the weights bit-identical.
 * The bound, 1e-5 relative L2 per tensor and 1e-5·(1 + max|θ|) elementwise, leaves 40× that margin
 * for other inputs and driver versions, and is four orders of magnitude below what a real divergence
 * does (another seed moves every weight tensor by more than 10% within 5 steps, asserted below).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRuntime } from '../helpers/gpu';
import { regularizedRun, uploadRunData, type RunData } from '../helpers/regularized-run';

const SEED = 7;
const CROSS_ADAPTER_REL_L2 = 1e-5;
const CROSS_ADAPTER_ABS = 1e-5;

/** Whether two parameter sets are the same bit for bit; else the first differing name and index. */
function firstBitDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): string | null {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    const ua = new Uint32Array(a[name].buffer, a[name].byteOffset, a[name].length);
    const ub = new Uint32Array(b[name].buffer, b[name].byteOffset, b[name].length);
    expect(ua.length, name).toBe(ub.length);
    for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return `${name}[${i}]: ${a[name][i]} vs ${b[name][i]}`;
  }
  return null;
}

/** ‖a − b‖₂ / ‖a‖₂ of one tensor. */
function relL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += a[i] ** 2;
  }
  return Math.sqrt(d / s);
}

/** The child process of a running cross-adapter run, ended by afterAll if a test fails before it exits. */
let running: ChildProcess | null = null;

/** Runs the same training in a child process on `adapter`; resolves with its parameters. */
function runOnAdapter(adapter: 'lavapipe' | 'swiftshader', dir: string): Promise<{ adapter: string; params: Record<string, Float32Array> }> {
  const out = join(dir, `${adapter}.json`);
  const root = resolve(import.meta.dirname, '../..');
  const env: NodeJS.ProcessEnv = { ...process.env, WEBGPU_ADAPTER: adapter };
  // The parent's driver choice (device.ts sets VK_ICD_FILENAMES) must not leak into the child.
  delete env.VK_ICD_FILENAMES;
  return new Promise((done, fail) => {
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      ['--import', './scripts/wgsl-loader.mjs', 'tests/helpers/regularized-run-child.ts', out, String(SEED)],
      { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      running = null;
      if (code !== 0) return fail(new Error(`the ${adapter} child exited with ${code}: ${stderr.slice(-2000)}`));
      const j = JSON.parse(readFileSync(out, 'utf8')) as { adapter: string; names: string[]; sizes: number[]; base64: string };
      const bytes = Buffer.from(j.base64, 'base64');
      const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const params: Record<string, Float32Array> = {};
      let at = 0;
      j.names.forEach((n, k) => {
        params[n] = all.slice(at, at + j.sizes[k]);
        at += j.sizes[k];
      });
      done({ adapter: j.adapter, params });
    });
  });
}

describe('reproducibility', () => {
  const rt = useRuntime();
  let data: RunData;
  let dir: string;
  beforeAll(async () => {
    data = await uploadRunData(rt());
    dir = mkdtempSync(join(tmpdir(), 'repro-'));
  });
  afterAll(() => {
    if (running && running.exitCode === null) running.kill();
    data?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the same seed gives bit-identical parameters after 100 steps with dropout, augmentation, noise and bootstrap on; the other adapter agrees within 1e-5', async () => {
    // The cross-adapter bound is a statement about the two software adapters; on any other adapter
    // (a real GPU under WEBGPU_TESTS=hardware) only the same-adapter determinism is checked.
    const kind = rt().info.kind;
    const here = kind === 'swiftshader' ? 'swiftshader' : 'lavapipe';
    const other = here === 'lavapipe' ? 'swiftshader' : 'lavapipe';
    // The other adapter's run starts first, in its own process, and overlaps the runs here.
    const remote = kind === 'other' ? null : runOnAdapter(other, dir);
    remote?.catch(() => undefined);

    const first = await regularizedRun(rt(), data, { seed: SEED });
    const second = await regularizedRun(rt(), data, { seed: SEED });
    expect(firstBitDifference(first, second), 'same seed, same adapter').toBeNull();

    // Keyed randomness: another seed, or another bagging member (another resample), changes the run
    // (checked on short runs: the keys act from the first step).
    const short = await regularizedRun(rt(), data, { seed: SEED, steps: 5 });
    const otherSeed = await regularizedRun(rt(), data, { seed: SEED + 1, steps: 5 });
    const otherMember = await regularizedRun(rt(), data, { seed: SEED, member: 1, steps: 5 });
    for (const name of Object.keys(first)) {
      if (!name.endsWith('weight')) continue;
      expect(relL2(short[name], otherSeed[name]), `${name}: another seed`).toBeGreaterThan(0.1);
      expect(relL2(short[name], otherMember[name]), `${name}: another member`).toBeGreaterThan(1e-4);
    }

    if (!remote) return;
    const { adapter, params } = await remote;
    expect(adapter.toLowerCase()).toContain(other === 'lavapipe' ? 'llvmpipe' : 'swiftshader');
    for (const name of Object.keys(first)) {
      const a = first[name];
      const b = params[name];
      expect(b?.length, name).toBe(a.length);
      expect(relL2(a, b), `${name}: ${here} vs ${other}, relative L2`).toBeLessThanOrEqual(CROSS_ADAPTER_REL_L2);
      const maxAbs = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, `${name}: ${here} vs ${other}, largest difference`).toBeLessThanOrEqual(CROSS_ADAPTER_ABS * (1 + maxAbs));
    }
  });
});
