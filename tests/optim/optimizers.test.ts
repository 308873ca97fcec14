/**
 * The optimizer aliases (engine/optim/optimizers.ts: chains on shaders/update_chain.wgsl) against the
 * f64 CPU references of ./reference.ts, for several steps with fresh random gradients each step:
 * SGD, momentum, Adam and AdamW with α = 0, a global α (biases excluded, a spec override), and
 * per-layer α. The tolerance is the per-element f32 error budget of ./reference.ts (a few roundings
 * of relative size 2⁻²⁴ per step; ratio ≤ 1 means within it). Also checked: one dispatch per step,
 * the per-tensor path and every vec4s-per-invocation give bit-identical results, padding never
 * changes, biases are not decayed,
 * the learning rate can change between steps, and memory stays flat over many steps.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../engine/index';
import { ParamArena, type ArenaParam, type ParamSpec, type PerParam } from '../../engine/optim/arena';
import { Adam, AdamW, Momentum, SGD, type AdamOptions } from '../../engine/optim/optimizers';
import { randomArray, useRuntime } from '../helpers/gpu';
import { refParam, refStep, worstRatio, type RefHyper, type Rule } from './reference';

const SPECS: ParamSpec[] = [
  { name: 'fc1.weight', shape: [37, 19], role: 'weight', layer: 1 },
  { name: 'fc1.bias', shape: [19], role: 'bias', layer: 1 },
  { name: 'fc2.weight', shape: [19, 5], role: 'weight', layer: 2 },
  { name: 'fc2.bias', shape: [5], role: 'bias', layer: 2 },
  { name: 'emb', shape: [3, 7], role: 'weight', layer: 'emb', l2: 0.05 },
];

const f = Math.fround;

function makeArena(rt: Runtime, seed: number): ParamArena {
  const arena = ParamArena.create(rt, SPECS);
  for (const p of arena.params) arena.setValues(p.name, randomArray(p.size, seed + p.index));
  return arena;
}

/** Writes one random gradient per parameter through its view; returns them by name. */
function writeGrads(rt: Runtime, arena: ParamArena, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of arena.params) {
    const g = randomArray(p.size, seed * 101 + p.index, -2, 2);
    const t = rt.tensor(g, p.shape);
    rt.copy(t, p.grad, p.size * 4);
    t.dispose();
    out.set(p.name, g);
  }
  return out;
}

/** The optimizer of `rule`; `vec4sPerInvocation` defaults to the adapter's. */
function build(rule: Rule, arena: ParamArena, lr: number, alpha: PerParam, vec4sPerInvocation?: number): SGD | Momentum | Adam | AdamW {
  const adam: AdamOptions = { lr, alpha, beta1: 0.9, beta2: 0.999, eps: 1e-8, vec4sPerInvocation };
  if (rule === 'sgd') return new SGD(arena, { lr, alpha, vec4sPerInvocation });
  if (rule === 'momentum') return new Momentum(arena, { lr, alpha, momentum: 0.9, vec4sPerInvocation });
  return rule === 'adam' ? new Adam(arena, adam) : new AdamW(arena, adam);
}

const hyper = (lr: number): RefHyper => ({ lr: f(lr), momentum: f(0.9), beta1: f(0.9), beta2: f(0.999), eps: f(1e-8) });

/** The α each parameter should get, as the test states it (not as the arena computes it). */
const DECAYS: [string, PerParam, (p: ArenaParam) => number][] = [
  ['alpha = 0', () => 0, () => 0],
  ['global alpha, biases excluded, spec override', 0.02, (p) => (p.name === 'emb' ? 0.05 : p.role === 'bias' ? 0 : 0.02)],
  ['per-layer alpha', (p) => (p.layer === 1 ? 0.03 : p.layer === 2 ? 0.01 : 0.5), (p) => (p.name === 'emb' ? 0.5 : p.layer === 1 ? 0.03 : 0.01)],
];

describe('fused optimizer updates', () => {
  const rt = useRuntime();
  const STEPS = 6;

  for (const rule of ['sgd', 'momentum', 'adam', 'adamw'] as Rule[]) {
    for (const [label, decay, expectAlpha] of DECAYS) {
      it(`${rule}, ${label}: ${STEPS} steps match the f64 reference within the f32 budget`, async () => {
        const lr = rule.startsWith('adam') ? 0.01 : 0.1;
        const arena = makeArena(rt(), 7);
        const opt = build(rule, arena, lr, decay);
        const refs = new Map(arena.params.map((p) => [p.name, refParam(randomArray(p.size, 7 + p.index), f(expectAlpha(p)))]));
        for (let t = 1; t <= STEPS; t++) {
          const grads = writeGrads(rt(), arena, t);
          opt.step();
          for (const p of arena.params) refStep(rule, refs.get(p.name)!, grads.get(p.name)!, hyper(lr), t);
        }
        for (const p of arena.params) {
          const got = await p.value.toArray();
          expect(worstRatio(got, refs.get(p.name)!), p.name).toBeLessThanOrEqual(1);
        }
        opt.dispose();
        arena.dispose();
      });
    }
  }

  it('one dispatch per step; the per-tensor path is the same math bit for bit', async () => {
    for (const rule of ['sgd', 'momentum', 'adam', 'adamw'] as Rule[]) {
      const fused = makeArena(rt(), 3);
      const split = makeArena(rt(), 3);
      const a = build(rule, fused, 0.05, 0.01);
      const b = build(rule, split, 0.05, 0.01);
      for (let t = 1; t <= 3; t++) {
        writeGrads(rt(), fused, t);
        writeGrads(rt(), split, t);
        const d0 = rt().workStats().dispatches;
        a.step();
        const d1 = rt().workStats().dispatches;
        b.stepPerTensor();
        const d2 = rt().workStats().dispatches;
        expect(d1 - d0, rule).toBe(1);
        expect(d2 - d1, rule).toBe(SPECS.length);
      }
      // Same kernel, same element-wise arithmetic: the results must agree exactly.
      expect(Array.from(await split.values.toArray()), rule).toEqual(Array.from(await fused.values.toArray()));
      a.dispose();
      b.dispose();
      fused.dispose();
      split.dispose();
    }
  });

  it('every vec4s-per-invocation (VPI 1 to 16) gives the same bits, fused and per tensor', async () => {
    // The adapters here run VPI 2 (lavapipe) and 16 (SwiftShader), the reference tests above at
    // that default; a real GPU gets 1. Each invocation applies the same element-wise arithmetic
    // whatever the run length, so every choice must agree with VPI = 1 exactly.
    for (const rule of ['sgd', 'momentum', 'adam', 'adamw'] as Rule[]) {
      const runs: number[][] = [];
      for (const vpi of [1, 2, 4, 8, 16]) {
        for (const perTensor of [false, true]) {
          const arena = makeArena(rt(), 17);
          const opt = build(rule, arena, 0.05, (p) => (p.role === 'bias' ? 0 : 0.01 * Number(p.index + 1)), vpi);
          expect(opt.vec4sPerInvocation).toBe(vpi);
          for (let t = 1; t <= 3; t++) {
            writeGrads(rt(), arena, t);
            if (perTensor) opt.stepPerTensor();
            else opt.step();
          }
          runs.push(Array.from(await arena.values.toArray()));
          opt.dispose();
          arena.dispose();
        }
      }
      for (const r of runs.slice(1)) expect(r, rule).toEqual(runs[0]);
    }
  });

  it('never changes padding, even with non-zero gradients in the padding', async () => {
    for (const rule of ['sgd', 'momentum', 'adam', 'adamw'] as Rule[]) {
      const arena = makeArena(rt(), 5);
      // Gradients of 1 everywhere, padding included (written through the whole-arena tensor).
      const ones = rt().tensor(new Float32Array(arena.length).fill(1));
      rt().copy(ones, arena.grads);
      ones.dispose();
      const opt = build(rule, arena, 0.1, 0.01);
      for (let t = 0; t < 3; t++) opt.step();
      // The values and every state buffer of the rule, in the arena's layout.
      const states = Object.values(opt.stateTensors());
      for (const buf of [arena.values, ...states]) {
        const all = await buf.toArray();
        let touched = 0;
        for (const p of arena.params) for (let i = p.offset + p.size; i < p.offset + p.paddedSize; i++) if (all[i] !== 0) touched++;
        expect(touched, rule).toBe(0);
      }
      opt.dispose();
      arena.dispose();
    }
  });

  it('biases are not decayed: with zero gradients they stay bit-identical while weights decay', async () => {
    for (const rule of ['sgd', 'momentum', 'adam', 'adamw'] as Rule[]) {
      const arena = makeArena(rt(), 9);
      const before = await arena.values.toArray();
      const opt = build(rule, arena, 0.1, 0.02);
      for (let t = 0; t < 4; t++) opt.step();
      const after = await arena.values.toArray();
      for (const p of arena.params) {
        const slice = (a: Float32Array) => Array.from(a.subarray(p.offset, p.offset + p.size));
        if (p.role === 'bias') {
          expect(slice(after), `${rule} ${p.name}`).toEqual(slice(before));
        } else if (rule === 'sgd') {
          // Four shrinks by (1 − εα) (eq. 7.5 with g = 0); each step rounds twice (shrink factor,
          // product): 4·2 roundings of relative size 2⁻²⁴, bound 16·2⁻²⁴·|w| with slack.
          const shrink = (1 - f(0.1) * f(p.l2 ?? 0.02)) ** 4;
          const b = slice(before);
          slice(after).forEach((x, i) => expect(Math.abs(x - shrink * b[i])).toBeLessThanOrEqual(16 * 2 ** -24 * Math.abs(b[i])));
        } else {
          // Decay is the only force: the weights must follow the f64 reference trajectory of this
          // rule at g = 0 (momentum's velocity built from αw, Adam's coupled αw normalized by its
          // own second moment, AdamW's decoupled shrink) within its f32 budget; and the check can
          // tell, since weights left where they were fall outside that budget.
          const ref = refParam(slice(before), f(p.l2 ?? 0.02));
          const zeros = new Float32Array(p.size);
          for (let t = 1; t <= 4; t++) refStep(rule, ref, zeros, hyper(0.1), t);
          expect(worstRatio(slice(after), ref), `${rule} ${p.name}`).toBeLessThanOrEqual(1);
          expect(worstRatio(slice(before), ref), `${rule} ${p.name}: decay moves the weights`).toBeGreaterThan(1);
        }
      }
      opt.dispose();
      arena.dispose();
    }
  });

  it('reads the learning rate at each step (a schedule changes it between steps)', async () => {
    const arena = makeArena(rt(), 11);
    const opt = new SGD(arena, { lr: 0.1, alpha: 0 });
    // alpha 0: only emb decays, by its spec's own l2 = 0.05.
    const ref = arena.params.map((p) => refParam(randomArray(p.size, 11 + p.index), f(p.l2 ?? 0)));
    for (const [t, lr] of [
      [1, 0.1],
      [2, 0.05],
      [3, 0.025],
    ] as const) {
      opt.lr = lr;
      const grads = writeGrads(rt(), arena, t);
      opt.step();
      arena.params.forEach((p, k) => refStep('sgd', ref[k], grads.get(p.name)!, hyper(lr), t));
    }
    for (const p of arena.params) expect(worstRatio(await p.value.toArray(), ref[p.index]), p.name).toBeLessThanOrEqual(1);
    expect(opt.steps).toBe(3);
    opt.dispose();
    arena.dispose();
  });

  it('keeps live buffers, tensors and bytes flat over 300 steps of zero-grad + AdamW step', async () => {
    const arena = makeArena(rt(), 13);
    const opt = new AdamW(arena, { lr: 1e-3, alpha: 0.01 });
    const loop = async (n: number) => {
      for (let i = 0; i < n; i++) {
        arena.zeroGrads();
        opt.step();
      }
      await rt().sync();
    };
    await loop(5);
    const before = rt().memoryStats();
    await loop(300);
    expect(rt().memoryStats()).toEqual(before);
    opt.dispose();
    arena.dispose();
  });

  it('rejects bad hyper-parameters and coefficients with clear errors', () => {
    const arena = makeArena(rt(), 1);
    expect(() => new SGD(arena, { lr: -1 })).toThrow(/SGD: lr must be in \[0/);
    expect(() => new SGD(arena, { lr: Number.NaN })).toThrow(/lr must be/);
    expect(() => new Momentum(arena, { lr: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => new Adam(arena, { lr: 0.1, beta2: 1.5 })).toThrow(/Adam: beta2/);
    expect(() => new AdamW(arena, { lr: 0.1, eps: 0 })).toThrow(/AdamW: eps/);
    expect(() => new SGD(arena, { lr: 0.1, vec4sPerInvocation: 3 })).toThrow(/SGD: vec4sPerInvocation must be one of 1, 2, 4, 8, 16, got 3/);
    expect(() => new SGD(arena, { lr: 0.1, alpha: -0.1 })).toThrow(/l2 coefficient of fc1.weight is -0.1/);
    expect(() => new SGD(arena, { lr: 0.1, alpha: (p) => (p.role === 'bias' ? Number.POSITIVE_INFINITY : 0) })).toThrow(/fc1.bias is Infinity/);
    arena.dispose();
  });
});
