/**
 * ProximalL1 (engine/optim/optimizers.ts, the chain sgd → proximalL1): the L1 proximal step
 * w ← prox_{ε·α}(w − ε·g) over a whole parameter arena in one dispatch (shaders/update_chain.wgsl), with
 * per-layer α and biases taking a plain gradient step. Against the closed form on inputs that are
 * exact in f32 (multiples of 1/64, ε = 1/4, α multiples of 1/8), so results must match bit for bit,
 * including steps that land exactly on ±τ (which must give +0).
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../engine/index';
import { ParamArena, type ArenaParam, type ParamSpec } from '../../engine/optim/arena';
import { ProximalL1 } from '../../engine/optim/optimizers';
import { useRuntime } from '../helpers/gpu';

const SPECS: ParamSpec[] = [
  { name: 'w1', shape: [23, 9], role: 'weight', layer: 1 },
  { name: 'b1', shape: [9], role: 'bias', layer: 1 },
  { name: 'w2', shape: [9, 3], role: 'weight', layer: 2 },
  { name: 'b2', shape: [3], role: 'bias', layer: 2 },
];

const prox = (x: number, tau: number): number => (Math.abs(x) > tau ? Math.sign(x) * (Math.abs(x) - tau) : 0);

/** Multiples of 1/64 in [−1, 1], cycling. */
const dyadic = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i * 37 + seed * 11) % 129) - 64) / 64);

function setup(rt: Runtime): { arena: ParamArena; w: Map<string, Float32Array>; g: Map<string, Float32Array> } {
  const arena = ParamArena.create(rt, SPECS);
  const w = new Map<string, Float32Array>();
  const g = new Map<string, Float32Array>();
  for (const p of arena.params) {
    w.set(p.name, dyadic(p.size, p.index));
    // Gradients that are multiples of 1/16, so ε·g = g/4 is a multiple of 1/64.
    g.set(
      p.name,
      Float32Array.from(dyadic(p.size, p.index + 5), (x) => Math.round(x * 16) / 16),
    );
    arena.setValues(p.name, w.get(p.name)!);
    const t = rt.tensor(g.get(p.name)!);
    rt.copy(t, p.grad, p.size * 4);
    t.dispose();
  }
  return { arena, w, g };
}

describe('ProximalL1 over the arena', () => {
  const rt = useRuntime();

  // Every vec4s-per-invocation the kernel can be built with (the adapters here use 2 and 16).
  for (const vpi of [1, 2, 4, 8, 16])
    it(`one dispatch; weights get prox_{εα}(w − εg) exactly, per layer; biases a plain step; padding untouched (VPI ${vpi})`, async () => {
      const { arena, w, g } = setup(rt());
      const lr = 0.25;
      const alphaOf = (p: ArenaParam) => (p.role === 'bias' ? 0 : p.layer === 1 ? 0.5 : 0.25);
      const opt = new ProximalL1(arena, { lr, alpha: alphaOf, vec4sPerInvocation: vpi });
      const d0 = rt().workStats().dispatches;
      opt.step();
      expect(rt().workStats().dispatches - d0).toBe(1);
      const all = await arena.values.toArray();
      let zeros = 0;
      let atTau = 0;
      for (const p of arena.params) {
        const got = all.subarray(p.offset, p.offset + p.size);
        const w0 = w.get(p.name)!;
        const g0 = g.get(p.name)!;
        for (let i = 0; i < p.size; i++) {
          const want = prox(w0[i] - lr * g0[i], lr * alphaOf(p));
          if (p.role === 'weight' && Math.abs(w0[i] - lr * g0[i]) === lr * alphaOf(p)) atTau++;
          if (want === 0) {
            zeros++;
            expect(Object.is(got[i], 0), `${p.name}[${i}] = ${got[i]} should be +0`).toBe(true);
          } else {
            expect(got[i], `${p.name}[${i}]`).toBe(want);
          }
        }
        for (let i = p.offset + p.size; i < p.offset + p.paddedSize; i++) expect(all[i]).toBe(0);
      }
      expect(zeros).toBeGreaterThan(0);
      expect(atTau).toBeGreaterThan(0);
      opt.dispose();
      arena.dispose();
    });

  it('a global α leaves the biases out by default, and the per-tensor path gives the same bits', async () => {
    const a = setup(rt());
    const b = setup(rt());
    const fused = new ProximalL1(a.arena, { lr: 0.25, alpha: 0.375 });
    const split = new ProximalL1(b.arena, { lr: 0.25, alpha: 0.375 });
    fused.step();
    split.stepPerTensor();
    const got = await a.arena.values.toArray();
    expect(Array.from(await b.arena.values.toArray())).toEqual(Array.from(got));
    for (const p of a.arena.params.filter((q) => q.role === 'bias')) {
      const w0 = a.w.get(p.name)!;
      const g0 = a.g.get(p.name)!;
      expect(Array.from(got.subarray(p.offset, p.offset + p.size))).toEqual(Array.from(w0, (x, i) => x - 0.25 * g0[i]));
    }
    for (const o of [fused, split]) o.dispose();
    a.arena.dispose();
    b.arena.dispose();
  });
});
