/**
 * Image augmentation on the GPU (shaders/augment.wgsl, engine/ops/augment.ts).
 *
 * Oracles and tolerances:
 * - exact (bit for bit): integer shifts and mirrors against index arithmetic (shiftExampleCpu in
 *   tests/ops/augment-reference.ts), rotations by whole quarter turns against index arithmetic
 *   too, and the all-off transform against the input itself: the kernel's inverse map is exact in
 *   f32 for these (half-integer coordinates, cos and sin exactly 0 or ±1, no division at scale 1)
 *   and a sample on a pixel centre returns that pixel unchanged;
 * - the parameters: `augmentParamsCpu` (the Philox twin) gives each example's dx, dy and flip, and
 *   a GPU batch with shifts (and flips) only must equal the exact shift of those, which ties the
 *   GPU's draws to the CPU's; their ranges and frequencies are checked statistically (a χ² test of
 *   the 2m + 1 shift values against uniform, below the 1 − 10⁻⁴ quantile; the flip count within 4σ);
 * - random rotations and scalings against the f64 CPU warp (warpBatchCpu) of the same parameters,
 *   within WARP_TOL = 10⁻⁴. Why: bilinear interpolation of data in [0, 1] (zero outside) changes by
 *   at most |Δx| + |Δy| when the sample point moves by (Δx, Δy), since neighbouring values differ
 *   by at most 1. The GPU's sample point is off by the f32 roundings of the map (a few ulps of
 *   coordinates below 32, ~10⁻⁵ in all), sincos_pi's error (≤ 2⁻²² times radii below 25, 6·10⁻⁶)
 *   and a possible last-bit difference in the drawn scale (fused multiply-add; 3·10⁻⁶): about
 *   2·10⁻⁵ per axis, and the interpolation's own roundings add ~10⁻⁷;
 * - input noise against the CPU normal twin with the tolerance of tests/ops/noise.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { augmentImages, augmentParamsCpu, translateImages, warpImages, type AugmentOptions } from '../../engine/ops/augment';
import { addGaussianNoise } from '../../engine/ops/noise';
import { standardNormalCpu } from '../../engine/random/normal';
import { ArgumentError, ShapeError } from '../../engine/runtime/errors';
import type { Tensor } from '../../engine/runtime/tensor';
import { randomArray, useRuntime, firstBitDiff } from '../helpers/gpu';
import { shiftExampleCpu, warpBatchCpu } from './augment-reference';

const H = 28;
const W = 28;
const HW = H * W;
const WARP_TOL = 1e-4;
/** The 1 − 10⁻⁴ quantile of χ² with 10 degrees of freedom (11 shift values). */
const CHI2_10DOF_CRITICAL = 35.564;

/** The tolerance of one GPU normal draw against the CPU twin (tests/ops/noise.test.ts). */
const tolZ = (z: number): number => 6 * 2 ** -22 + 4 * 2 ** -22 * Math.abs(z);
const ulp = (v: number): number => (Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23));

/** Digit-like test images: a smooth random blob per example, values in [0, 1], zero borders. */
function digits(batch: number, seed: number, h = H, w = W): Float32Array {
  const out = new Float32Array(batch * h * w);
  const r = randomArray(batch * 4, seed, 0, 1);
  for (let b = 0; b < batch; b++) {
    const [cx, cy, sx, sy] = [w * (0.35 + 0.3 * r[4 * b]), h * (0.35 + 0.3 * r[4 * b + 1]), 2 + 3 * r[4 * b + 2], 2 + 3 * r[4 * b + 3]];
    for (let y = 2; y < h - 2; y++)
      for (let x = 2; x < w - 2; x++) out[b * h * w + y * w + x] = Math.fround(Math.exp(-(((x - cx) / sx) ** 2) - ((y - cy) / sy) ** 2));
  }
  // Some texture, so that exact comparisons see every pixel's bits.
  const noise = randomArray(out.length, seed + 1, 0, 0.25);
  for (let i = 0; i < out.length; i++) if (out[i] > 0) out[i] = Math.min(1, out[i] + noise[i]);
  return out;
}

describe('image augmentation', () => {
  const rt = useRuntime();

  /** Runs `f` on a GPU copy of `xs` ([batch, h·w]) and reads the result back. */
  async function onGpu(xs: Float32Array, batch: number, f: (x: Tensor) => Tensor<'f32'>): Promise<Float32Array> {
    const x = rt().tensor(xs, [batch, xs.length / batch]);
    const y = f(x);
    const out = await y.toArray();
    x.dispose();
    y.dispose();
    return out;
  }

  it('translateImages moves pixels exactly by integer (dx, dy), negative shifts included, with zeros where nothing moves in', async () => {
    const batch = 5;
    const xs = digits(batch, 1);
    // Include values whose bits an arithmetic path would change: −0, tiny and huge ones.
    xs[HW + 3 * W + 4] = -0;
    xs[HW + 5 * W + 6] = 1e-30;
    xs[2 * HW + 7 * W + 8] = 3e30;
    for (const [dx, dy] of [
      [0, 0],
      [1, 0],
      [0, -1],
      [3, -2],
      [-5, 4],
      [-27, 27],
      [28, 0],
      [0, -40],
      [13, 14],
    ]) {
      const got = await onGpu(xs, batch, (x) => translateImages(x, { height: H, width: W, dx, dy }));
      const want = new Float32Array(xs.length);
      for (let b = 0; b < batch; b++) shiftExampleCpu(xs, want, b, H, W, dx, dy);
      expect(firstBitDiff(got, want), `dx=${dx} dy=${dy}`).toBe(-1);
    }
    // Non-square images (odd width: the centre is a pixel; even height: between two).
    const [h, w] = [6, 9];
    const small = randomArray(3 * h * w, 5, 0, 1);
    for (const [dx, dy] of [
      [2, -1],
      [-4, 3],
    ]) {
      const got = await onGpu(small, 3, (x) => translateImages(x, { height: h, width: w, dx, dy }));
      const want = new Float32Array(small.length);
      for (let b = 0; b < 3; b++) shiftExampleCpu(small, want, b, h, w, dx, dy);
      expect(firstBitDiff(got, want), `${h}×${w} dx=${dx} dy=${dy}`).toBe(-1);
    }
  });

  it('with every transform off the batch comes back bit for bit (defaults and explicit zeros); so does warpImages with no transform', async () => {
    const batch = 7;
    const xs = digits(batch, 2);
    xs[9] = -0;
    xs[100] = 1e-30;
    const off: AugmentOptions = { height: H, width: W, seed: 3, offset: 4 };
    const explicit: AugmentOptions = { ...off, stream: 2, maxShift: 0, maxRotation: 0, scale: [1, 1], noiseStd: 0, allowFlips: false };
    expect(firstBitDiff(await onGpu(xs, batch, (x) => augmentImages(x, off)), xs)).toBe(-1);
    expect(firstBitDiff(await onGpu(xs, batch, (x) => augmentImages(x, explicit)), xs)).toBe(-1);
    expect(firstBitDiff(await onGpu(xs, batch, (x) => warpImages(x, { height: H, width: W })), xs)).toBe(-1);
    // A full turn is no turn at all (reduced to 0 on the host).
    expect(firstBitDiff(await onGpu(xs, batch, (x) => warpImages(x, { height: H, width: W, angle: 2 * Math.PI })), xs)).toBe(-1);
  });

  it('rotations by quarter and half turns and mirrors are exact pixel permutations', async () => {
    const batch = 3;
    const xs = digits(batch, 3);
    const rotate = (k: number): Float32Array => {
      // Output (col, row) reads the input at R(−θ)·(p − c) + c; for θ = k·90°, cos and sin are 0, ±1.
      const [c, s] = [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
      ][((k % 4) + 4) % 4];
      const out = new Float32Array(xs.length);
      for (let b = 0; b < batch; b++) {
        for (let row = 0; row < H; row++) {
          for (let col = 0; col < W; col++) {
            const [ox, oy] = [col - 13.5, row - 13.5];
            out[b * HW + row * W + col] = xs[b * HW + (c * oy - s * ox + 13.5) * W + (c * ox + s * oy + 13.5)];
          }
        }
      }
      return out;
    };
    for (const k of [1, 2, -1]) {
      const got = await onGpu(xs, batch, (x) => warpImages(x, { height: H, width: W, angle: (k * Math.PI) / 2 }));
      expect(firstBitDiff(got, rotate(k)), `${k}·90°`).toBe(-1);
    }
    const mirrored = await onGpu(xs, batch, (x) => warpImages(x, { height: H, width: W, flip: true, dx: 2 }));
    const want = new Float32Array(xs.length);
    for (let b = 0; b < batch; b++) shiftExampleCpu(xs, want, b, H, W, 2, 0, true);
    expect(firstBitDiff(mirrored, want)).toBe(-1);
  });

  it('random shifts: each example moves exactly by augmentParamsCpu’s (dx, dy), within ±maxShift, all 2m+1 values about equally often; flips are fair coins', async () => {
    const batch = 200;
    const xs = digits(batch, 4);
    const opts: AugmentOptions = { height: H, width: W, seed: 99, offset: 5, stream: 1, maxShift: 5, allowFlips: true };
    const got = await onGpu(xs, batch, (x) => augmentImages(x, opts));
    const want = new Float32Array(xs.length);
    for (let b = 0; b < batch; b++) {
      const p = augmentParamsCpu(opts, b);
      expect([p.angle, p.scale]).toEqual([0, 1]);
      shiftExampleCpu(xs, want, b, H, W, p.dx, p.dy, p.flip);
    }
    expect(firstBitDiff(got, want)).toBe(-1);

    // The draws themselves, on many examples (CPU only: the batch above tied them to the GPU).
    const n = 20000;
    const counts = new Float64Array(11);
    let flips = 0;
    for (let b = 0; b < n; b++) {
      const p = augmentParamsCpu(opts, b);
      for (const d of [p.dx, p.dy]) {
        expect(Number.isInteger(d) && d >= -5 && d <= 5, `example ${b}: shift ${d}`).toBe(true);
        counts[d + 5]++;
      }
      flips += p.flip ? 1 : 0;
    }
    const expected = (2 * n) / 11;
    expect(counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)).toBeLessThan(CHI2_10DOF_CRITICAL);
    expect(Math.abs(flips - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
    // Without allowFlips nothing is mirrored, whatever the bit.
    for (let b = 0; b < 100; b++) expect(augmentParamsCpu({ ...opts, allowFlips: false }, b).flip).toBe(false);
  });

  it('random rotations and scalings (with shifts and flips) equal the f64 CPU warp of augmentParamsCpu’s parameters within 1e-4', async () => {
    const batch = 64;
    const xs = digits(batch, 6);
    const opts: AugmentOptions = { height: H, width: W, seed: 2024, offset: 17, maxShift: 2, maxRotation: 0.35, scale: [0.8, 1.25], allowFlips: true };
    const got = await onGpu(xs, batch, (x) => augmentImages(x, opts));
    const params = Array.from({ length: batch }, (_, b) => augmentParamsCpu(opts, b));
    const want = warpBatchCpu(xs, batch, H, W, (b) => params[b]);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(WARP_TOL);
    // The parameters cover their ranges: angles in [−0.35, 0.35), scales in [0.8, 1.25).
    for (const p of params) {
      expect(Math.abs(p.angle)).toBeLessThanOrEqual(0.35 + 1e-7);
      expect(p.scale).toBeGreaterThanOrEqual(Math.fround(0.8));
      expect(p.scale).toBeLessThanOrEqual(Math.fround(1.25));
    }
    expect(Math.max(...params.map((p) => Math.abs(p.angle)))).toBeGreaterThan(0.25);
    // A fixed rotation by an angle that is not a quarter turn, through warpImages.
    const fixed = await onGpu(xs, batch, (x) => warpImages(x, { height: H, width: W, angle: -0.3, scale: 1.1, dx: 1.5, dy: -0.25 }));
    const wantFixed = warpBatchCpu(xs, batch, H, W, () => ({
      dx: 1.5,
      dy: -0.25,
      angle: Math.PI * Math.fround(-0.3 / Math.PI),
      scale: Math.fround(1.1),
      flip: false,
    }));
    let worstFixed = 0;
    for (let i = 0; i < wantFixed.length; i++) worstFixed = Math.max(worstFixed, Math.abs(fixed[i] - wantFixed[i]));
    expect(worstFixed).toBeLessThanOrEqual(WARP_TOL);
  });

  it('the same key gives the same batch bit for bit; another offset, seed or stream gives another', async () => {
    const batch = 32;
    const xs = digits(batch, 7);
    const opts: AugmentOptions = { height: H, width: W, seed: 11, offset: 3, maxShift: 3, maxRotation: 0.2, scale: [0.9, 1.1], noiseStd: 0.05 };
    const a = await onGpu(xs, batch, (x) => augmentImages(x, opts));
    expect(firstBitDiff(a, await onGpu(xs, batch, (x) => augmentImages(x, opts)))).toBe(-1);
    for (const other of [{ offset: 4 }, { seed: 12 }, { stream: 1 }]) {
      const b = await onGpu(xs, batch, (x) => augmentImages(x, { ...opts, ...other }));
      let same = 0;
      for (let i = 0; i < a.length; i++) same += a[i] === b[i] ? 1 : 0;
      // With noise on, equal values are coincidences (zero borders get noise too).
      expect(same, JSON.stringify(other)).toBeLessThan(a.length / 100);
      const pa = augmentParamsCpu(opts, 0);
      const pb = augmentParamsCpu({ ...opts, ...other }, 0);
      expect(pa, JSON.stringify(other)).not.toEqual(pb);
    }
  });

  it('input noise: x + σ·z with z the CPU twin’s draws (the draws of addGaussianNoise with the same key), on top of the warp', async () => {
    const batch = 16;
    const xs = digits(batch, 8);
    const key = { seed: 5, offset: 6, stream: 7 };
    const sigma = 0.2;
    const noisy = await onGpu(xs, batch, (x) => augmentImages(x, { height: H, width: W, ...key, noiseStd: sigma }));
    const viaNoiseOp = await onGpu(xs, batch, (x) => addGaussianNoise(x, { std: sigma, ...key }));
    const z = standardNormalCpu(xs.length, key);
    for (let i = 0; i < xs.length; i++) {
      const want = xs[i] + Math.fround(sigma) * z[i];
      const tol = sigma * tolZ(z[i]) + ulp(want);
      expect(Math.abs(noisy[i] - want), `element ${i}`).toBeLessThanOrEqual(tol);
      expect(Math.abs(noisy[i] - viaNoiseOp[i]), `element ${i}`).toBeLessThanOrEqual(2 * tol);
    }
    // Noise on a random warp: warp (f64 reference) + σz, within the sum of both tolerances.
    const opts: AugmentOptions = { height: H, width: W, ...key, maxShift: 1, maxRotation: 0.2, scale: [0.9, 1.1], noiseStd: sigma };
    const both = await onGpu(xs, batch, (x) => augmentImages(x, opts));
    const warped = warpBatchCpu(xs, batch, H, W, (b) => augmentParamsCpu(opts, b));
    for (let i = 0; i < xs.length; i++) {
      const want = warped[i] + sigma * z[i];
      expect(Math.abs(both[i] - want), `element ${i}`).toBeLessThanOrEqual(WARP_TOL + sigma * tolZ(z[i]) + ulp(want));
    }
  });

  it('batches past 65,535 examples (the grid spills into y) and images whose size is not a multiple of 4', async () => {
    const [h, w] = [3, 3];
    const batch = 70001;
    const xs = randomArray(batch * h * w, 9, 0, 1);
    const opts: AugmentOptions = { height: h, width: w, seed: 1, offset: 2, maxShift: 1 };
    const got = await onGpu(xs, batch, (x) => augmentImages(x, opts));
    const want = new Float32Array(xs.length);
    for (let b = 0; b < batch; b++) {
      const p = augmentParamsCpu(opts, b);
      shiftExampleCpu(xs, want, b, h, w, p.dx, p.dy);
    }
    expect(firstBitDiff(got, want)).toBe(-1);
  });

  it('an empty batch gives an empty result', async () => {
    const x = rt().empty([0, HW]);
    const y = augmentImages(x, { height: H, width: W, seed: 1, offset: 0, maxShift: 2 });
    expect(y.shape).toEqual([0, HW]);
    expect((await y.toArray()).length).toBe(0);
    x.dispose();
    y.dispose();
  });

  it('rejects bad options with errors that name the value', () => {
    const x = rt().tensor(new Float32Array(2 * HW), [2, HW]);
    const ok: AugmentOptions = { height: H, width: W, seed: 1, offset: 0 };
    const bad: [Partial<AugmentOptions>, RegExp][] = [
      [{ maxShift: -1 }, /maxShift .* got -1/],
      [{ maxShift: 1.5 }, /maxShift .* got 1.5/],
      [{ maxShift: Number.NaN }, /maxShift .* got NaN/],
      [{ maxRotation: -0.1 }, /maxRotation .* got -0.1/],
      [{ maxRotation: Number.NaN }, /maxRotation .* got NaN/],
      [{ maxRotation: 4 }, /maxRotation .* got 4/],
      [{ scale: [1.2, 0.8] }, /scale .* got \[1.2, 0.8\]/],
      [{ scale: [0, 1] }, /scale .* got \[0, 1\]/],
      [{ scale: [-1, 1] }, /scale .* got \[-1, 1\]/],
      [{ scale: [Number.NaN, 1] }, /scale .* got \[NaN, 1\]/],
      [{ scale: [1, Number.POSITIVE_INFINITY] }, /scale .* got \[1, Infinity\]/],
      [{ noiseStd: -0.5 }, /noiseStd .* got -0.5/],
      [{ noiseStd: Number.NaN }, /noiseStd .* got NaN/],
      [{ allowFlips: 1 as unknown as boolean }, /allowFlips .* got 1/],
      [{ seed: -1 }, /seed .* got -1/],
      [{ offset: 2 ** 53 }, /offset/],
      [{ height: 0 }, /height .* got 0/],
      [{ width: 2.5 }, /width .* got 2.5/],
    ];
    for (const [change, message] of bad) {
      expect(() => augmentImages(x, { ...ok, ...change }), JSON.stringify(change)).toThrow(ArgumentError);
      expect(() => augmentImages(x, { ...ok, ...change }), JSON.stringify(change)).toThrow(message);
      expect(() => augmentParamsCpu({ ...ok, ...change }, 0), JSON.stringify(change)).toThrow(message);
    }
    expect(() => augmentParamsCpu(ok, -1)).toThrow(/exampleIndex .* got -1/);
    // height·width must be the row length.
    expect(() => augmentImages(x, { ...ok, height: 27 })).toThrow(ShapeError);
    expect(() => augmentImages(x, { ...ok, height: 27 })).toThrow(/27·28 = 756.*\[2, 784\]/);
    const flat = rt().tensor(new Float32Array(HW));
    expect(() => augmentImages(flat, ok)).toThrow(ShapeError);
    expect(() => translateImages(x, { height: H, width: W, dx: Number.NaN, dy: 0 })).toThrow(/translateImages: dx .* got NaN/);
    expect(() => warpImages(x, { height: H, width: W, scale: 0 })).toThrow(/warpImages: scale .* got 0/);
    const u = rt().tensor(new Uint32Array(2 * HW), [2, HW]);
    expect(() => augmentImages(u, ok)).toThrow(/f32/);
    for (const t of [x, flat, u]) t.dispose();
  });
});
