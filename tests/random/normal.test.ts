/**
 * Normal draws from Philox by Box–Muller: the WGSL library shaders/normal.wgsl and its TypeScript
 * twin engine/random/normal.ts.
 *
 * Oracles:
 * - closed forms of Box–Muller at chosen words (u = 1 gives radius 0; u = 2⁻²⁴ the largest radius
 *   √(48 ln 2); v = 0, ±½, −1 put the draw on an axis), and the twin's own layout (element i is
 *   component i % 4 of counter i / 4), exactly: these are f64 evaluations of the same formula;
 * - on the GPU, the library's sincos_pi and ln_accurate against Math.cos, Math.sin and Math.log
 *   (f64, accurate to well under an f32 ulp) on every 17th of the 2²⁴ arguments the generator can
 *   produce, plus the ends. Bounds: |cos − cos πv|, |sin − sin πv| ≤ 2⁻²² (4 ulps of 1; the
 *   polynomials' truncation is < 2·10⁻⁹ and about six f32 roundings remain; measured ≤ 1.7·2⁻²⁴
 *   on both adapters) and |ln − ln u| ≤ 2⁻²¹·|ln u| (8 ulps; one division of 2.5 ulps, the series'
 *   roundings and the e·ln 2 sum; measured ≤ 3.5·2⁻²⁴).
 */
import { describe, expect, it } from 'vitest';
import { boxMuller, philoxNormal4, standardNormalCpu, uniform24 } from '../../engine/random/normal';
import { philox4x32_10 } from '../../engine/random/philox';
import { ArgumentError } from '../../engine/runtime/errors';
import { useRuntime } from '../helpers/gpu';

const R_MAX = Math.sqrt(48 * Math.LN2);

/** The word whose top 24 bits are k (low bits set, to show they are ignored). */
const word = (k: number): number => ((k << 8) | 0xab) >>> 0;

describe('normal draws: CPU twin', () => {
  it('Box–Muller at chosen words matches the closed form', () => {
    // u = 1 (top bits all ones): radius 0, both draws 0.
    const [a, b] = boxMuller(0xffffffff, word(123));
    expect(Math.abs(a)).toBe(0);
    expect(Math.abs(b)).toBe(0);
    // u = 2⁻²⁴ (top bits zero): the largest radius; v = 0 (k = 2²³): angle 0, so (r, 0).
    const z = boxMuller(0, word(1 << 23));
    expect(z[0]).toBe(Math.fround(R_MAX));
    expect(z[1]).toBe(0);
    // v = −1 (k = 0): angle −π: (−r, −0 up to sin(−π) in f64).
    const w = boxMuller(0, word(0));
    expect(w[0]).toBe(Math.fround(-R_MAX));
    expect(Math.abs(w[1])).toBeLessThan(1e-15);
    // v = −½ (k = 2²²): angle −π/2: (≈0, −r).
    const y = boxMuller(0, word(1 << 22));
    expect(Math.abs(y[0])).toBeLessThan(1e-15);
    expect(y[1]).toBe(Math.fround(-R_MAX));
    expect(uniform24(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniform24(0xff)).toBe(0);
  });

  it('element i of standardNormalCpu is component i % 4 of counter i / 4; every draw is within √(48 ln 2)', () => {
    const key = { seed: 2 ** 40 + 17, offset: 2 ** 33 + 5, stream: 9 };
    const n = 4099;
    const z = standardNormalCpu(n, key);
    const k = [key.seed >>> 0, Math.floor(key.seed / 2 ** 32)] as const;
    for (const q of [0, 1, 500, 1024]) {
      const ctr = [q, 9, key.offset >>> 0, 2] as const;
      const four = philoxNormal4(ctr, k);
      const words = philox4x32_10(ctr, k);
      expect(Array.from(four)).toEqual(Array.from(boxMuller(words[0], words[1])).concat(Array.from(boxMuller(words[2], words[3]))));
      for (let j = 0; j < 4 && 4 * q + j < n; j++) expect(z[4 * q + j]).toBe(four[j]);
    }
    for (const v of z) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(R_MAX));
    // A prefix of a longer run is the shorter run.
    expect(Array.from(standardNormalCpu(10, key))).toEqual(Array.from(z.subarray(0, 10)));
    expect(() => standardNormalCpu(-1, key)).toThrow(ArgumentError);
    expect(() => standardNormalCpu(4, { ...key, seed: -3 })).toThrow(/seed/);
  });
});

describe('normal draws: the WGSL library on the GPU', () => {
  const rt = useRuntime();

  it('sincos_pi is within 2^-22 of cos πv, sin πv and ln_accurate within 2^-21 relative of ln u, over the generator’s whole argument range', async () => {
    const source = `
struct P { n: u32, stride: u32 }
@group(0) @binding(0) var<uniform> params: P;
@group(0) @binding(1) var<storage, read_write> o: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = g.x + g.y * groups.x * 64u;
  if (i >= params.n) { return; }
  let k = min(i * params.stride, 0xFFFFFFu);
  let v = f32(k) * 1.1920928955078125e-7 - 1.0;
  let u = f32(k + 1u) * 5.9604644775390625e-8;
  o[i] = vec4<f32>(sincos_pi(v), ln_accurate(u), 0.0);
}`;
    const kernel = await rt().loadKernel('tests/random/normal-library.wgsl', source, ['philox', 'normal']);
    const stride = 17;
    // Every 17th k, and the last one (k = 2²⁴ − 1: v = 1 − 2⁻²³, u = 1) through the min().
    const n = Math.ceil(2 ** 24 / stride) + 1;
    const out = rt().empty([4 * n]);
    const groups = Math.ceil(n / 64);
    rt().dispatch({
      shader: kernel,
      entry: 'main',
      uniforms: { n, stride },
      bindings: { o: out },
      workgroups: [Math.min(groups, 65535), Math.ceil(groups / 65535)],
    });
    const r = await out.toArray();
    out.dispose();
    let worstTrig = 0;
    let worstLn = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.min(i * stride, 0xffffff);
      const v = k * 2 ** -23 - 1;
      const u = (k + 1) * 2 ** -24;
      worstTrig = Math.max(worstTrig, Math.abs(r[4 * i] - Math.cos(Math.PI * v)), Math.abs(r[4 * i + 1] - Math.sin(Math.PI * v)));
      const ln = Math.log(u);
      worstLn = Math.max(worstLn, ln === 0 ? (r[4 * i + 2] === 0 ? 0 : Infinity) : Math.abs(r[4 * i + 2] - ln) / Math.abs(ln));
    }
    expect(worstTrig).toBeLessThanOrEqual(2 ** -22);
    expect(worstLn).toBeLessThanOrEqual(2 ** -21);
  });

  it('sincos_pi is exact at whole quarter turns (what makes 90° and 180° rotations exact pixel permutations)', async () => {
    const source = `
struct P { n: u32 }
@group(0) @binding(0) var<uniform> params: P;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read_write> o: array<vec2<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < params.n) { o[g.x] = sincos_pi(t[g.x]); }
}`;
    const kernel = await rt().loadKernel('tests/random/sincos-exact.wgsl', source, ['philox', 'normal']);
    const ts = [0, 0.5, -0.5, 1, -1];
    const want = [
      [1, 0],
      [0, 1],
      [0, -1],
      [-1, 0],
      [-1, 0],
    ];
    const t = rt().tensor(ts);
    const out = rt().empty([2 * ts.length]);
    rt().dispatch({ shader: kernel, entry: 'main', uniforms: { n: ts.length }, bindings: { t, o: out }, workgroups: [1] });
    const r = await out.toArray();
    ts.forEach((v, i) =>
      expect(
        [r[2 * i], r[2 * i + 1]].map((c) => c + 0),
        `t = ${v}`,
      ).toEqual(want[i]),
    );
    t.dispose();
    out.dispose();
  });
});
