/**
 * Chained gradient transformations (engine/optim/chain.ts, shaders/update_chain.wgsl) against f64
 * CPU references: the chains that equal the fixed rules (coupled L2 + sgd/momentum/adam, adam +
 * decoupled decay) against ./reference.ts within its f32 error budget; L1 by subgradient, proximal
 * L1 after momentum and global-norm clipping against a direct f64 computation of the same steps
 * (tolerance: a few f32 roundings of the quantities involved, stated at each check); the exact
 * zeros of the proximal step; coefficients changed mid-training with the state kept; one dispatch
 * per step for the common chains; selection by role, layer and name; and clear errors.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../engine/index';
import { ParamArena, type ParamSpec } from '../../engine/optim/arena';
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  coupledL2,
  decoupledWeightDecay,
  l1Subgradient,
  momentum,
  proximalL1,
  sgd,
  type Chain,
} from '../../engine/optim/chain';
import { randomArray, useRuntime } from '../helpers/gpu';
import { refParam, refStep, worstRatio, type RefHyper, type Rule } from './reference';

const SPECS: ParamSpec[] = [
  { name: 'fc1.weight', shape: [37, 19], role: 'weight', layer: 'fc1' },
  { name: 'fc1.bias', shape: [19], role: 'bias', layer: 'fc1' },
  { name: 'fc2.weight', shape: [19, 5], role: 'weight', layer: 'fc2' },
  { name: 'fc2.bias', shape: [5], role: 'bias', layer: 'fc2' },
];

const f = Math.fround;

function makeArena(rt: Runtime, seed: number): ParamArena {
  const arena = ParamArena.create(rt, SPECS);
  for (const p of arena.params) arena.setValues(p.name, randomArray(p.size, seed + p.index));
  return arena;
}

function writeGrads(rt: Runtime, arena: ParamArena, seed: number, scale = 2): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of arena.params) {
    const g = randomArray(p.size, seed * 101 + p.index, -scale, scale);
    const t = rt.tensor(g, p.shape);
    rt.copy(t, p.grad, p.size * 4);
    t.dispose();
    out.set(p.name, g);
  }
  return out;
}

const hyper = (lr: number): RefHyper => ({ lr: f(lr), momentum: f(0.9), beta1: f(0.9), beta2: f(0.999), eps: f(1e-8) });

describe('chained gradient transformations', () => {
  const rt = useRuntime();
  const STEPS = 5;

  const cases: [string, Rule, (lr: number) => Chain][] = [
    ['coupledL2 + sgd', 'sgd', (lr) => chain(coupledL2({ alpha: 0.02 }), sgd({ lr }))],
    ['coupledL2 + momentum', 'momentum', (lr) => chain(coupledL2({ alpha: 0.02 }), momentum({ lr, momentum: 0.9 }))],
    ['coupledL2 + adam', 'adam', (lr) => chain(coupledL2({ alpha: 0.02 }), adam({ lr }))],
    ['adamw (adam + decoupled decay)', 'adamw', (lr) => adamw({ lr, alpha: 0.02 })],
  ];
  for (const [label, rule, make] of cases) {
    it(`${label}: ${STEPS} steps match the fixed rule's f64 reference within its f32 budget`, async () => {
      const lr = rule.startsWith('adam') ? 0.01 : 0.1;
      const arena = makeArena(rt(), 7);
      const opt = make(lr).init(arena);
      const refs = new Map(arena.params.map((p) => [p.name, refParam(randomArray(p.size, 7 + p.index), p.role === 'weight' ? f(0.02) : 0)]));
      for (let t = 1; t <= STEPS; t++) {
        const grads = writeGrads(rt(), arena, t);
        const d0 = rt().workStats().dispatches;
        opt.step();
        expect(rt().workStats().dispatches - d0).toBe(1);
        for (const p of arena.params) refStep(rule, refs.get(p.name)!, grads.get(p.name)!, hyper(lr), t);
      }
      for (const p of arena.params) expect(worstRatio(await p.value.toArray(), refs.get(p.name)!), p.name).toBeLessThanOrEqual(1);
      opt.dispose();
      arena.dispose();
    });
  }

  it('L1 by subgradient adds α·sign(w); proximal L1 after momentum gives exact zeros where the f64 step does', async () => {
    const lr = 0.05;
    const alpha = 0.5;
    for (const kind of ['subgradient', 'proximal'] as const) {
      const arena = makeArena(rt(), 11);
      const opt = (kind === 'subgradient' ? chain(l1Subgradient({ alpha }), sgd({ lr })) : chain(momentum({ lr, momentum: 0.9 }), proximalL1({ alpha }))).init(
        arena,
      );
      const w = new Map(arena.params.map((p) => [p.name, Float64Array.from(randomArray(p.size, 11 + p.index))]));
      const u = new Map(arena.params.map((p) => [p.name, new Float64Array(p.size)]));
      for (let t = 1; t <= 3; t++) {
        const grads = writeGrads(rt(), arena, t, 0.3);
        opt.step();
        for (const p of arena.params) {
          const a = p.role === 'weight' ? alpha : 0;
          const wp = w.get(p.name)!;
          const up = u.get(p.name)!;
          const g = grads.get(p.name)!;
          for (let i = 0; i < p.size; i++) {
            if (kind === 'subgradient') {
              wp[i] -= f(lr) * (g[i] + a * Math.sign(wp[i]));
            } else {
              up[i] = f(0.9) * up[i] + g[i];
              const v = wp[i] - f(lr) * up[i];
              const tau = f(lr) * a;
              wp[i] = Math.sign(v) * Math.max(Math.abs(v) - tau, 0);
            }
          }
        }
      }
      let zeros = 0;
      let refZeros = 0;
      for (const p of arena.params) {
        const got = await p.value.toArray();
        const want = w.get(p.name)!;
        for (let i = 0; i < p.size; i++) {
          // A few f32 roundings per step on values of order 1, over 3 steps: 1e-5 absolute.
          expect(Math.abs(got[i] - want[i]), `${kind} ${p.name}[${i}]`).toBeLessThanOrEqual(1e-5);
          if (got[i] === 0) {
            zeros++;
            // +0.0, never −0.0 (as the soft-threshold kernel).
            expect(Object.is(got[i], 0), `${kind} ${p.name}[${i}] is -0`).toBe(true);
          }
          if (want[i] === 0) refZeros++;
        }
      }
      if (kind === 'proximal') {
        expect(refZeros).toBeGreaterThan(20);
        // A reference zero within rounding of the threshold may land either side on the GPU: allow 2.
        expect(zeros).toBeGreaterThanOrEqual(refZeros - 2);
      } else {
        expect(zeros).toBe(0);
      }
      opt.dispose();
      arena.dispose();
    }
  });

  it('clipByGlobalNorm scales the whole gradient to the norm when it is larger, not when smaller', async () => {
    for (const maxNorm of [1, 1e6]) {
      const arena = makeArena(rt(), 5);
      const before = new Map<string, Float32Array>();
      for (const p of arena.params) before.set(p.name, await p.value.toArray());
      const opt = chain(clipByGlobalNorm({ maxNorm }), sgd({ lr: 0.1 })).init(arena);
      const grads = writeGrads(rt(), arena, 3);
      let sq = 0;
      for (const g of grads.values()) for (const x of g) sq += x * x;
      const c = Math.min(1, maxNorm / Math.sqrt(sq));
      const d0 = rt().workStats().dispatches;
      opt.step();
      // The norm: one squaring-and-summing pass per 2,048-fold shrink of the arena, then the update.
      expect(rt().workStats().dispatches - d0).toBe(opt.dispatchesPerStep);
      expect(opt.dispatchesPerStep).toBe(1 + Math.ceil(Math.log(arena.length) / Math.log(2048)));
      for (const p of arena.params) {
        const got = await p.value.toArray();
        const w0 = before.get(p.name)!;
        const g = grads.get(p.name)!;
        // The norm is an f32 sum of ~900 squares (relative error ≲ 1e-5): 1e-6 absolute on steps of ≤ 0.2.
        for (let i = 0; i < p.size; i++) expect(Math.abs(got[i] - (w0[i] - 0.1 * c * g[i])), p.name).toBeLessThanOrEqual(1e-6);
      }
      opt.dispose();
      arena.dispose();
    }
  });

  it('a coefficient or the learning rate changed mid-training takes effect and keeps the momentum state', async () => {
    const arena = makeArena(rt(), 21);
    const l2 = coupledL2({ alpha: 0.01 });
    const dir = momentum({ lr: 0.1, momentum: 0.9 });
    const opt = chain(l2, dir).init(arena);
    const refs = new Map(arena.params.map((p) => [p.name, refParam(randomArray(p.size, 21 + p.index), p.role === 'weight' ? f(0.01) : 0)]));
    for (let t = 1; t <= 6; t++) {
      if (t === 4) {
        l2.alpha = 0.2;
        opt.lr = 0.05;
        for (const p of arena.params) refs.get(p.name)!.alpha = p.role === 'weight' ? f(0.2) : 0;
      }
      const grads = writeGrads(rt(), arena, t);
      opt.step();
      for (const p of arena.params) refStep('momentum', refs.get(p.name)!, grads.get(p.name)!, hyper(t >= 4 ? 0.05 : 0.1), t);
    }
    expect(opt.coefficients('l2').get('fc1.weight')).toBe(0.2);
    for (const p of arena.params) expect(worstRatio(await p.value.toArray(), refs.get(p.name)!), p.name).toBeLessThanOrEqual(1);
    opt.dispose();
    arena.dispose();
  });

  it('selects parameters by role, layer and name; per-layer coefficients; penalties of one kind add up', () => {
    const arena = makeArena(rt(), 1);
    const opt = chain(
      coupledL2({ alpha: { byLayer: { fc1: 0.1, fc2: 0.3 } } }),
      coupledL2({ alpha: 0.01, include: 'bias', exclude: { layer: 'fc2' } }),
      sgd({ lr: 0.1 }),
      decoupledWeightDecay({ alpha: 0.5, include: /fc2\./ }),
      proximalL1({ alpha: 0.2, include: { name: 'fc1.weight' } }),
    ).init(arena);
    expect(Object.fromEntries(opt.coefficients('l2'))).toEqual({ 'fc1.weight': 0.1, 'fc1.bias': 0.01, 'fc2.weight': 0.3, 'fc2.bias': 0 });
    expect(Object.fromEntries(opt.coefficients('decay'))).toEqual({ 'fc1.weight': 0, 'fc1.bias': 0, 'fc2.weight': 0.5, 'fc2.bias': 0.5 });
    expect(Object.fromEntries(opt.coefficients('prox'))).toEqual({ 'fc1.weight': 0.2, 'fc1.bias': 0, 'fc2.weight': 0, 'fc2.bias': 0 });
    opt.dispose();
    arena.dispose();
  });

  it('refuses bad input with a message naming the value', () => {
    const arena = makeArena(rt(), 1);
    expect(() => coupledL2({ alpha: -1 })).toThrow(/alpha must be a finite number ≥ 0, got -1/);
    expect(() => sgd({ lr: Number.NaN })).toThrow(/lr must be a finite number ≥ 0, got NaN/);
    expect(() => momentum({ lr: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\), got 1/);
    expect(() => clipByGlobalNorm({ maxNorm: 0 })).toThrow(/maxNorm must be a finite number > 0, got 0/);
    expect(() => chain(sgd({ lr: 1 }), adam({ lr: 1 }))).toThrow(/2 update directions/);
    expect(() => chain(coupledL2({ alpha: 1 })).init(arena)).toThrow(/no update direction/);
    expect(() => chain(coupledL2({ alpha: { byLayer: { fc9: 1 } } }), sgd({ lr: 1 })).init(arena)).toThrow(/unknown layer "fc9"/);
    expect(() => chain(coupledL2({ alpha: 1, exclude: { layer: 'conv1' } }), sgd({ lr: 1 })).init(arena)).toThrow(/unknown layer "conv1"/);
    expect(() => chain(l1Subgradient({ alpha: 1 }), sgd({ lr: 1 }), proximalL1({ alpha: 1 })).init(arena)).toThrow(/both by subgradient and proximal/);
    arena.dispose();
  });
});
