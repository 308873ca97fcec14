/**
 * Fused dropout (shaders/dropout.wgsl, engine/ops/dropout.ts).
 *
 * Oracles:
 * - exact: the CPU twin `dropoutMaskCpu` (Philox4x32-R in TypeScript, R = PHILOX_ROUNDS, itself
 *   checked against Random123's known answers in tests/random/philox.test.ts) gives the mask bit
 *   for bit; kept values are x·fround(1/p), one correctly rounded f32 product, so they must match exactly too;
 * - statistics, on masks of n = 2²⁰ elements: the kept fraction lies within 4σ of p,
 *   σ = √(p(1−p)/n) (a false alarm has probability 6·10⁻⁵, and the keys are fixed, so a pass is
 *   reproducible); pairs of masks (adjacent elements, which include the two 16-bit halves of one
 *   Philox word, adjacent counters, adjacent offsets, seeds, streams) have a
 *   Pearson correlation |r| < 4/√n (r ~ N(0, 1/n) under independence), and their 2×2 table of
 *   joint counts fits the independent-Bernoulli(p) expectation with χ² < 21.11, the 1 − 10⁻⁴
 *   quantile of χ² with 3 degrees of freedom (4 cells, all probabilities known, nothing fitted).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../engine/runtime/errors';
import {
  dropoutBackward,
  dropoutForward,
  dropoutMaskCpu,
  dropoutUniforms,
  keepThreshold,
  type DropoutForwardOptions,
  type DropoutKey,
} from '../../engine/ops/dropout';
import { PHILOX_ROUNDS } from '../../engine/random/philox';
import { randomArray, useRuntime, firstBitDiff } from '../helpers/gpu';

const N_STAT = 1 << 20;
const CHI2_3DOF_CRITICAL = 21.108;

/** Expected y on the CPU: x·fround(1/p) (one f32 product) where kept, 0 where dropped. */
function expectedY(x: Float32Array, mask: Float32Array, keepProb: number, scale: 'inverted' | 'none'): Float32Array {
  const s = scale === 'inverted' ? Math.fround(1 / keepProb) : 1;
  return Float32Array.from(x, (v, i) => (mask[i] ? Math.fround(v * s) : 0));
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

/** Pearson correlation of two 0/1 sequences. */
function pearson(a: Float32Array, b: Float32Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** χ² of the 2×2 table of (a[i], b[i]) against independent Bernoulli(p) pairs. */
function chiSquare(a: Float32Array, b: Float32Array, p: number): number {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < a.length; i++) counts[2 * a[i] + b[i]]++;
  const probs = [(1 - p) * (1 - p), (1 - p) * p, p * (1 - p), p * p];
  return counts.reduce((s, c, k) => s + (c - a.length * probs[k]) ** 2 / (a.length * probs[k]), 0);
}

/**
 * A test kernel over the shared mask contract of shaders/philox.wgsl (what fused epilogues call):
 * element i's decision by dropout_keep_at, and by dropout_words8 + dropout_keep_in, as 0/1 words.
 */
const CONTRACT_KERNEL = /* wgsl */ `
struct Params { n: u32, threshold: u32, seed_lo: u32, seed_hi: u32, stream: u32, offset_lo: u32, offset_hi: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> at: array<u32>;
@group(0) @binding(2) var<storage, read_write> grouped: array<u32>;

@compute @workgroup_size(64)
fn keep(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let seed = vec2<u32>(params.seed_lo, params.seed_hi);
  let ctr = vec3<u32>(params.stream, params.offset_lo, params.offset_hi);
  at[i] = select(0u, 1u, dropout_keep_at(i, seed, ctr, params.threshold));
  grouped[i] = select(0u, 1u, dropout_keep_in(dropout_words8(i / 8u, seed, ctr), i % 8u, params.threshold));
}
`;

describe('dropout', () => {
  const rt = useRuntime();

  /** The GPU mask of n elements for a key, via returnMask. */
  async function gpuMask(n: number, key: DropoutKey): Promise<Float32Array> {
    const x = rt().empty([n]);
    const { y, mask } = dropoutForward(x, { ...key, returnMask: true });
    const m = await mask!.toArray();
    x.dispose();
    y.dispose();
    mask!.dispose();
    return m;
  }

  it('y and the mask equal the CPU twin exactly, on the vec4 path (n % 4 = 0) and the scalar path', async () => {
    // Multiples of 4 take dropout4 (16 elements per invocation: 4100, 4104 and 12 end inside an
    // invocation's second Philox call or its first); the others the scalar entry (8 per invocation).
    for (const n of [4096, 4100, 4104, 4, 12, 20, 4099, 1, 6, 13]) {
      for (const keepProb of [0.3, 0.5, 0.9, 1]) {
        const key = { keepProb, seed: 20240601, offset: 7 };
        const xs = randomArray(n, n + 1, -4, 4);
        const x = rt().tensor(xs);
        const { y, mask } = dropoutForward(x, { ...key, scale: 'inverted', returnMask: true });
        const want = dropoutMaskCpu(n, key);
        const m = await mask!.toArray();
        expect(firstBitDiff(m, want), `mask n=${n} p=${keepProb}`).toBe(-1);
        expect(firstBitDiff(await y.toArray(), expectedY(xs, want, keepProb, 'inverted')), `y n=${n} p=${keepProb}`).toBe(-1);
        x.dispose();
        y.dispose();
        mask!.dispose();
      }
    }
  });

  it('the shared mask contract (dropout_keep_at, dropout_words8 + dropout_keep_in) draws the kernel’s mask and the CPU twin’s', async () => {
    const kernel = await rt().loadKernel('tests/ops/dropout.test.ts (contract kernel)', CONTRACT_KERNEL, ['philox']);
    const n = 4100;
    for (const key of [
      { keepProb: 0.5, seed: 20240601, offset: 7 },
      { keepProb: 0.3, seed: 2 ** 40 + 5, offset: 2 ** 35 + 9, stream: 3 },
    ] satisfies DropoutKey[]) {
      const at = rt().empty([n], 'u32');
      const grouped = rt().empty([n], 'u32');
      const uniforms = {
        n,
        threshold: keepThreshold(key.keepProb),
        seed_lo: key.seed >>> 0,
        seed_hi: Math.floor(key.seed / 2 ** 32),
        stream: key.stream ?? 0,
        offset_lo: key.offset >>> 0,
        offset_hi: Math.floor(key.offset / 2 ** 32),
      };
      // The override every host dispatch passes (a fused kernel must pass it too).
      rt().dispatch({ shader: kernel, entry: 'keep', overrides: { PHILOX_ROUNDS }, uniforms, bindings: { at, grouped }, workgroups: [Math.ceil(n / 64)] });
      const cpu = dropoutMaskCpu(n, key);
      const kernelMask = await gpuMask(n, key);
      const gotAt = Float32Array.from((await at.toArray()) as Uint32Array);
      const gotGrouped = Float32Array.from((await grouped.toArray()) as Uint32Array);
      expect(firstBitDiff(gotAt, cpu), `dropout_keep_at vs CPU ${JSON.stringify(key)}`).toBe(-1);
      expect(firstBitDiff(gotGrouped, cpu), `dropout_words8 + dropout_keep_in vs CPU ${JSON.stringify(key)}`).toBe(-1);
      expect(firstBitDiff(kernelMask, cpu), `standalone kernel vs CPU ${JSON.stringify(key)}`).toBe(-1);
      at.dispose();
      grouped.dispose();
    }
  });

  it('the kernel (both entry points, rounds 1 and 2 folded) equals the CPU twin at other round counts too', async () => {
    const key = { keepProb: 0.4, seed: 2 ** 33 + 77, offset: 2 ** 41 + 3, stream: 5, scale: 'inverted' as const };
    // Round counts 1 and 2 take the folded path's own branches, 10 the general one; n = 4100 the
    // vec4 entry point, 4099 the scalar one (pipeline compiles dominate this test's time).
    for (const [rounds, sizes] of [
      [1, [4100]],
      [2, [4100]],
      [10, [4100, 4099]],
    ] as const) {
      for (const n of sizes) {
        const vec = n % 4 === 0;
        const x = rt().tensor(randomArray(n, 3));
        const y = rt().empty([n]);
        const mask = rt().empty([n]);
        rt().dispatch({
          shader: 'dropout',
          entry: vec ? 'dropout4_mask' : 'dropout_mask',
          overrides: { WG: 64, PHILOX_ROUNDS: rounds },
          uniforms: dropoutUniforms(n, key),
          bindings: vec ? { x4: x, y4: y, mask4: mask } : { x, y, mask },
          workgroups: [Math.ceil(n / (vec ? 16 : 8) / 64)],
        });
        expect(firstBitDiff(await mask.toArray(), dropoutMaskCpu(n, key, rounds)), `${rounds} rounds, n=${n}`).toBe(-1);
        for (const t of [x, y, mask]) t.dispose();
      }
    }
    expect(firstBitDiff(dropoutMaskCpu(4096, key, 10), dropoutMaskCpu(4096, key)), 'the round count changes the mask').not.toBe(-1);
  });

  it("scale 'none' keeps the values unchanged (y = x ⊙ m) and drops the same elements", async () => {
    const n = 8192;
    const key = { keepProb: 0.8, seed: 3, offset: 11 };
    const xs = randomArray(n, 9);
    const x = rt().tensor(xs);
    const none = dropoutForward(x, { ...key, scale: 'none' }).y;
    const inv = dropoutForward(x, { ...key, scale: 'inverted' }).y;
    const want = dropoutMaskCpu(n, key);
    const got = await none.toArray();
    expect(firstBitDiff(got, expectedY(xs, want, 0.8, 'none'))).toBe(-1);
    const gotInv = await inv.toArray();
    for (let i = 0; i < n; i++) expect(gotInv[i] === 0, `element ${i}`).toBe(got[i] === 0);
    for (const t of [x, none, inv]) t.dispose();
  });

  it('backward regenerates the forward mask: dx = dy ⊙ m / p with m identical to the forward pass', async () => {
    for (const n of [1 << 16, 1001]) {
      const opts = { keepProb: 0.6, seed: 99, offset: 123456, stream: 2, scale: 'inverted' as const };
      const x = rt().tensor(randomArray(n, 1));
      const dyHost = randomArray(n, 2);
      const dy = rt().tensor(dyHost);
      const { y, mask } = dropoutForward(x, { ...opts, returnMask: true });
      const dx = dropoutBackward(dy, opts);
      const m = await mask!.toArray();
      expect(firstBitDiff(await dx.toArray(), expectedY(dyHost, m, 0.6, 'inverted'))).toBe(-1);
      expect(firstBitDiff(m, dropoutMaskCpu(n, opts))).toBe(-1);
      for (const t of [x, dy, y, mask!, dx]) t.dispose();
    }
  });

  it('the same key gives bit-identical masks across runs; the vec4 and scalar paths agree', async () => {
    const key = { keepProb: 0.5, seed: 5, offset: 1 };
    const a = await gpuMask(40000, key);
    const b = await gpuMask(40000, key);
    expect(firstBitDiff(a, b)).toBe(-1);
    // 40003 takes the scalar entry point; its first 40000 elements are the vec4 run's.
    const c = await gpuMask(40003, key);
    expect(firstBitDiff(c.subarray(0, 40000), a)).toBe(-1);
  });

  it('every word of the key matters: seed (both halves), offset (both halves) and stream', async () => {
    const n = 4096;
    const base = { keepProb: 0.5, seed: 77, offset: 5, stream: 0 };
    const variants: DropoutKey[] = [
      { ...base, seed: 78 },
      { ...base, seed: 77 + 2 ** 32 },
      { ...base, offset: 6 },
      { ...base, offset: 5 + 2 ** 40 },
      { ...base, stream: 1 },
    ];
    const ref = await gpuMask(n, base);
    for (const v of variants) {
      const m = await gpuMask(n, v);
      expect(firstBitDiff(m, dropoutMaskCpu(n, v)), JSON.stringify(v)).toBe(-1);
      let same = 0;
      for (let i = 0; i < n; i++) same += m[i] === ref[i] ? 1 : 0;
      // Unrelated masks agree on half the elements; 4σ = 4·√(n/4) = 128.
      expect(Math.abs(same - n / 2), JSON.stringify(v)).toBeLessThan(128);
    }
  });

  it('the kept fraction over 2^20 elements is within 4σ of p for p = 0.1, 0.5, 0.8', async () => {
    for (const keepProb of [0.1, 0.5, 0.8]) {
      const m = await gpuMask(N_STAT, { keepProb, seed: 2026, offset: 0 });
      const sigma = Math.sqrt((keepProb * (1 - keepProb)) / N_STAT);
      expect(Math.abs(mean(m) - keepProb), `p=${keepProb}`).toBeLessThan(4 * sigma);
    }
  });

  it('adjacent elements (the two halves of one word included), adjacent counters and offsets, different seeds and streams give uncorrelated masks (Pearson and χ²)', async () => {
    const bound = 4 / Math.sqrt(N_STAT);
    for (const keepProb of [0.5, 0.1]) {
      const key = { keepProb, seed: 31337, offset: 1000, stream: 0 };
      // Adjacent elements as disjoint pairs, so the N_STAT pairs are independent of each other under
      // the null: (2k, 2k+1) are the low and high 16-bit halves of one Philox word; (2k+1, 2k+2) are
      // the high half of one word and the low half of the next word of the same call (or, at
      // k ≡ 3 mod 4, of the next counter's first word). (16m + j, 16m + 8 + j), j < 8, are the same
      // half of the same word of adjacent counters 2m and 2m + 1.
      const long = await gpuMask(2 * N_STAT + 8, key);
      const stride2 = (from: number): Float32Array => Float32Array.from({ length: N_STAT }, (_, k) => long[from + 2 * k]);
      const [even, odd, evenNext] = [stride2(0), stride2(1), stride2(2)];
      const counterPair = (second: 0 | 8): Float32Array => Float32Array.from({ length: N_STAT }, (_, k) => long[16 * (k >> 3) + (k & 7) + second]);
      const first = long.subarray(0, N_STAT);
      const pairs: [string, Float32Array, Float32Array][] = [
        ['halves of one word (2k, 2k+1)', even, odd],
        ['adjacent elements (2k+1, 2k+2)', odd, evenNext],
        ['adjacent counters (16m+j, 16m+8+j)', counterPair(0), counterPair(8)],
        ['adjacent offsets', first, await gpuMask(N_STAT, { ...key, offset: 1001 })],
        ['seeds s and s+1', first, await gpuMask(N_STAT, { ...key, seed: 31338 })],
        ['streams 0 and 1', first, await gpuMask(N_STAT, { ...key, stream: 1 })],
      ];
      // The exact keep probability of the threshold (within 2^-17 of p).
      const pEff = keepThreshold(keepProb) / 2 ** 16;
      for (const [what, a, b] of pairs) {
        expect(Math.abs(pearson(a, b)), `${what}, p=${keepProb}: |r|`).toBeLessThan(bound);
        expect(chiSquare(a, b, pEff), `${what}, p=${keepProb}: χ²`).toBeLessThan(CHI2_3DOF_CRITICAL);
      }
    }
  });

  it('the keep probability is exact to 2^-17: P(keep) = threshold/2^16', () => {
    expect(keepThreshold(1)).toBe(2 ** 16);
    expect(keepThreshold(0.5)).toBe(2 ** 15);
    const ps = [1e-9, 1e-5, 2 ** -17, 0.1, 0.2, 1 / 3, 0.5, 0.7, 0.8, 0.9, 0.99, 1 - 2 ** -17, 1 - 2 ** -20, 1];
    for (const p of ps) expect(Math.abs(keepThreshold(p) / 2 ** 16 - p), `p=${p}`).toBeLessThanOrEqual(2 ** -17);
    // Below half a step the nearest probability is 0: every unit is dropped.
    expect(keepThreshold(2 ** -18)).toBe(0);
  });

  it('stores no mask unless asked: one output tensor by default, two with returnMask', async () => {
    const x = rt().tensor(randomArray(1024, 4));
    const before = rt().memoryStats().liveTensors;
    const plain = dropoutForward(x, { keepProb: 0.5, seed: 1, offset: 0 });
    expect(plain.mask).toBeUndefined();
    expect(rt().memoryStats().liveTensors - before).toBe(1);
    const withMask = dropoutForward(x, { keepProb: 0.5, seed: 1, offset: 0, returnMask: true });
    expect(rt().memoryStats().liveTensors - before).toBe(3);
    // Both runs apply the same mask.
    expect(firstBitDiff(await plain.y.toArray(), await withMask.y.toArray())).toBe(-1);
    for (const t of [x, plain.y, withMask.y, withMask.mask!]) t.dispose();
  });

  it('an empty tensor gives an empty result', async () => {
    const x = rt().empty([0, 3]);
    const { y } = dropoutForward(x, { keepProb: 0.5, seed: 1, offset: 0 });
    expect(y.shape).toEqual([0, 3]);
    expect((await y.toArray()).length).toBe(0);
    x.dispose();
    y.dispose();
  });

  it('rejects keepProb outside (0, 1], bad seeds, offsets, streams and scales, and non-f32 input', () => {
    const x = rt().tensor(randomArray(8, 5));
    const ok: DropoutForwardOptions = { keepProb: 0.5, seed: 1, offset: 0 };
    for (const keepProb of [0, -0.1, 1.0000001, 2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => dropoutForward(x, { ...ok, keepProb }), `keepProb ${keepProb}`).toThrow(ArgumentError);
      expect(() => dropoutBackward(x, { ...ok, keepProb }), `keepProb ${keepProb}`).toThrow(/keepProb/);
      expect(() => dropoutMaskCpu(8, { ...ok, keepProb }), `keepProb ${keepProb}`).toThrow(ArgumentError);
    }
    for (const seed of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => dropoutForward(x, { ...ok, seed }), `seed ${seed}`).toThrow(/seed/);
    for (const offset of [-1, 0.5, 2 ** 53]) expect(() => dropoutForward(x, { ...ok, offset }), `offset ${offset}`).toThrow(/offset/);
    expect(() => dropoutForward(x, { ...ok, stream: 2 ** 32 })).toThrow(/stream/);
    expect(() => dropoutForward(x, { ...ok, scale: 'half' as unknown as 'none' })).toThrow(/scale/);
    for (const rounds of [0, 17, 2.5]) expect(() => dropoutMaskCpu(8, ok, rounds), `rounds ${rounds}`).toThrow(/round count/);
    const u = rt().tensor(new Uint32Array(8));
    expect(() => dropoutForward(u, ok)).toThrow(/f32/);
    x.dispose();
    u.dispose();
  });
});
