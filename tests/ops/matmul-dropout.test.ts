/**
 * Dropout and the ReLU gate in matmul's epilogue (shaders/matmul.wgsl, `dropout` and `gate` of
 * engine/ops/matmul.ts), with each entry point (vec4, scalar, strided) forced, since an adapter's
 * table uses only some of them.
 *
 * Oracles:
 * - masks, exactly: the fused forward's mask is read off its output on data whose pre-dropout values
 *   are all > 0 (A, B and the bias non-negative, the bias ≥ 1/2), and must equal bit for bit the CPU
 *   twin's (`dropoutMaskCpu` of the M·N elements, row-major) and the standalone kernel's mask of the
 *   same M × N tensor (`dropoutForward` with `returnMask`);
 * - forward values, exactly: the fused output equals, bit for bit, the standalone composition
 *   dropoutForward(matmul(A, B, { bias, relu })): both compute the same product with the same
 *   blocking, then one f32 product by fround(1/p) (or 1) where kept, 0 where dropped;
 * - forward values, against f64: |ŷ − m·s·relu(z)| ≤ s·(γ_{K+2}·Σ|a·b| + |bias|·γ) + s·(|z| + tol)·u,
 *   the matmul bound of tests/ops/matmul.test.ts plus one rounding of the scale product;
 * - backward epilogue dz = (G·Wᵀ) ⊙ m·s ⊙ [h > 0]: bit for bit the standalone composition
 *   relu_grad(h, dropoutBackward(G·Wᵀ)), and against f64 with the same bound.
 */
import { describe, expect, it } from 'vitest';
import { matmul, type MatmulKernel, type MatmulTuning } from '../../engine/ops/matmul';
import { dropoutBackward, dropoutForward, dropoutMaskCpu, type DropoutOptions } from '../../engine/ops/dropout';
import { activationGrad } from '../../engine/ops/unary';
import { ArgumentError, ShapeError, type Runtime } from '../../engine/index';
import type { Tensor } from '../../engine/runtime/tensor';
import { randomArray, useRuntime, firstBitDiff } from '../helpers/gpu';

const U = 2 ** -24;

/** op(A)·op(B) (+ bias) in f64 with its f32 error bound per element (see tests/ops/matmul.test.ts). */
function reference(m: number, n: number, k: number, opA: (i: number, p: number) => number, opB: (p: number, j: number) => number, bias?: Float32Array) {
  const want = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  const steps = k + 2;
  const gamma = (steps * U) / (1 - steps * U);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      let abs = bias ? Math.abs(bias[j]) : 0;
      for (let p = 0; p < k; p++) {
        const prod = opA(i, p) * opB(p, j);
        s += prod;
        abs += Math.abs(prod);
      }
      want[i * n + j] = s;
      tol[i * n + j] = gamma * abs;
    }
  }
  return { want, tol };
}

/** A tuning that forces `kernel` (vec4 only where the shape is aligned; the scalar kernel otherwise). */
function forced(kernel: MatmulKernel): MatmulTuning {
  const blk = { kernel, WG: 8, TM: kernel === 'vec4' ? 4 : 3 };
  return { aligned: blk, unaligned: kernel === 'vec4' ? { kernel: 'scalar', WG: 8, TM: 3 } : blk };
}

interface Shape {
  m: number;
  n: number;
  k: number;
}

/** Odd shapes (scalar even with `vec4` forced), aligned ones, several workgroups of columns and of rows. */
const SHAPES: Shape[] = [
  { m: 1, n: 1, k: 1 },
  { m: 17, n: 31, k: 13 },
  { m: 8, n: 12, k: 8 },
  { m: 20, n: 260, k: 16 },
];

/** Keys: several keep probabilities, seeds and offsets past 2³², streams. */
const KEYS: DropoutOptions[] = [
  { keepProb: 0.5, seed: 1, offset: 0 },
  { keepProb: 0.8, seed: 2 ** 40 + 7, offset: 3, stream: 2 },
  { keepProb: 0.1, seed: 99, offset: 2 ** 33 + 5, stream: 7, scale: 'none' },
  { keepProb: 1, seed: 5, offset: 1 },
  { keepProb: 0.37, seed: 0xfffffffe, offset: 12345, stream: 0xffffffff },
];

const KERNELS: MatmulKernel[] = ['vec4', 'scalar', 'strided'];

function keyName(key: DropoutOptions): string {
  return `p=${key.keepProb} seed=${key.seed} offset=${key.offset} stream=${key.stream ?? 0}${key.scale === 'none' ? ' unscaled' : ''}`;
}

describe('matmul with dropout in the epilogue', () => {
  const rt = useRuntime();

  /** Tensors of one shape: A [m, k], B [k, n], bias [n], from non-negative data when `positive`. */
  function operands(r: Runtime, s: Shape, seed: number, positive: boolean) {
    const lo = positive ? 0 : -1;
    const a = randomArray(s.m * s.k, seed, lo, 1);
    const b = randomArray(s.k * s.n, seed + 1, lo, 1);
    const bias = randomArray(s.n, seed + 2, positive ? 0.5 : -0.5, positive ? 1 : 0.5);
    return { a, b, bias, ta: r.tensor(a, [s.m, s.k]), tb: r.tensor(b, [s.k, s.n]), tbias: r.tensor(bias, [s.n]) };
  }

  for (const kernel of KERNELS) {
    it(`${kernel}: the fused mask is bit for bit the CPU twin's and the standalone kernel's`, async () => {
      const r = rt();
      for (const [si, s] of SHAPES.entries()) {
        const { ta, tb, tbias } = operands(r, s, 10 + si, true);
        for (const key of KEYS) {
          const y = matmul(ta, tb, { bias: tbias, relu: true, dropout: key }, forced(kernel));
          const z = matmul(ta, tb, { bias: tbias, relu: true }, forced(kernel));
          const standalone = dropoutForward(z, { ...key, returnMask: true });
          const [got, zs, mask] = await Promise.all([y.toArray(), z.toArray(), (standalone.mask as Tensor).toArray()]);
          const where = `${s.m}×${s.n}×${s.k} ${keyName(key)}`;
          expect(
            zs.every((v) => v > 0),
            `${where}: the pre-dropout values must all be > 0 for the mask to be visible`,
          ).toBe(true);
          const fusedMask = Float32Array.from(got, (v) => (v !== 0 ? 1 : 0));
          expect(firstBitDiff(fusedMask, dropoutMaskCpu(s.m * s.n, key)), `${where}: vs the CPU twin`).toBe(-1);
          expect(firstBitDiff(fusedMask, mask as Float32Array), `${where}: vs the standalone kernel`).toBe(-1);
          for (const t of [y, z, standalone.y, standalone.mask as Tensor]) t.dispose();
        }
        for (const t of [ta, tb, tbias]) t.dispose();
      }
    });

    it(`${kernel}: forward values equal the standalone composition bit for bit and the f64 reference within the bound`, async () => {
      const r = rt();
      for (const [si, s] of SHAPES.entries()) {
        const { a, b, bias, ta, tb, tbias } = operands(r, s, 40 + si, false);
        const { want, tol } = reference(
          s.m,
          s.n,
          s.k,
          (i, p) => a[i * s.k + p],
          (p, j) => b[p * s.n + j],
          bias,
        );
        for (const key of [KEYS[0], KEYS[2]]) {
          const y = matmul(ta, tb, { bias: tbias, relu: true, dropout: key }, forced(kernel));
          const z = matmul(ta, tb, { bias: tbias, relu: true }, forced(kernel));
          const composed = dropoutForward(z, key).y;
          const [got, comp] = await Promise.all([y.toArray(), composed.toArray()]);
          const where = `${s.m}×${s.n}×${s.k} ${keyName(key)}`;
          expect(firstBitDiff(got, comp), `${where}: vs dropoutForward(matmul(…))`).toBe(-1);
          const mask = dropoutMaskCpu(s.m * s.n, key);
          const sc = key.scale === 'none' ? 1 : Math.fround(1 / key.keepProb);
          const bad: string[] = [];
          for (let o = 0; o < want.length && bad.length < 5; o++) {
            const w = mask[o] ? sc * Math.max(want[o], 0) : 0;
            const bound = sc * tol[o] + sc * (Math.abs(want[o]) + tol[o]) * U;
            if (!(Math.abs(got[o] - w) <= bound)) bad.push(`y[${o}] = ${got[o]}, want ${w} ± ${bound}`);
          }
          expect(bad, where).toEqual([]);
          for (const t of [y, z, composed]) t.dispose();
        }
        for (const t of [ta, tb, tbias]) t.dispose();
      }
    });

    it(`${kernel}: the backward epilogue (G·Wᵀ) ⊙ m·s ⊙ [h > 0] equals relu_grad(h, dropoutBackward(G·Wᵀ)) and the f64 reference`, async () => {
      const r = rt();
      for (const [si, s] of SHAPES.entries()) {
        // dz [m, n] = G [m, k] · Wᵀ, W stored [n, k]; h [m, n] has zeros (dropped or negative units) and positives.
        const g = randomArray(s.m * s.k, 70 + si);
        const w = randomArray(s.n * s.k, 80 + si);
        const h = Float32Array.from(randomArray(s.m * s.n, 90 + si), (v) => (v < -0.3 ? 0 : v));
        const tg = r.tensor(g, [s.m, s.k]);
        const tw = r.tensor(w, [s.n, s.k]);
        const th = r.tensor(h, [s.m, s.n]);
        const { want, tol } = reference(
          s.m,
          s.n,
          s.k,
          (i, p) => g[i * s.k + p],
          (p, j) => w[j * s.k + p],
        );
        for (const key of [KEYS[1], KEYS[2], undefined]) {
          const dz = matmul(tg, tw, { transB: true, gate: th, dropout: key }, forced(kernel));
          const dh = matmul(tg, tw, { transB: true }, forced(kernel));
          const dropped = key ? dropoutBackward(dh, key) : dh;
          const composed = activationGrad('relu_grad', th, dropped);
          const [got, comp] = await Promise.all([dz.toArray(), composed.toArray()]);
          const where = `${s.m}×${s.n}×${s.k} ${key ? keyName(key) : 'gate only'}`;
          expect(firstBitDiff(got, comp), `${where}: vs relu_grad(h, dropoutBackward(G·Wᵀ))`).toBe(-1);
          const mask = key ? dropoutMaskCpu(s.m * s.n, key) : new Float32Array(s.m * s.n).fill(1);
          const sc = !key || key.scale === 'none' ? 1 : Math.fround(1 / key.keepProb);
          const bad: string[] = [];
          for (let o = 0; o < want.length && bad.length < 5; o++) {
            const wv = mask[o] && h[o] > 0 ? sc * want[o] : 0;
            const bound = sc * tol[o] + sc * (Math.abs(want[o]) + tol[o]) * U;
            if (!(Math.abs(got[o] - wv) <= bound)) bad.push(`dz[${o}] = ${got[o]}, want ${wv} ± ${bound}`);
          }
          expect(bad, where).toEqual([]);
          for (const t of new Set([dz, dh, dropped, composed])) t.dispose();
        }
        for (const t of [tg, tw, th]) t.dispose();
      }
    });
  }

  it('rejects a bad key or gate, naming the value', () => {
    const r = rt();
    const a = r.tensor(new Float32Array(6), [2, 3]);
    const b = r.tensor(new Float32Array(12), [3, 4]);
    expect(() => matmul(a, b, { dropout: { keepProb: 0, seed: 1, offset: 0 } })).toThrow(ArgumentError);
    expect(() => matmul(a, b, { dropout: { keepProb: 0.5, seed: -1, offset: 0 } })).toThrow(/seed must be an integer.*got -1/);
    expect(() => matmul(a, b, { dropout: { keepProb: 0.5, seed: 1, offset: 0.5 } })).toThrow(/offset must be an integer.*got 0.5/);
    expect(() => matmul(a, b, { dropout: { keepProb: 0.5, seed: 1, offset: 0, stream: 2 ** 32 } })).toThrow(/stream/);
    const wrong = r.tensor(new Float32Array(8), [4, 2]);
    expect(() => matmul(a, b, { gate: wrong })).toThrow(ShapeError);
    expect(() => matmul(a, b, { gate: wrong })).toThrow(/gate f32 \[4, 2\].*\[2, 4\]/);
    for (const t of [a, b, wrong]) t.dispose();
  });
});
