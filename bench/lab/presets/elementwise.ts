/**
 * The soft-threshold (the proximal step of L1, shaders/soft_threshold.wgsl) and the chained
 * optimizer update (shaders/update_chain.wgsl) as lab specs. The update's program is chosen by
 * override constants, PRE0 … POST3 (a slot's kind each): the preset runs SGD with a coupled L2
 * penalty before the direction and a proximal L1 step after it, and the reference follows the
 * file's own formulas in f32.
 */
import { grid1d } from '../../../engine/index';
import type { KernelSpec, LabArray, LabParams } from '../spec';

const f = Math.fround;

/** prox_τ(x) = sign(x)·max(|x| − τ, 0), zeros +0.0, in f32. */
function softThreshold(x: number, tau: number): number {
  return Math.abs(x) > tau ? f(Math.sign(x) * f(Math.abs(x) - tau)) : 0;
}

/** out = prox_τ(a), one element per invocation. */
export const SOFT_THRESHOLD: KernelSpec = {
  name: 'soft-threshold (engine)',
  about: 'The proximal operator of τ‖x‖₁, one element per invocation: the zeros L1 is known for.',
  op: 'soft-threshold',
  wgsl: { shader: 'soft_threshold' },
  entry: 'prox',
  params: { n: 1 << 16, tau: 0.25, WG: 256 },
  overrides: (p) => ({ WG: p.WG }),
  uniforms: (p) => ({ n: p.n, tau: p.tau, lr: 0 }),
  inputs: (p, r) => ({ a: r.floats(p.n) }),
  outputs: (p) => ({ out: p.n }),
  grid: (p) => grid1d(p.n, p.WG),
  reference: (inputs: Readonly<Record<string, LabArray>>, p: LabParams) => ({ out: Float32Array.from(inputs.a, (x) => softThreshold(x, f(p.tau))) }),
  tolerance: () => ({ abs: 0 }),
  work: (p) => ({ flops: 3 * p.n, bytes: 8 * p.n }),
};

/** The kinds of update_chain.wgsl's slots (its `const`s). */
const COUPLED_L2 = 1;
const PROXIMAL_L1 = 4;
/** Elements per chunk of the arena's coefficient table. */
const CHUNK = 64;

/** One chunk record of update_chain.wgsl's `Coefs` (end: u32, then six f32), as 32-bit words. */
function coefs(n: number, l2: number, l1: number): Uint32Array {
  const chunks = Math.ceil(n / CHUNK);
  const words = new Uint32Array(7 * chunks);
  const asF32 = new Float32Array(words.buffer);
  for (let c = 0; c < chunks; c++) {
    words[7 * c] = n;
    asF32[7 * c + 1] = l2; // pre0
    asF32[7 * c + 3] = l1; // post0
  }
  return words;
}

/** w ← prox_{ε·l1}(w − ε(g + l2·w)), element by element in f32. */
function updateReference(inputs: Readonly<Record<string, LabArray>>, p: LabParams): Record<string, Float32Array> {
  const w = inputs.w;
  const g = inputs.g;
  const out = new Float32Array(p.n);
  const lr = f(p.lr);
  const tau = f(lr * f(p.l1));
  for (let i = 0; i < p.n; i++) {
    const u = f(g[i] + f(f(p.l2) * w[i]));
    out[i] = softThreshold(f(w[i] - f(lr * u)), tau);
  }
  return { w: out };
}

/** SGD + coupled L2 (PRE0) + proximal L1 (POST0), one dispatch over a one-parameter arena. */
export const UPDATE_CHAIN: KernelSpec = {
  name: 'update chain: sgd + l2 + prox-l1 (engine)',
  about: 'The fused optimizer update: its program (which penalty in which slot) is chosen by the override constants PRE0 … POST3.',
  op: 'update-sgd',
  wgsl: { shader: 'update_chain' },
  entry: 'chain_sgd',
  params: { n: 1 << 16, lr: 0.1, l2: 0.01, l1: 0.05, VPI: 1, PRE0: COUPLED_L2, POST0: PROXIMAL_L1 },
  overrides: (p) => ({ WG: 256, VPI: p.VPI, PRE0: p.PRE0, POST0: p.POST0 }),
  uniforms: (p) => ({ n4: p.n / 4, lr: p.lr, momentum: 0, beta1: 0, beta2: 0, eps: 0, bc1: 1, bc2: 1, max_norm: 0 }),
  inputs: (p, r) => ({ w: r.floats(p.n), g: r.floats(p.n), coefs: coefs(p.n, p.l2, p.l1), gnorm2: new Float32Array(1) }),
  grid: (p) => grid1d(p.n / 4 / p.VPI, 256),
  reference: updateReference,
  // WGSL lets a compiler fuse a multiply and an add (u + α·w, w − ε·u) into one rounding: a few ulps.
  tolerance: () => ({ abs: 2 ** -24, rel: 2 ** -21 }),
  work: (p) => ({ flops: 8 * p.n, bytes: 12 * p.n }),
};
