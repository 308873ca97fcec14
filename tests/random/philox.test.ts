/**
 * Philox4x32-10 and Philox4x32-R (R rounds, the dropout masks'): the TypeScript twin
 * (engine/random/philox.ts) and the WGSL library (shaders/philox.wgsl).
 *
 * Oracles, all exact (integers, so equality is the only tolerance):
 * - Random123's published known-answer vectors for philox4x32 with 10 and with 7 rounds
 *   (kat_vectors in the Random123 distribution; the same ones are quoted by other ports' tests);
 * - a second, independent CPU implementation below that multiplies with BigInt, so the 16-bit
 *   split of the 32×32→64 product (and its two carry tests) is checked against plain 64-bit
 *   arithmetic, on edge words chosen to make each carry happen and not happen;
 * - on the GPU, the twin itself, word for word, on thousands of counters and keys: edge words
 *   (0, 1, 2¹⁶ ± 1, 2³¹, 2³² − 1), random ones, and sequential counters as the dropout kernel uses
 *   them; for philox4x32_r, for every round count the PHILOX_ROUNDS override supports (1 … 16).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../engine/runtime/errors';
import {
  checkPhiloxRounds,
  mulhi32,
  mulhilo32,
  philox4x32,
  philox4x32_10,
  PHILOX_MAX_ROUNDS,
  PHILOX_MIN_ROUNDS,
  PHILOX_ROUNDS,
} from '../../engine/random/philox';
import { useRuntime } from '../helpers/gpu';

/** Random123 kat_vectors, philox4x32 10: counter (4 words), key (2 words), expected output. */
const KAT: { ctr: [number, number, number, number]; key: [number, number]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  { ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
  { ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], key: [0xa4093822, 0x299f31d0], out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
];

/** Random123 kat_vectors, philox4x32 7: the same three counters and keys, seven rounds. */
const KAT7: { ctr: [number, number, number, number]; key: [number, number]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48] },
  { ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: [0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662] },
  { ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], key: [0xa4093822, 0x299f31d0], out: [0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a] },
];

/** Every round count philox4x32_r supports. */
const ALL_ROUNDS = Array.from({ length: PHILOX_MAX_ROUNDS - PHILOX_MIN_ROUNDS + 1 }, (_, i) => PHILOX_MIN_ROUNDS + i);

const EDGE = [0, 1, 2, 0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57];

/** Philox4x32-R with BigInt products: the straightforward reading of the paper, as an oracle. */
function philoxBigInt(ctr: readonly number[], key: readonly number[], rounds = 10): number[] {
  const mask = 0xffffffffn;
  let [c0, c1, c2, c3] = ctr.map(BigInt);
  let [k0, k1] = key.map(BigInt);
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + 0x9e3779b9n) & mask;
      k1 = (k1 + 0xbb67ae85n) & mask;
    }
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & mask, (p0 >> 32n) ^ c3 ^ k1, p0 & mask];
  }
  return [c0, c1, c2, c3].map(Number);
}

/** Deterministic 32-bit words (xorshift32; any fixed sequence does). */
function words(n: number, seed: number): Uint32Array {
  let s = seed >>> 0 || 1;
  return Uint32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  });
}

const hex = (xs: ArrayLike<number>): string[] => Array.from(xs, (x) => (x >>> 0).toString(16).padStart(8, '0'));

describe('Philox4x32 on the CPU', () => {
  it('matches Random123’s known-answer vectors', () => {
    for (const v of KAT) expect(hex(philox4x32_10(v.ctr, v.key))).toEqual(hex(v.out));
  });

  it('mulhilo32 and mulhi32 equal the words of the exact 64-bit product (edge words and random pairs)', () => {
    const pairs: [number, number][] = [];
    for (const a of EDGE) for (const b of EDGE) pairs.push([a, b]);
    const r = words(20000, 7);
    for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
    let middleWraps = 0;
    let lowCarries = 0;
    for (const [a, b] of pairs) {
      const p = BigInt(a) * BigInt(b);
      expect(mulhilo32(a, b), `${a} · ${b}`).toEqual([Number(p >> 32n), Number(p & 0xffffffffn)]);
      expect(mulhi32(a, b), `${a} · ${b}`).toBe(Number(p >> 32n));
      // Count how often each carry test fires, so that both branches are known to be exercised.
      const [aH, aL, bH, bL] = [a >>> 16, a & 0xffff, b >>> 16, b & 0xffff];
      if (aH * bL + aL * bH >= 2 ** 32) middleWraps++;
      if (Number(p & 0xffffffffn) < aL * bL) lowCarries++;
    }
    expect(middleWraps).toBeGreaterThan(100);
    expect(lowCarries).toBeGreaterThan(100);
  });

  it('agrees with a BigInt implementation on 2,000 random counters and keys', () => {
    const r = words(6 * 2000, 11);
    for (let i = 0; i < r.length; i += 6) {
      const ctr = [r[i], r[i + 1], r[i + 2], r[i + 3]] as const;
      const key = [r[i + 4], r[i + 5]] as const;
      expect(hex(philox4x32_10(ctr, key))).toEqual(hex(philoxBigInt(ctr, key)));
    }
  });

  it('philox4x32 with 10 and 7 rounds matches Random123’s known-answer vectors', () => {
    for (const v of KAT) expect(hex(philox4x32(v.ctr, v.key, 10))).toEqual(hex(v.out));
    for (const v of KAT7) {
      expect(hex(philox4x32(v.ctr, v.key, 7))).toEqual(hex(v.out));
      expect(hex(philoxBigInt(v.ctr, v.key, 7)), 'the BigInt oracle').toEqual(hex(v.out));
    }
  });

  it('philox4x32 agrees with the BigInt implementation for every supported round count (300 counters and keys each)', () => {
    const r = words(6 * 300, 13);
    for (const rounds of ALL_ROUNDS) {
      for (let i = 0; i < r.length; i += 6) {
        const ctr = [r[i], r[i + 1], r[i + 2], r[i + 3]] as const;
        const key = [r[i + 4], r[i + 5]] as const;
        expect(hex(philox4x32(ctr, key, rounds)), `${rounds} rounds`).toEqual(hex(philoxBigInt(ctr, key, rounds)));
      }
    }
  });

  it('rejects round counts the WGSL does not support, and the default is one it does', () => {
    for (const bad of [0, -1, PHILOX_MAX_ROUNDS + 1, 7.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkPhiloxRounds(bad), `${bad}`).toThrow(ArgumentError);
      expect(() => philox4x32([0, 0, 0, 0], [0, 0], bad), `${bad}`).toThrow(/round count/);
    }
    expect(() => checkPhiloxRounds(PHILOX_ROUNDS)).not.toThrow();
    // The Random123 paper's fewest rounds that pass BigCrush for Philox4x32: never go below it.
    expect(PHILOX_ROUNDS).toBeGreaterThanOrEqual(7);
  });
});

/** A test kernel: one Philox call per invocation on given counters and keys, and raw mulhi. */
const TEST_KERNEL = /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> counters: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> keys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> factors: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> highs: array<u32>;
@group(0) @binding(6) var<storage, read_write> products: array<vec2<u32>>;

@compute @workgroup_size(64)
fn philox(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.n) { words[gid.x] = philox4x32_10(counters[gid.x], keys[gid.x]); }
}

@compute @workgroup_size(64)
fn philox_r(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.n) { words[gid.x] = philox4x32_r(counters[gid.x], keys[gid.x]); }
}

@compute @workgroup_size(64)
fn mulhi(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.n) { highs[gid.x] = philox_mulhi(factors[gid.x].x, factors[gid.x].y); }
}

@compute @workgroup_size(64)
fn mulhilo(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.n) { products[gid.x] = philox_mulhilo(factors[gid.x].x, factors[gid.x].y); }
}
`;

describe('Philox4x32 in WGSL', () => {
  const rt = useRuntime();

  it('philox_mulhi and philox_mulhilo equal the exact 64-bit product on edge words and random pairs', async () => {
    const kernel = await rt().loadKernel('tests/random/philox.test.ts (test kernel)', TEST_KERNEL, ['philox']);
    const f: number[] = [];
    for (const a of EDGE) for (const b of EDGE) f.push(a, b);
    f.push(...words(8192, 3));
    const n = f.length / 2;
    const factors = rt().tensor(Uint32Array.from(f));
    const highs = rt().empty([n], 'u32');
    rt().dispatch({ shader: kernel, entry: 'mulhi', uniforms: { n }, bindings: { factors, highs }, workgroups: [Math.ceil(n / 64)] });
    const got = await highs.toArray();
    const want = Array.from({ length: n }, (_, i) => Number((BigInt(f[2 * i]) * BigInt(f[2 * i + 1])) >> 32n));
    expect(Array.from(got)).toEqual(want);
    // philox_mulhilo: both words.
    const products = rt().empty([2 * n], 'u32');
    rt().dispatch({ shader: kernel, entry: 'mulhilo', uniforms: { n }, bindings: { factors, products }, workgroups: [Math.ceil(n / 64)] });
    const both = await products.toArray();
    const wantBoth = Array.from({ length: n }, (_, i) => {
      const p = BigInt(f[2 * i]) * BigInt(f[2 * i + 1]);
      return [Number(p >> 32n), Number(p & 0xffffffffn)];
    }).flat();
    expect(Array.from(both)).toEqual(wantBoth);
    factors.dispose();
    highs.dispose();
    products.dispose();
  });

  it('equals the TypeScript twin bit for bit: known answers, edge words, random and sequential counters', async () => {
    const kernel = await rt().loadKernel('tests/random/philox.test.ts (test kernel)', TEST_KERNEL, ['philox']);
    const ctr: number[] = [];
    const key: number[] = [];
    for (const v of KAT) {
      ctr.push(...v.ctr);
      key.push(...v.key);
    }
    for (let i = 0; i < EDGE.length; i++) {
      for (let j = 0; j < EDGE.length; j++) {
        ctr.push(EDGE[i], EDGE[j], EDGE[(i + j) % EDGE.length], EDGE[(i * j) % EDGE.length]);
        key.push(EDGE[j], EDGE[i]);
      }
    }
    const r = words(6 * 4096, 5);
    for (let i = 0; i < r.length; i += 6) {
      ctr.push(r[i], r[i + 1], r[i + 2], r[i + 3]);
      key.push(r[i + 4], r[i + 5]);
    }
    // Sequential counters under one key: how dropout walks its elements.
    for (let i = 0; i < 4096; i++) {
      ctr.push(i, 0, 17, 0);
      key.push(1234, 0);
    }
    const n = ctr.length / 4;
    const ctrWords = Uint32Array.from(ctr);
    const keyWords = Uint32Array.from(key);
    const counters = rt().tensor(ctrWords);
    const keys = rt().tensor(keyWords);
    const out = rt().empty([n * 4], 'u32');
    rt().dispatch({ shader: kernel, entry: 'philox', uniforms: { n }, bindings: { counters, keys, words: out }, workgroups: [Math.ceil(n / 64)] });
    const got = await out.toArray();
    const want = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) philox4x32_10(ctrWords.subarray(4 * i, 4 * i + 4), keyWords.subarray(2 * i, 2 * i + 2), want.subarray(4 * i, 4 * i + 4));
    let mismatches = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
    expect(mismatches, `${mismatches} of ${want.length} words differ`).toBe(0);
    // The known answers, once more, straight from the GPU.
    for (let v = 0; v < KAT.length; v++) expect(hex(got.subarray(4 * v, 4 * v + 4))).toEqual(hex(KAT[v].out));
    counters.dispose();
    keys.dispose();
    out.dispose();
  });

  it('philox4x32_r equals the TypeScript twin for every PHILOX_ROUNDS override, and without it the default', async () => {
    const kernel = await rt().loadKernel('tests/random/philox.test.ts (test kernel)', TEST_KERNEL, ['philox']);
    const ctr: number[] = [];
    const key: number[] = [];
    for (const v of KAT7) {
      ctr.push(...v.ctr);
      key.push(...v.key);
    }
    for (let i = 0; i < EDGE.length; i++) {
      ctr.push(EDGE[i], EDGE[(i + 3) % EDGE.length], EDGE[(i + 5) % EDGE.length], EDGE[(i + 7) % EDGE.length]);
      key.push(EDGE[(i + 1) % EDGE.length], EDGE[i]);
    }
    const r = words(6 * 256, 17);
    for (let i = 0; i < r.length; i += 6) {
      ctr.push(r[i], r[i + 1], r[i + 2], r[i + 3]);
      key.push(r[i + 4], r[i + 5]);
    }
    for (let i = 0; i < 64; i++) {
      ctr.push(i, 3, 17, 0);
      key.push(1234, 0);
    }
    const n = ctr.length / 4;
    const ctrWords = Uint32Array.from(ctr);
    const keyWords = Uint32Array.from(key);
    const counters = rt().tensor(ctrWords);
    const keys = rt().tensor(keyWords);
    const twin = (rounds: number): Uint32Array => {
      const want = new Uint32Array(n * 4);
      for (let i = 0; i < n; i++) philox4x32(ctrWords.subarray(4 * i, 4 * i + 4), keyWords.subarray(2 * i, 2 * i + 2), rounds, want.subarray(4 * i, 4 * i + 4));
      return want;
    };
    const run = async (overrides: Record<string, number>): Promise<Uint32Array> => {
      const out = rt().empty([n * 4], 'u32');
      rt().dispatch({
        shader: kernel,
        entry: 'philox_r',
        overrides,
        uniforms: { n },
        bindings: { counters, keys, words: out },
        workgroups: [Math.ceil(n / 64)],
      });
      const got = (await out.toArray()) as Uint32Array;
      out.dispose();
      return got;
    };
    for (const rounds of ALL_ROUNDS) {
      const got = await run({ PHILOX_ROUNDS: rounds });
      const want = twin(rounds);
      let mismatches = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
      expect(mismatches, `${rounds} rounds: ${mismatches} of ${want.length} words differ`).toBe(0);
      if (rounds === 7) for (let v = 0; v < KAT7.length; v++) expect(hex(got.subarray(4 * v, 4 * v + 4))).toEqual(hex(KAT7[v].out));
    }
    // A kernel dispatched without the override draws what the host's default (PHILOX_ROUNDS) draws.
    expect(hex(await run({}))).toEqual(hex(twin(PHILOX_ROUNDS)));
    counters.dispose();
    keys.dispose();
  });
});
