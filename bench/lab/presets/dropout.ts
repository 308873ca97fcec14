/**
 * Dropout as lab specs: shaders/dropout.wgsl as the engine runs it (`dropout4`, vec4s, no mask
 * stored) and the teaching entry point `dropout_mask`, which also writes the mask so that the page
 * can draw it. The reference is the engine's CPU twin of the mask (`dropoutMaskCpu`, the same
 * Philox rounds as the pipeline's PHILOX_ROUNDS override), so the result must match bit for bit.
 *
 * Which lines decide keep or drop (the page marks them): `keep1` and `keep4` compare a 16-bit half
 * of a Philox word with `params.threshold`; `words8_of` runs the Philox rounds that make the words.
 */
import { dropoutMaskCpu, grid1d } from '../../../engine/index';
import { dropoutUniforms } from '../../../engine/ops/dropout';
import type { KernelSpec, LabArray, LabParams } from '../spec';

const key = (p: LabParams) => ({ keepProb: p.keep, seed: p.seed, offset: 0, scale: 'inverted' as const });

/** y = x·m/p with the CPU twin's mask (and the mask itself when the entry point writes it). */
function reference(withMask: boolean) {
  return (inputs: Readonly<Record<string, LabArray>>, p: LabParams): Record<string, Float32Array> => {
    const mask = dropoutMaskCpu(p.n, key(p), p.rounds);
    const scale = Math.fround(1 / p.keep);
    const x = inputs.x;
    const y = new Float32Array(p.n);
    for (let i = 0; i < p.n; i++) y[i] = mask[i] ? x[i] * scale : 0;
    return withMask ? { y, mask } : { y };
  };
}

const base = {
  op: 'dropout' as const,
  wgsl: { shader: 'dropout' },
  overrides: (p: LabParams) => ({ WG: 256, PHILOX_ROUNDS: p.rounds }),
  uniforms: (p: LabParams) => dropoutUniforms(p.n, key(p)),
  inputs: (p: LabParams, r: { floats(n: number, lo?: number, hi?: number): Float32Array }) => ({ x: r.floats(p.n, -2, 2) }),
  // One rounding of x·scale in f32 on both sides: the same bits.
  tolerance: () => ({ abs: 0 }),
};

/** The engine's dropout forward: 16 elements per invocation as four vec4s, no mask stored. */
export const DROPOUT_ENGINE: KernelSpec = {
  ...base,
  name: 'dropout4 (engine)',
  about: 'Inverted dropout with the mask drawn in the shader by Philox (16-bit uniforms, 8 elements per Philox call), none stored.',
  entry: 'dropout4',
  params: { n: 1 << 16, keep: 0.5, seed: 7, rounds: 7 },
  outputs: (p) => ({ y: p.n }),
  bind: () => ({ x4: 'x', y4: 'y' }),
  grid: (p) => grid1d(Math.ceil(p.n / 16), 256),
  reference: reference(false),
  work: (p) => ({ flops: p.n, bytes: 8 * p.n }),
};

/** The teaching entry point: one Philox call for 8 elements, and the mask written out. */
export const DROPOUT_TEACHING: KernelSpec = {
  ...base,
  name: 'dropout (teaching: mask written)',
  about:
    'Edit keep1 (the comparison with params.threshold) or the Philox rounds (the PHILOX_ROUNDS control) and run: the page draws the new mask, its kept fraction and the binomial test of that fraction.',
  entry: 'dropout_mask',
  params: { n: 4096, keep: 0.5, seed: 7, rounds: 7 },
  outputs: (p) => ({ y: p.n, mask: p.n }),
  grid: (p) => grid1d(Math.ceil(p.n / 8), 256),
  reference: reference(true),
  work: (p) => ({ flops: p.n, bytes: 12 * p.n }),
};
