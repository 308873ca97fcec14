/**
 * The matmul tunable's cache hash follows its code (engine/tune/matmul.ts): the generated WGSL and
 * what the plan code (`planBlocking`) makes of every candidate on the probe shapes. A plan that
 * differs anywhere the probes reach, or a changed kernel text, gives another hash (stale cached
 * choices); the same code gives the same hash. And the op consults only a registered tunable.
 */
import { describe, expect, it } from 'vitest';
import { planBlocking, type MatmulBlocking, type MatmulPlan, type MatmulShape } from '../../engine/ops/matmul-kernels';
import { MATMUL_CANDIDATES, MATMUL_WGSL, matmulPlanSource, matmulTunable } from '../../engine/tune/matmul';
import { chooseOn, tunable, tunableHash } from '../../engine/tune/tuner';
import { useRuntime } from '../helpers/gpu';

type Plan = (shape: MatmulShape, blk: MatmulBlocking, maxStorage: number) => MatmulPlan;

const hashOf = (plan: Plan = planBlocking, wgsl: string = MATMUL_WGSL): string =>
  tunableHash({ source: matmulPlanSource(plan, wgsl), allCandidates: MATMUL_CANDIDATES });

/** `planBlocking` with `change` applied to the plans it makes where `when` holds. */
const altered =
  (when: (shape: MatmulShape, plan: MatmulPlan) => boolean, change: (plan: MatmulPlan) => MatmulPlan): Plan =>
  (shape, blk, maxStorage) => {
    const p = planBlocking(shape, blk, maxStorage);
    return when(shape, p) ? change(p) : p;
  };

describe('the matmul tunable hash', () => {
  it('is the same for the same plan code and kernels, and is what the registered tunable carries', () => {
    expect(hashOf()).toBe(hashOf());
    expect(hashOf()).toBe(tunableHash(matmulTunable));
    // A plan function with the same results (another function object) keeps the hash.
    expect(hashOf((s, b, m) => planBlocking(s, b, m))).toBe(hashOf());
    expect(matmulTunable.source).not.toMatch(/plan \d+\n/);
  });

  it('changes with any change of the plans the probes reach', () => {
    const base = hashOf();
    const changes: [string, Plan][] = [
      [
        'the grid of the tiled kernels',
        altered(
          (_s, p) => p.shader === 'matmul_tiled',
          (p) => ({ ...p, workgroups: [p.workgroups[0] * 2, p.workgroups[1], p.workgroups[2]] }),
        ),
      ],
      [
        'the workgroup size for few columns',
        altered(
          (s, p) => s.n <= 12 && p.shader === 'matmul',
          (p) => ({ ...p, WG: p.WG * 2 }),
        ),
      ],
      [
        'the epilogue fallback of masked products',
        altered(
          (s) => !!s.mask,
          (p) => ({ ...p, TM: 8 }),
        ),
      ],
      [
        'the z split of many row blocks',
        altered(
          (_s, p) => p.workgroups[2] > 1,
          (p) => ({ ...p, workgroups: [p.workgroups[0], p.workgroups[1] + 1, p.workgroups[2]] }),
        ),
      ],
      [
        'the override constants',
        altered(
          (s) => s.transA && !!s.transB,
          (p) => ({ ...p, overrides: { ...p.overrides, EXTRA: 1 } }),
        ),
      ],
      ['a refusal', (s, b, m) => (b.kernel === 'vec4' && s.n % 4 !== 0 ? planBlocking(s, { ...b, kernel: 'scalar' }, m) : planBlocking(s, b, m))],
    ];
    const hashes = changes.map(([, plan]) => hashOf(plan));
    for (const [i, h] of hashes.entries()) expect(h, changes[i][0]).not.toBe(base);
    expect(new Set(hashes).size).toBe(changes.length);
  });

  it('changes with the kernels: one character of the generated WGSL', () => {
    const i = MATMUL_WGSL.indexOf('fn ');
    const wgsl = `${MATMUL_WGSL.slice(0, i)}fn  ${MATMUL_WGSL.slice(i + 3)}`;
    expect(wgsl).not.toBe(MATMUL_WGSL);
    expect(hashOf(planBlocking, wgsl)).not.toBe(hashOf());
  });
});

describe('tunable registration', () => {
  const rt = useRuntime();

  it('the matmul tunable is registered where it is defined', () => {
    expect(tunable('matmul')).toBe(matmulTunable);
    expect(() => tunable('no-such-kernel')).toThrow(/no tunable named "no-such-kernel" is registered \(registered: .*matmul/);
  });

  it('a kernel call refuses a tunable that is not registered, naming it, instead of falling back', () => {
    const shape: MatmulShape = { m: 8, n: 8, k: 8, transA: false, transB: false };
    expect(chooseOn(rt(), matmulTunable, shape)).toEqual(matmulTunable.fixed(rt(), shape));
    const copy = { ...matmulTunable, name: 'matmul-copy' };
    expect(() => chooseOn(rt(), copy, shape)).toThrow(/the tunable "matmul-copy" is not registered: call registerTunable where it is defined/);
    const impostor = { ...matmulTunable };
    expect(() => chooseOn(rt(), impostor, shape)).toThrow(/"matmul" is not registered \(another tunable holds its name\)/);
  });
});
