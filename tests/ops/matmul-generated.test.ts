/**
 * Every generated matmul entry point (shaders/matmul-gen.ts: one per layout and TM of MATMUL_TMS,
 * the rows unrolled) against the f64 reference, with its epilogue, the transposes cycling with TM
 * so that each layout meets all four combinations. Each product has ragged edges: rows that are
 * not a multiple of TM (a last, partial row block), columns that are not a multiple of four per
 * invocation (the scalar and strided layouts; vec4 needs aligned rows) and a K with a scalar tail.
 *
 * One pipeline per entry point (compiling is what costs here): the register-blocked layouts run
 * their fullest epilogue, bias, ReLU, the dropout mask and the gate (the backward's), from the
 * Philox-compiled module; tiled and block (no mask epilogue) run bias + ReLU. Oracle: the f64
 * product with the CPU twin's mask (`dropoutMaskCpu`) and the gate,
 *   |ŷ − [kept and gate > 0]·s·relu(z)| ≤ s·γ_{K+2}·(Σ|a·b| + |bias|) + s·(|z| + tol)·u,
 * the bound of tests/ops/matmul-dropout.test.ts (one more rounding for the scale product), so a
 * wrong mask bit fails wherever |z| exceeds the bound. The plain module compiles the same
 * generated text without Philox: tests/ops/matmul.test.ts and matmul-family.test.ts run it, and
 * matmul-dropout.test.ts compares fused and standalone masks bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { matmul, planMatmul, type MatmulBlocking, type MatmulKernel } from '../../engine/ops/matmul';
import { dropoutMaskCpu, type DropoutOptions } from '../../engine/ops/dropout';
import type { Runtime } from '../../engine/index';
import { MATMUL_TMS, hasMatmulEntry, matmulTemplateOf } from '../../shaders/matmul-gen';
import { randomArray, useRuntime } from '../helpers/gpu';
import { ALL_TRANSPOSES } from '../helpers/transposes';

const U = 2 ** -24;

/** The blocking of `kernel` at `tm`, with small workgroups so that several span the columns. */
function blocking(kernel: MatmulKernel, tm: number): MatmulBlocking {
  if (kernel === 'tiled') return { kernel, WG: 4, WG_Y: 4, TM: tm, BK: 8 };
  if (kernel === 'block') return { kernel, WG: 4, WG_Y: 2, TM: tm };
  return { kernel, WG: 8, TM: tm };
}

/** The product of one TM: 2·TM + 3 rows (two full row blocks and a partial one), ragged columns and K. */
function shapeOf(kernel: MatmulKernel, tm: number): { m: number; n: number; k: number; transA: boolean; transB: boolean } {
  const [transA, transB] = ALL_TRANSPOSES[(kernel === 'vec4' ? tm / 4 : tm) % 4];
  // vec4: N and K multiples of 4, M too when A is transposed (the 2·TM + 4 rows still end in a partial block).
  if (kernel === 'vec4') return { m: 2 * tm + 4, n: 36, k: 20, transA, transB };
  return { m: 2 * tm + 3, n: 37, k: 23, transA, transB };
}

/** op(A)·op(B) + bias, then ReLU, in f64, and the bound of each output. */
function reference(s: ReturnType<typeof shapeOf>, a: Float32Array, b: Float32Array, bias: Float32Array): { want: Float64Array; tol: Float64Array } {
  const { m, n, k } = s;
  const want = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  const gamma = ((k + 2) * U) / (1 - (k + 2) * U);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias[j];
      let abs = Math.abs(bias[j]);
      for (let p = 0; p < k; p++) {
        const v = (s.transA ? a[p * m + i] : a[i * k + p]) * (s.transB ? b[j * k + p] : b[p * n + j]);
        sum += v;
        abs += Math.abs(v);
      }
      want[i * n + j] = Math.max(sum, 0);
      tol[i * n + j] = gamma * abs;
    }
  }
  return { want, tol };
}

/** Runs one TM of one layout; returns what went wrong (empty when everything holds). */
async function checkTm(r: Runtime, kernel: MatmulKernel, tm: number, seed: number): Promise<string[]> {
  const s = shapeOf(kernel, tm);
  const blk = blocking(kernel, tm);
  const a = randomArray(s.m * s.k, seed);
  const b = randomArray(s.k * s.n, seed + 1);
  const bias = randomArray(s.n, seed + 2, -0.5, 0.5);
  const gate = Float32Array.from(randomArray(s.m * s.n, seed + 3), (v) => (v < -0.3 ? 0 : v));
  const ta = r.tensor(a, s.transA ? [s.k, s.m] : [s.m, s.k]);
  const tb = r.tensor(b, s.transB ? [s.n, s.k] : [s.k, s.n]);
  const tbias = r.tensor(bias);
  const tgate = r.tensor(gate, [s.m, s.n]);
  const masked = kernel !== 'tiled' && kernel !== 'block';
  const key: DropoutOptions = { keepProb: 0.7, seed: seed * 977, offset: 2 ** 33 + tm, stream: 3 };
  const opts = { transA: s.transA, transB: s.transB, bias: tbias, relu: true, ...(masked ? { dropout: key, gate: tgate } : {}) };
  const plan = planMatmul(r, { ...s, mask: masked }, { aligned: blk, unaligned: blk });
  const y = matmul(ta, tb, opts, { aligned: blk, unaligned: blk });
  const got = await y.toArray();
  for (const t of [ta, tb, tbias, tgate, y]) t.dispose();
  const where = `${plan.entryPoint} ${s.m}×${s.n}×${s.k}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}`;
  const bad: string[] = [];
  if (plan.entryPoint !== `matmul_${kernel}_tm${tm}`) bad.push(`${where}: planned instead of matmul_${kernel}_tm${tm}`);
  const { want, tol } = reference(s, a, b, bias);
  const mask = masked ? dropoutMaskCpu(s.m * s.n, key) : new Float32Array(s.m * s.n).fill(1);
  const sc = masked ? Math.fround(1 / key.keepProb) : 1;
  let kept = 0;
  for (let o = 0; o < want.length && bad.length < 4; o++) {
    const on = mask[o] !== 0 && (!masked || gate[o] > 0);
    const w = on ? sc * want[o] : 0;
    const bound = sc * tol[o] + (masked ? sc * (Math.abs(want[o]) + tol[o]) * U : 0);
    if (on && w > bound) kept++;
    if (!(Math.abs(got[o] - w) <= bound)) bad.push(`${where}: C[${Math.floor(o / s.n)}, ${o % s.n}] = ${got[o]}, want ${w} ± ${bound}`);
  }
  // Enough outputs are kept and clearly nonzero that a wrong mask or a wrong row would show.
  if (kept < want.length / 10) bad.push(`${where}: only ${kept} of ${want.length} outputs are checked away from zero`);
  return bad;
}

describe('generated matmul entry points: every TM of every layout, epilogues and transposes', () => {
  const rt = useRuntime();
  const kernels: MatmulKernel[] = ['vec4', 'scalar', 'strided', 'block', 'tiled'];
  for (const kernel of kernels) {
    const tms = MATMUL_TMS[matmulTemplateOf(kernel)].filter((tm) => hasMatmulEntry(kernel, tm));
    const what = kernel === 'tiled' || kernel === 'block' ? 'bias + ReLU' : 'bias, ReLU, dropout mask and gate';
    for (const tm of tms) {
      it(`${kernel} TM=${tm}: ${what}, against f64 and the CPU mask`, async () => {
        expect(await checkTm(rt(), kernel, tm, 1000 + 10 * tm)).toEqual([]);
      });
    }
  }
});
