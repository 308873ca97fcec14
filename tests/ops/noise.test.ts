/**
 * Gaussian noise (shaders/noise.wgsl, engine/ops/noise.ts): addGaussianNoise, the autodiff op
 * gaussianNoise, and weight noise over a parameter arena (perturbArena).
 *
 * Oracles and tolerances:
 * - the CPU twin `standardNormalCpu` (Box–Muller in f64 on the very Philox words and uniforms the
 *   shader uses): a GPU draw z may differ from the twin's z* by at most
 *   TOL(z*) = 6·2⁻²² + 4·2⁻²²·|z*|: sincos_pi is within 2⁻²² of cos and sin
 *   (tests/random/normal.test.ts), times a radius below 6, plus the radius's relative error (ln
 *   within 2⁻²¹ relative gives 2⁻²² in the square root, and the root and product add an ulp each:
 *   under 4·2⁻²² in all). Measured: 4·2⁻²⁴·max(1, |z|) on both adapters. x + σz adds one f32
 *   rounding (or none where the adapter fuses it), so results get σ·TOL + ulp(result);
 * - statistics on N = 2²² draws: the raw sample moments m_k = Σ zᵏ / N within 4 standard errors
 *   of the normal's (0, 1, 0, 3), SE = √(Var zᵏ / N) with Var z = 1, Var z² = 2, Var z³ = 15 and
 *   Var z⁴ = 96 (E z⁶ = 15, E z⁸ = 105); a χ² test of
 *   the counts in 64 bins of equal normal probability against N/64 each, below 113.50, the
 *   1 − 10⁻⁴ quantile of χ² with 63 degrees of freedom. Each test has a false-alarm probability
 *   near 6·10⁻⁵, and the keys are fixed, so a pass is reproducible. The 24-bit uniforms change
 *   the bin probabilities by ~10⁻⁷, invisible at these N;
 * - independence: Pearson correlations of disjoint pairs (the two draws of one Box–Muller pair,
 *   draws of the two pairs of one Philox call, draws of adjacent counters, and of keys differing
 *   in offset, seed or stream), also of their squares (which catches a shared radius), each
 *   |r| < 4/√pairs (r ~ N(0, 1/pairs) under independence);
 * - perturb/unperturb: w'' = fl(fl(w + e) − e) is not w bit for bit; each of the two roundings is
 *   at most half an ulp of its result, so we assert |w'' − w| ≤ ½ulp(w') + ½ulp(w''), per element;
 *   parameters with σ = 0 and every padding lane must be bit-identical.
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../engine/autograd/index';
import { addGaussianNoise, perturbArena } from '../../engine/ops/noise';
import { ParamArena } from '../../engine/optim/arena';
import { standardNormalCpu } from '../../engine/random/normal';
import { ArgumentError, ShapeError } from '../../engine/runtime/errors';
import { randomArray, useRuntime, firstBitDiff } from '../helpers/gpu';

const N_STAT = 1 << 22;
const CHI2_63DOF_CRITICAL = 113.5;

/** The tolerance of one GPU normal draw against the twin's (see the header). */
const tolZ = (z: number): number => 6 * 2 ** -22 + 4 * 2 ** -22 * Math.abs(z);

/** The spacing of f32 values at |v| (an ulp; the smallest normal's for tiny values). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Φ(z), the standard normal CDF, from the Taylor series of erf (alternating terms; at |z| ≤ 4.3 the
 * largest term is below 10³, so the sum keeps ~13 digits). Only used for |z| < 4.3: the bin edges.
 */
function normalCdf(z: number): number {
  const x = z / Math.SQRT2;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-18 * Math.abs(sum) || n < 5; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 + sum / Math.sqrt(Math.PI);
}

/** The 63 inner edges of 64 bins of equal standard normal probability, by bisection on Φ. */
function equiprobableEdges(bins: number): Float64Array {
  return Float64Array.from({ length: bins - 1 }, (_, k) => {
    const p = (k + 1) / bins;
    let lo = -4.3;
    let hi = 4.3;
    for (let it = 0; it < 100; it++) {
      const mid = 0.5 * (lo + hi);
      if (normalCdf(mid) < p) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  });
}

/** The bin of v among sorted edges (binary search). */
function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

describe('gaussian noise', () => {
  const rt = useRuntime();

  /** n standard normal draws from the GPU (x = 0, σ = 1, so y = z exactly). */
  async function gpuNormals(n: number, key: { seed: number; offset: number; stream?: number }): Promise<Float32Array> {
    const x = rt().tensor(new Float32Array(n));
    const y = addGaussianNoise(x, { std: 1, ...key });
    const z = await y.toArray();
    x.dispose();
    y.dispose();
    return z;
  }

  it('y = x + σz equals x + σ·(the CPU twin) within σ·TOL(z) + 1 ulp, for lengths on and off multiples of 4', async () => {
    for (const n of [1 << 16, 4099, 5, 1]) {
      const key = { seed: 2 ** 35 + 99, offset: 2 ** 40 + 3, stream: 7 };
      const std = 0.37;
      const xs = randomArray(n, n, -3, 3);
      const x = rt().tensor(xs);
      const y = await addGaussianNoise(x, { std, ...key }).toArray();
      const z = standardNormalCpu(n, key);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = xs[i] + std * z[i];
        worst = Math.max(worst, Math.abs(y[i] - want) / (std * tolZ(z[i]) + ulp(want)));
      }
      expect(worst, `n=${n}: worst error / tolerance`).toBeLessThanOrEqual(1);
      x.dispose();
    }
  });

  it('the same key gives the same draws bit for bit; other offsets, seeds and streams give others', async () => {
    const n = 40000;
    const key = { seed: 5, offset: 1, stream: 0 };
    const a = await gpuNormals(n, key);
    expect(firstBitDiff(a, await gpuNormals(n, key))).toBe(-1);
    // A shorter run is a prefix of a longer one (element i is keyed by i alone).
    expect(firstBitDiff((await gpuNormals(n + 3, key)).subarray(0, n), a)).toBe(-1);
    for (const other of [
      { ...key, offset: 2 },
      { ...key, offset: 1 + 2 ** 32 },
      { ...key, seed: 6 },
      { ...key, seed: 5 + 2 ** 32 },
      { ...key, stream: 1 },
    ]) {
      const b = await gpuNormals(n, other);
      let same = 0;
      for (let i = 0; i < n; i++) same += a[i] === b[i] ? 1 : 0;
      // Two independent draws coincide with probability ~2⁻²⁰ (24-bit uniforms): a handful at most.
      expect(same, JSON.stringify(other)).toBeLessThan(5);
      expect(Math.abs(pearson(a, b)), JSON.stringify(other)).toBeLessThan(4 / Math.sqrt(n));
    }
  });

  it('2^22 draws: the first four moments and the variance within 4 standard errors; χ² over 64 equiprobable bins; |z| ≤ 5.77', async () => {
    const z = await gpuNormals(N_STAT, { seed: 2026, offset: 0 });
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let maxAbs = 0;
    const bins = new Float64Array(64);
    const edges = equiprobableEdges(64);
    for (const v of z) {
      s1 += v;
      s2 += v * v;
      s3 += v * v * v;
      s4 += v * v * v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
      bins[binOf(edges, v)]++;
    }
    const n = N_STAT;
    const mean = s1 / n;
    const variance = s2 / n - mean * mean;
    expect(Math.abs(mean), 'mean').toBeLessThan(4 * Math.sqrt(1 / n));
    expect(Math.abs(s2 / n - 1), 'second moment (the variance about the known mean 0)').toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(s3 / n), 'third moment').toBeLessThan(4 * Math.sqrt(15 / n));
    expect(Math.abs(s4 / n - 3), 'fourth moment').toBeLessThan(4 * Math.sqrt(96 / n));
    // The sample variance about the sample mean differs from m₂ by mean² (< 16/N here).
    expect(Math.abs(variance - 1), 'variance').toBeLessThan(4 * Math.sqrt(2 / n) + 16 / n);
    const expected = n / 64;
    const chi2 = bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2, 'χ² with 63 degrees of freedom').toBeLessThan(CHI2_63DOF_CRITICAL);
    expect(maxAbs).toBeLessThanOrEqual(Math.fround(Math.sqrt(48 * Math.LN2)) + tolZ(5.77));
    // Known values of the Φ the bin edges come from: Φ(1.959963984540054) = 0.975, Φ(0) = ½,
    // and the edge of the first 1/64 is the normal quantile −2.153874694061456.
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-12);
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(edges[0] + 2.153874694061456)).toBeLessThan(1e-9);
  });

  it('neighbouring draws are uncorrelated: within a Box–Muller pair, across the pairs of one call, across counters (also their squares)', async () => {
    const pairs = N_STAT / 4;
    const z = await gpuNormals(N_STAT + 4, { seed: 31337, offset: 1000, stream: 2 });
    const take = (j: number): Float64Array => Float64Array.from({ length: pairs }, (_, k) => z[4 * k + j]);
    const [z0, z1, z2, z3, z4] = [take(0), take(1), take(2), take(3), take(4)];
    const sq = (a: Float64Array): Float64Array => a.map((v) => v * v);
    const bound = 4 / Math.sqrt(pairs);
    const cases: [string, Float64Array, Float64Array][] = [
      ['cos and sin of one pair (4k, 4k+1)', z0, z1],
      ['the two pairs of one call (4k+1, 4k+2)', z1, z2],
      ['adjacent counters (4k+3, 4k+4)', z3, z4],
      ['squares within one pair (shared radius)', sq(z0), sq(z1)],
      ['squares across pairs', sq(z1), sq(z2)],
    ];
    for (const [what, a, b] of cases) expect(Math.abs(pearson(a, b)), what).toBeLessThan(bound);
  });

  it('std = 0 returns x bit for bit; an empty tensor gives an empty result; bad options throw naming the value', async () => {
    const xs = randomArray(1001, 3);
    const x = rt().tensor(xs);
    const y = addGaussianNoise(x, { std: 0, seed: 1, offset: 0 });
    // x + 0·z = x for every nonzero finite x (a −0 could come back as +0, so the data has none).
    expect(firstBitDiff(await y.toArray(), xs)).toBe(-1);
    const e = rt().empty([0, 4]);
    const ye = addGaussianNoise(e, { std: 1, seed: 1, offset: 0 });
    expect(ye.shape).toEqual([0, 4]);
    for (const std of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => addGaussianNoise(x, { std, seed: 1, offset: 0 }), `std ${std}`).toThrow(new RegExp(`std must be .* got ${std}`));
    expect(() => addGaussianNoise(x, { std: 1, seed: -1, offset: 0 })).toThrow(/seed .* got -1/);
    expect(() => addGaussianNoise(x, { std: 1, seed: 1, offset: 0.5 })).toThrow(/offset .* got 0.5/);
    expect(() => addGaussianNoise(x, { std: 1, seed: 1, offset: 0, stream: 2 ** 32 })).toThrow(ArgumentError);
    const u = rt().tensor(new Uint32Array(4));
    expect(() => addGaussianNoise(u, { std: 1, seed: 1, offset: 0 })).toThrow(/f32/);
    for (const t of [x, y, e, ye, u]) t.dispose();
  });

  it('autodiff gaussianNoise: forward is addGaussianNoise bit for bit, and the gradient passes through unchanged', async () => {
    const xs = randomArray(257, 11);
    const cs = randomArray(257, 12);
    const opts = { std: 0.5, seed: 77, stream: 3, offset: 12 };
    const x = F.variable(rt().tensor(xs));
    const c = rt().tensor(cs);
    const y = F.gaussianNoise(x, opts);
    const direct = addGaussianNoise(x.data, opts);
    expect(firstBitDiff((await y.data.toArray()) as Float32Array, await direct.toArray())).toBe(-1);
    // L = Σ c ⊙ (x + σz): dL/dx = c exactly (the identity backward hands c on; mul's rule gives c·1).
    const loss = F.sum(F.mul(y, c));
    F.backward(loss);
    expect(firstBitDiff(await x.grad!.toArray(), cs)).toBe(-1);
    for (const v of [loss, x]) v.dispose();
    c.dispose();
    direct.dispose();
  });

  describe('perturbArena', () => {
    const specs = [
      { name: 'fc1.weight', shape: [30, 20], role: 'weight' as const, layer: 0 },
      { name: 'fc1.bias', shape: [20], role: 'bias' as const, layer: 0 },
      { name: 'fc2.weight', shape: [20, 3], role: 'weight' as const, layer: 1 },
      { name: 'fc2.bias', shape: [3], role: 'bias' as const, layer: 1 },
    ];
    const stds = [0.1, 0, 0.05, 0];

    /** An arena with random values (and a −0 in a bias), its padding at zero. */
    function makeArena(): ParamArena {
      const arena = ParamArena.create(rt(), specs);
      arena.params.forEach((p, k) => {
        const v = randomArray(p.size, 100 + k, -2, 2);
        if (p.role === 'bias') v[0] = -0;
        arena.setValues(p.name, v);
      });
      return arena;
    }

    it('adds σ_p·z_i (z_i keyed by the arena index, the CPU twin within σ·TOL + 1 ulp) where σ_p > 0; σ = 0 parameters and padding stay bit-identical; one dispatch', async () => {
      const arena = makeArena();
      const chunks = arena.chunkTable(stds);
      const before = await arena.values.toArray();
      const key = { seed: 424242, offset: 9, stream: 5 };
      const dispatches = rt().workStats().dispatches;
      perturbArena(arena, chunks, { ...key, sign: 1 });
      expect(rt().workStats().dispatches - dispatches).toBe(1);
      const after = await arena.values.toArray();
      const z = standardNormalCpu(arena.length, key);
      const owner = new Int32Array(arena.length).fill(-1);
      for (const p of arena.params) owner.fill(p.index, p.offset, p.offset + p.size);
      let worst = 0;
      let moved = 0;
      for (let i = 0; i < arena.length; i++) {
        const sigma = owner[i] >= 0 ? stds[owner[i]] : 0;
        if (sigma === 0) {
          expect(new Uint32Array(after.buffer)[i], `bits of element ${i} (σ = 0 or padding)`).toBe(new Uint32Array(before.buffer)[i]);
          continue;
        }
        const want = before[i] + Math.fround(sigma) * z[i];
        worst = Math.max(worst, Math.abs(after[i] - want) / (sigma * tolZ(z[i]) + ulp(want)));
        moved += after[i] !== before[i] ? 1 : 0;
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(moved).toBeGreaterThan(600 + 60 - 5);
      chunks.dispose();
      arena.dispose();
    });

    it('sign −1 with the same key takes the noise away: |w″ − w| ≤ ½ulp(w′) + ½ulp(w″); σ = 0 and padding bit-identical throughout', async () => {
      const arena = makeArena();
      const chunks = arena.chunkTable(stds);
      const w = await arena.values.toArray();
      const key = { seed: 7, offset: 2 ** 33 + 1 };
      perturbArena(arena, chunks, { ...key, sign: 1 });
      const w1 = await arena.values.toArray();
      const dispatches = rt().workStats().dispatches;
      perturbArena(arena, chunks, { ...key, sign: -1 });
      expect(rt().workStats().dispatches - dispatches).toBe(1);
      const w2 = await arena.values.toArray();
      const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer);
      let exact = 0;
      let live = 0;
      for (let i = 0; i < arena.length; i++) {
        const p = arena.params.find((q) => i >= q.offset && i < q.offset + q.size);
        if (!p || stds[p.index] === 0) {
          expect(bits(w2)[i], `element ${i} (σ = 0 or padding)`).toBe(bits(w)[i]);
          continue;
        }
        live++;
        expect(Math.abs(w2[i] - w[i]), `element ${i}`).toBeLessThanOrEqual(0.5 * ulp(w1[i]) + 0.5 * ulp(w2[i]));
        exact += w2[i] === w[i] ? 1 : 0;
      }
      // Most elements come back exactly (whenever w + e happened to be exact); not all need to.
      expect(exact).toBeGreaterThan(live / 4);
      // A different key does not take the noise away.
      perturbArena(arena, chunks, { ...key, sign: 1 });
      perturbArena(arena, chunks, { ...key, offset: key.offset + 1, sign: -1 });
      const w3 = await arena.values.toArray();
      let far = 0;
      for (let i = 0; i < 600; i++) far += Math.abs(w3[i] - w[i]) > 1e-3 ? 1 : 0;
      expect(far).toBeGreaterThan(500);
      chunks.dispose();
      arena.dispose();
    });

    it('keep: the same arena as without it, bit for bit, the values before the noise in keep (padding included), one dispatch; a copy back restores them exactly', async () => {
      const plain = makeArena();
      const arena = makeArena();
      const chunks = arena.chunkTable(stds);
      const keep = rt().empty([arena.length]);
      const before = await arena.values.toArray();
      const key = { seed: 31337, offset: 2 ** 40 + 3, stream: 2 };
      perturbArena(plain, chunks, { ...key, sign: 1 });
      const dispatches = rt().workStats().dispatches;
      perturbArena(arena, chunks, { ...key, sign: 1, keep });
      expect(rt().workStats().dispatches - dispatches).toBe(1);
      const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer);
      const after = await arena.values.toArray();
      const want = await plain.values.toArray();
      expect(bits(after)).toEqual(bits(want));
      expect(bits(await keep.toArray())).toEqual(bits(before));
      let moved = 0;
      for (let i = 0; i < arena.length; i++) moved += after[i] !== before[i] ? 1 : 0;
      expect(moved).toBeGreaterThan(600 + 60 - 5);
      rt().copy(keep, arena.values);
      expect(bits(await arena.values.toArray())).toEqual(bits(before));
      const short = rt().empty([arena.length - 4]);
      expect(() => perturbArena(arena, chunks, { ...key, sign: 1, keep: short })).toThrow(/keep must be f32 with the arena's/);
      short.dispose();
      keep.dispose();
      chunks.dispose();
      plain.dispose();
      arena.dispose();
    });

    it('rejects a sign other than ±1, a table that is not the arena’s, and a bad key', () => {
      const arena = makeArena();
      const chunks = arena.chunkTable(stds);
      const oneParam = arena.chunkTable(stds, arena.param('fc1.weight'));
      for (const sign of [0, 2, -0.5, Number.NaN])
        expect(() => perturbArena(arena, chunks, { seed: 1, offset: 0, sign: sign as 1 }), `sign ${sign}`).toThrow(new RegExp(`sign .* got ${sign}`));
      expect(() => perturbArena(arena, oneParam, { seed: 1, offset: 0, sign: 1 })).toThrow(ShapeError);
      expect(() => perturbArena(arena, arena.values, { seed: 1, offset: 0, sign: 1 })).toThrow(/u32/);
      expect(() => perturbArena(arena, chunks, { seed: 2 ** 53, offset: 0, sign: 1 })).toThrow(/seed/);
      chunks.dispose();
      oneParam.dispose();
      arena.dispose();
    });
  });
});
