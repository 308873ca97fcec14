/**
 * The batched matmul (engine/ops/matmul.ts `matmulBatched`: one dispatch, workgroup z = the
 * product), checked two ways for every layout the adapters run (the adapter's fixed table, and the
 * workgroup-memory tiled and 2-D block layouts of real GPUs), every transpose combination, odd and
 * vec4-aligned shapes, batch 1 and 3, a shared (2-D) A or B, bias per product or shared, ReLU, gate:
 *
 * - against a CPU reference that accumulates in f64, with the bound of tests/ops/matmul.test.ts:
 *   |ĉ − c| ≤ γ_n · (Σ_k |a_k·b_k| + |bias|), γ_n = n·u / (1 − n·u), u = 2⁻²⁴, n = K + 2 (at most K
 *   roundings in any summation order, with or without FMA, plus one for the bias); ReLU and the
 *   gate (a select) are exact;
 * - bit for bit against `matmul` of each product alone with the same blocking: the batch runs the
 *   same pipeline with the same plan, so each output must have the very same f32 bits (this is what
 *   a batched ensemble relies on to equal its members trained alone).
 *
 * With one dropout key per product (`matmul_keyed`, a batched ensemble's members), each layout with
 * the mask epilogue (vec4, scalar, strided) on odd and aligned shapes, forward (bias, ReLU, dropout)
 * and backward (dropout and gate), checked three ways per product: its mask, read off the output
 * of all-positive data, equals the CPU twin's (`dropoutMaskCpu`) for that product's key; its
 * values equal bit for bit the standalone dropout kernel applied to the plain product
 * (dropoutForward, or relu_grad(h, dropoutBackward(·)) backward: the Philox contract); and they
 * equal bit for bit `matmul` of that product alone with its key.
 */
import { describe, expect, it } from 'vitest';
import { matmul, matmulBatched, matmulTuning, type MatmulBatchedOptions, type MatmulBlocking, type MatmulTuning } from '../../engine/ops/matmul';
import { ArgumentError, ShapeError, type Runtime, type Tensor } from '../../engine/index';
import { dropoutBackward, dropoutForward, dropoutMaskCpu, type DropoutOptions } from '../../engine/ops/dropout';
import { activationGrad } from '../../engine/ops/unary';
import { firstBitDiff, randomArray, useRuntime } from '../helpers/gpu';
import { ALL_TRANSPOSES, PLAIN_AND_BOTH_TRANSPOSED } from '../helpers/transposes';

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  batch: number;
  /** Which operand is one matrix shared by every product. */
  shared?: 'a' | 'b';
  bias?: 'per' | 'shared';
  relu?: boolean;
  gate?: boolean;
}

/** Product p of a case in f64 and each output's bound; `g` the gate (kept where > 0). */
function reference(c: Case, a: Float32Array, b: Float32Array, bias: Float32Array | undefined, g: Float32Array | undefined, p: number) {
  const { m, n, k } = c;
  const ao = c.shared === 'a' ? 0 : p * m * k;
  const bo = c.shared === 'b' ? 0 : p * k * n;
  const want = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  const steps = k + 2;
  const gamma = (steps * 2 ** -24) / (1 - steps * 2 ** -24);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let q = 0; q < k; q++) {
        const x = a[ao + (c.transA ? q * m + i : i * k + q)] * b[bo + (c.transB ? j * k + q : q * n + j)];
        s += x;
        abs += Math.abs(x);
      }
      if (bias) {
        const bv = bias[(c.bias === 'per' ? p * n : 0) + j];
        s += bv;
        abs += Math.abs(bv);
      }
      if (c.relu) s = Math.max(s, 0);
      if (g && !(g[p * m * n + i * n + j] > 0)) s = 0;
      want[i * n + j] = s;
      tol[i * n + j] = gamma * abs;
    }
  }
  return { want, tol };
}

function name(c: Case): string {
  const parts = [`${c.batch}× ${c.m}×${c.n}×${c.k}`, c.transA ? 'Aᵀ' : '', c.transB ? 'Bᵀ' : '', c.shared ? `shared ${c.shared.toUpperCase()}` : ''];
  return [...parts, c.bias ? `bias ${c.bias}` : '', c.relu ? 'relu' : '', c.gate ? 'gate' : ''].filter(Boolean).join(' ');
}

/** Runs a case with `tuning`; returns the first violations of the bound and of bit-identity with the products alone. */
async function check(rt: Runtime, tuning: MatmulTuning, c: Case, seed: number): Promise<string[]> {
  const { m, n, k, batch } = c;
  const na = c.shared === 'a' ? 1 : batch;
  const nb = c.shared === 'b' ? 1 : batch;
  const a = randomArray(na * m * k, seed);
  const b = randomArray(nb * k * n, seed + 1);
  const biasArr = c.bias ? randomArray((c.bias === 'per' ? batch : 1) * n, seed + 2, -2, 2) : undefined;
  // A gate with about half its elements ≤ 0 (and some exact zeros, which close it too).
  const gateArr = c.gate ? randomArray(batch * m * n, seed + 3).map((v) => (Math.abs(v) < 0.1 ? 0 : v)) : undefined;
  const aShape = c.transA ? [k, m] : [m, k];
  const bShape = c.transB ? [n, k] : [k, n];
  const owned: Tensor[] = [];
  const up = (data: Float32Array, shape: number[]) => {
    const t = rt.tensor(data, shape);
    owned.push(t);
    return t;
  };
  const ta = up(a, c.shared === 'a' ? aShape : [batch, ...aShape]);
  const tb = up(b, c.shared === 'b' ? bShape : [batch, ...bShape]);
  const bias = biasArr ? up(biasArr, c.bias === 'per' ? [batch, n] : [n]) : undefined;
  const gate = gateArr ? up(gateArr, [batch, m, n]) : undefined;
  const opts: MatmulBatchedOptions = { transA: c.transA, transB: c.transB, bias, relu: c.relu, gate };
  const out = matmulBatched(ta, tb, opts, tuning);
  owned.push(out);
  expect(out.shape).toEqual([batch, m, n]);
  const got = (await out.toArray()) as Float32Array;
  const bad: string[] = [];
  for (let p = 0; p < batch; p++) {
    const { want, tol } = reference(c, a, b, biasArr, gateArr, p);
    for (let o = 0; o < m * n && bad.length < 3; o++) {
      const v = got[p * m * n + o];
      if (!(Math.abs(v - want[o]) <= tol[o])) bad.push(`${name(c)}: product ${p} element ${o}: ${v} vs ${want[o]} (bound ${tol[o]})`);
    }
    // The same product alone, with the same blocking: the same bits.
    const alone = matmul(
      c.shared === 'a' ? up(a, aShape) : up(a.subarray(p * m * k, (p + 1) * m * k), aShape),
      c.shared === 'b' ? up(b, bShape) : up(b.subarray(p * k * n, (p + 1) * k * n), bShape),
      {
        transA: c.transA,
        transB: c.transB,
        relu: c.relu,
        bias: biasArr ? up(c.bias === 'per' ? biasArr.subarray(p * n, (p + 1) * n) : biasArr, [n]) : undefined,
        gate: gateArr ? up(gateArr.subarray(p * m * n, (p + 1) * m * n), [m, n]) : undefined,
      },
      tuning,
    );
    owned.push(alone);
    const single = (await alone.toArray()) as Float32Array;
    const d = firstBitDiff(got.subarray(p * m * n, (p + 1) * m * n), single);
    if (d >= 0) bad.push(`${name(c)}: product ${p} element ${d}: batched ${got[p * m * n + d]} but alone ${single[d]}`);
  }
  for (const t of owned) t.dispose();
  return bad;
}

/**
 * The cases: odd and aligned shapes, batch 1 and 3, shared operands, the epilogues; every transpose
 * combination when `full` (the adapter's own blocking), else none and both (each combination is a
 * pipeline to compile, slow on the software adapters).
 */
function cases(withGate: boolean, full: boolean): Case[] {
  const out: Case[] = [];
  const transposes = full ? ALL_TRANSPOSES : PLAIN_AND_BOTH_TRANSPOSED;
  for (const [m, n, k] of full
    ? [
        [5, 7, 9],
        [8, 12, 16],
        [1, 1, 1],
        [33, 20, 24],
      ]
    : [
        [5, 7, 9],
        [8, 12, 16],
      ]) {
    for (const [transA, transB] of transposes) {
      out.push({ m, n, k, transA, transB, batch: 3, bias: 'per', relu: true });
      out.push({ m, n, k, transA, transB, batch: 1 });
    }
    out.push({ m, n, k, transA: false, transB: false, batch: 3, shared: 'a', bias: 'shared' });
    out.push({ m, n, k, transA: true, transB: true, batch: 2, shared: 'b', relu: true });
    if (withGate) {
      out.push({ m, n, k, transA: false, transB: true, batch: 3, gate: true });
      out.push({ m, n, k, transA: false, transB: false, batch: 3, bias: 'per', relu: true, gate: true });
    }
  }
  return out;
}

const blockings: Record<string, MatmulBlocking> = {
  tiled: { kernel: 'tiled', WG: 4, WG_Y: 4, TM: 2, BK: 4 },
  block: { kernel: 'block', WG: 4, WG_Y: 2, TM: 3 },
  strided: { kernel: 'strided', WG: 8, TM: 5 },
};

describe('matmulBatched', () => {
  const rt = useRuntime();

  it("the adapter's own blocking: every product within the f64 bound and bit-identical to the product alone", async () => {
    const bad: string[] = [];
    for (const [i, c] of cases(true, true).entries()) bad.push(...(await check(rt(), matmulTuning(rt()), c, 1 + 10 * i)));
    expect(bad).toEqual([]);
  });

  it('the tiled, 2-D block and strided layouts: the same, forced for every shape (no gate: tiled and block have none)', async () => {
    const bad: string[] = [];
    for (const [j, [label, blk]] of Object.entries(blockings).entries()) {
      for (const [i, c] of cases(label === 'strided', false).entries())
        bad.push(...(await check(rt(), { aligned: blk, unaligned: blk }, c, 1000 * (j + 1) + 10 * i)));
    }
    expect(bad).toEqual([]);
  });

  it('bad inputs: clear errors naming the shapes', () => {
    const r = rt();
    const a3 = r.tensor(randomArray(2 * 3 * 4, 1), [2, 3, 4]);
    const b3 = r.tensor(randomArray(3 * 4 * 5, 2), [3, 4, 5]);
    const b2 = r.tensor(randomArray(4 * 5, 3), [4, 5]);
    const a2 = r.tensor(randomArray(3 * 4, 4), [3, 4]);
    const bad5 = r.tensor(randomArray(2 * 6, 5), [2, 6]);
    const a4d = r.tensor(randomArray(24, 6), [1, 2, 3, 4]);
    expect(() => matmulBatched(a3, b3)).toThrow(/different batch sizes/);
    expect(() => matmulBatched(a2, b2)).toThrow(/both 2-D/);
    expect(() => matmulBatched(a4d, b2)).toThrow(ShapeError);
    expect(() => matmulBatched(a3, b2, { transB: true })).toThrow(/inner dimensions differ/);
    expect(() => matmulBatched(a3, b2, { bias: bad5 })).toThrow(/bias \[2, 6\] does not fit/);
    expect(() => matmulBatched(a3, b2, { gate: bad5 })).toThrow(/gate f32 \[2, 6\] must be f32 of the product's shape \[2, 3, 5\]/);
    const key = (seed: number, keepProb = 0.5): DropoutOptions => ({ keepProb, seed, offset: 0 });
    expect(() => matmulBatched(a3, b2, { dropout: [key(1)] })).toThrow(/1 dropout keys for 2 products/);
    expect(() => matmulBatched(a3, b2, { dropout: [key(1), key(2, 0.8)] })).toThrow(/product 1's dropout keeps with probability 0.8/);
    expect(() => matmulBatched(a3, b2, { dropout: [key(1), key(-2)] })).toThrow(ArgumentError);
    for (const t of [a3, b3, b2, a2, bad5, a4d]) t.dispose();
  });
});

/** The forced layouts of the keyed dropout cases (each with the mask epilogue). */
const maskBlockings: Record<string, MatmulBlocking> = {
  scalar: { kernel: 'scalar', WG: 8, TM: 3 },
  strided: { kernel: 'strided', WG: 8, TM: 5 },
};

/** Three products' keys: their own seeds (one above 2³²), streams and offsets, one keep probability. */
function productKeys(keepProb: number, scale: 'inverted' | 'none'): DropoutOptions[] {
  return [
    { keepProb, seed: 11, stream: 1, offset: 7, scale },
    { keepProb, seed: 2 ** 33 + 5, stream: 1, offset: 7, scale },
    { keepProb, seed: 12, stream: 4, offset: 2 ** 32 + 3, scale },
  ];
}

/**
 * Forward y[p] = dropout_p(relu(A[p]·B[p] + bias[p])) and backward dz[p] = (G[p]·W[p]ᵀ) ⊙ m_p·s ⊙ [y[p] > 0]
 * with product p's key, batched; the violations of the three oracles of the file's comment.
 */
async function checkKeyed(rt: Runtime, tuning: MatmulTuning, m: number, n: number, k: number, keys: DropoutOptions[], seed: number): Promise<string[]> {
  const batch = keys.length;
  const what = `${batch}× ${m}×${n}×${k} ${JSON.stringify(tuning.aligned === tuning.unaligned ? tuning.aligned.kernel : 'table')}`;
  const owned: Tensor[] = [];
  const up = (data: Float32Array, shape: number[]) => {
    const t = rt.tensor(data, shape);
    owned.push(t);
    return t;
  };
  const keep = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  // All-positive data, so that every kept element of the forward is > 0 and its mask can be read off.
  const a = randomArray(batch * m * k, seed, 0, 1);
  const b = randomArray(batch * k * n, seed + 1, 0, 1);
  const bias = randomArray(batch * n, seed + 2, 0.5, 1);
  // The backward product: the gradient G [M, K] of the next layer's output times its weight W [N, K] transposed.
  const g = randomArray(batch * m * k, seed + 3);
  const w = randomArray(batch * n * k, seed + 4);
  const ta = up(a, [batch, m, k]);
  const tb = up(b, [batch, k, n]);
  const tbias = up(bias, [batch, n]);
  const tg = up(g, [batch, m, k]);
  const tw = up(w, [batch, n, k]);
  const y = keep(matmulBatched(ta, tb, { bias: tbias, relu: true, dropout: keys }, tuning));
  const plain = keep(matmulBatched(ta, tb, { bias: tbias, relu: true }, tuning));
  const dz = keep(matmulBatched(tg, tw, { transB: true, dropout: keys, gate: y }, tuning));
  const plainDh = keep(matmulBatched(tg, tw, { transB: true }, tuning));
  const yv = (await y.toArray()) as Float32Array;
  const dzv = (await dz.toArray()) as Float32Array;
  const plainv = (await plain.toArray()) as Float32Array;
  const dhv = (await plainDh.toArray()) as Float32Array;
  const bad: string[] = [];
  const mn = m * n;
  for (const [p, key] of keys.entries()) {
    const slice = (v: Float32Array) => v.subarray(p * mn, (p + 1) * mn);
    // The mask, read off the output, against the CPU twin's for this product's key.
    const mask = dropoutMaskCpu(mn, key);
    const wrong = slice(yv).findIndex((v, i) => (v > 0 ? 1 : 0) !== mask[i]);
    if (wrong >= 0) bad.push(`${what}: product ${p}: element ${wrong} kept ${slice(yv)[wrong] > 0} but the twin says ${mask[wrong] === 1}`);
    // The standalone kernel on the plain product: the same bits, forward and backward.
    const yp = up(slice(yv), [m, n]);
    const standalone = keep(dropoutForward(up(slice(plainv), [m, n]), key).y);
    const back = keep(activationGrad('relu_grad', yp, keep(dropoutBackward(up(slice(dhv), [m, n]), key))));
    // The product alone with its key: the same bits.
    const [ap, bp] = [up(a.subarray(p * m * k, (p + 1) * m * k), [m, k]), up(b.subarray(p * k * n, (p + 1) * k * n), [k, n])];
    const alone = keep(matmul(ap, bp, { bias: up(bias.subarray(p * n, (p + 1) * n), [n]), relu: true, dropout: key }, tuning));
    const [gp, wp] = [up(g.subarray(p * m * k, (p + 1) * m * k), [m, k]), up(w.subarray(p * n * k, (p + 1) * n * k), [n, k])];
    const aloneDz = keep(matmul(gp, wp, { transB: true, dropout: key, gate: alone }, tuning));
    for (const [label, got, want] of [
      ['forward vs the standalone kernel', slice(yv), standalone],
      ['backward vs the standalone kernel', slice(dzv), back],
      ['forward vs the product alone', slice(yv), alone],
      ['backward vs the product alone', slice(dzv), aloneDz],
    ] as const) {
      const w = (await want.toArray()) as Float32Array;
      const d = firstBitDiff(got, w);
      if (d >= 0) bad.push(`${what}: product ${p}: ${label}: element ${d}: ${got[d]} vs ${w[d]}`);
    }
  }
  // The masks differ between products (each drew its own key), and some elements were dropped.
  if (firstBitDiff(yv.subarray(0, mn), yv.subarray(mn, 2 * mn)) < 0) bad.push(`${what}: products 0 and 1 drew the same mask`);
  if (!yv.some((v) => v === 0)) bad.push(`${what}: nothing was dropped`);
  for (const t of owned) t.dispose();
  return bad;
}

describe('matmulBatched with one dropout key per product', () => {
  const rt = useRuntime();

  it("the adapter's own blocking: masks, the standalone kernel's values and the products alone, bit for bit", async () => {
    const bad: string[] = [];
    for (const [i, [m, n, k]] of [
      [5, 7, 9],
      [8, 12, 16],
    ].entries()) {
      bad.push(...(await checkKeyed(rt(), matmulTuning(rt()), m, n, k, productKeys(0.5, 'inverted'), 100 + 10 * i)));
    }
    bad.push(...(await checkKeyed(rt(), matmulTuning(rt()), 6, 9, 5, productKeys(0.7, 'none'), 150)));
    expect(bad).toEqual([]);
  });

  it('the scalar and strided layouts forced, odd and aligned shapes', async () => {
    const bad: string[] = [];
    for (const [j, blk] of Object.values(maskBlockings).entries()) {
      for (const [i, [m, n, k]] of [
        [5, 7, 9],
        [8, 12, 16],
      ].entries())
        bad.push(...(await checkKeyed(rt(), { aligned: blk, unaligned: blk }, m, n, k, productKeys(0.5, 'inverted'), 200 + 100 * j + 10 * i)));
    }
    expect(bad).toEqual([]);
  });
});
