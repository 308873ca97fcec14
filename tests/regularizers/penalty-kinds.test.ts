/**
 * What the penalty regularizers put in the chain, and what `weightReport` measures, checked
 * directly. Written to kill mutants that survived `npm run mutate`
 * (bench/records/2026-12-07-mutation.md): with SGD, coupled L2 and decoupled decay give the same
 * update, and the tests of the update could not tell which one `l2({ mode })` chose; likewise for
 * `l1({ method })` where no weight crossed zero.
 * - `l2({ mode })` gives a coupled L2 transformation (before the direction) or a decoupled decay
 *   (after it), and says which in its name; `l1({ method })` a proximal step or a subgradient.
 * - `weightReport` against a CPU recomputation from the values written: each parameter's L2 norm,
 *   largest column norm (matrices only), exact zeros and their fraction; `weightZeroFraction`
 *   counts weights only, not biases.
 */
import { describe, expect, it } from 'vitest';
import { ParamArena, type ParamSpec } from '../../engine/index';
import { elasticNet, l1, l2, weightReport, weightZeroFraction } from '../../regularizers/index';
import { useRuntime } from '../helpers/gpu';

describe('penalty kinds and the weight report', () => {
  const rt = useRuntime();

  it('l2 mode and l1 method choose the transformation they name', () => {
    const kinds = (r: { name: string; transforms?: readonly unknown[] }) => ({
      name: r.name,
      kinds: (r.transforms ?? []).map((t) => (t as { kind: string }).kind),
    });
    expect(kinds(l2({ alpha: 0.1 }))).toEqual({ name: 'l2 (coupled)', kinds: ['l2'] });
    expect(kinds(l2({ alpha: 0.1, mode: 'coupled' }))).toEqual({ name: 'l2 (coupled)', kinds: ['l2'] });
    expect(kinds(l2({ alpha: 0.1, mode: 'decoupled' }))).toEqual({ name: 'l2 (decoupled)', kinds: ['decay'] });
    expect(kinds(l1({ alpha: 0.1 }))).toEqual({ name: 'l1 (proximal)', kinds: ['prox'] });
    expect(kinds(l1({ alpha: 0.1, method: 'subgradient' }))).toEqual({ name: 'l1 (subgradient)', kinds: ['l1'] });
    expect(kinds(elasticNet({ l1: 0.1, l2: 0.2 }))).toEqual({ name: 'elastic net', kinds: ['prox', 'l2'] });
    expect(() => l2({ alpha: 0.1, mode: 'both' as never })).toThrow(/l2: mode must be 'coupled' or 'decoupled', got both/);
    expect(() => l1({ alpha: 0.1, method: 'lasso' as never })).toThrow(/l1: method must be 'proximal' or 'subgradient', got lasso/);
  });

  it('weightReport: norms, largest column norms, exact zeros, against the values written; weightZeroFraction counts weights only', async () => {
    const specs: ParamSpec[] = [
      { name: 'fc1.weight', shape: [3, 2], role: 'weight', layer: 1 },
      { name: 'fc1.bias', shape: [2], role: 'bias', layer: 1 },
      { name: 'fc2.weight', shape: [2, 4], role: 'weight', layer: 2 },
    ];
    const values: Record<string, number[]> = {
      'fc1.weight': [3, 0, -4, 1, 0, 2], // columns (3, −4, 0) and (0, 1, 2): norms 5 and √5
      'fc1.bias': [0, 0], // zeros that a weights-only fraction must not count
      'fc2.weight': [1, -2, 0, 0.5, 2, 2, 0, -0.5],
    };
    const arena = ParamArena.create(rt(), specs);
    for (const p of arena.params) arena.setValues(p.name, values[p.name]);
    const report = await weightReport(arena);
    for (const p of arena.params) {
      const v = values[p.name].map(Math.fround);
      const r = report.find((x) => x.name === p.name)!;
      const zeros = v.filter((x) => x === 0).length;
      let maxColumnNorm: number | null = null;
      if (p.shape.length === 2) {
        const [rows, cols] = p.shape;
        maxColumnNorm = Math.max(
          ...Array.from({ length: cols }, (_, j) => Math.sqrt(Array.from({ length: rows }, (_, i) => v[i * cols + j] ** 2).reduce((a, b) => a + b, 0))),
        );
      }
      expect(r, p.name).toEqual({
        name: p.name,
        layer: String(p.layer),
        role: p.role,
        size: v.length,
        norm: Math.sqrt(v.reduce((a, x) => a + x * x, 0)),
        maxColumnNorm,
        zeros,
        zeroFraction: zeros / v.length,
      });
    }
    expect(report.find((r) => r.name === 'fc1.weight')!.maxColumnNorm).toBe(5);
    // 2 zeros in fc1.weight and 2 in fc2.weight, over 6 + 8 weights; the bias's 2 zeros not counted.
    expect(weightZeroFraction(report)).toBe(4 / 14);
    arena.dispose();
  });
});
