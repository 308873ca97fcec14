/**
 * The chain applies its transforms in the order the caller wrote (engine/optim/chain.ts,
 * engine/optim/program.ts, shaders/update_chain.wgsl). Pairs of orders that differ are run side by
 * side, each against the f64 trajectory of its own order (./reference.ts, refChainStep) within the
 * per-element f32 error budget of ./reference.ts (ratio ≤ 1); each pair is also checked to give
 * results farther apart than that budget, so a kernel that ignored the order could not pass both.
 * Also: penalties of one kind before the direction add up, a decay–prox–decay chain uses three slots,
 * chainWith places a regularizer's transforms, a step compiles nothing after the first, and every
 * refused order names the order.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../engine/index';
import { ParamArena, type ParamSpec } from '../../engine/optim/arena';
import {
  adam,
  chain,
  chainWith,
  clipByGlobalNorm,
  coupledL2,
  customTransform,
  decoupledWeightDecay,
  l1Subgradient,
  momentum,
  proximalL1,
  sgd,
  type Chain,
} from '../../engine/optim/chain';
import { randomArray, useRuntime } from '../helpers/gpu';
import { refChainStep, refParam, worstRatio, type RefChain, type RefHyper, type RefParam } from './reference';

const SPECS: ParamSpec[] = [
  { name: 'fc1.weight', shape: [29, 13], role: 'weight', layer: 'fc1' },
  { name: 'fc1.bias', shape: [13], role: 'bias', layer: 'fc1' },
  { name: 'fc2.weight', shape: [13, 6], role: 'weight', layer: 'fc2' },
];

const f = Math.fround;
const hyper = (lr: number): RefHyper => ({ lr: f(lr), momentum: f(0.9), beta1: f(0.9), beta2: f(0.999), eps: f(1e-8) });

function makeArena(rt: Runtime, seed: number): ParamArena {
  const arena = ParamArena.create(rt, SPECS);
  for (const p of arena.params) arena.setValues(p.name, randomArray(p.size, seed + p.index));
  return arena;
}

/** Writes the same random gradients into each arena; returns them by name. */
function writeGrads(rt: Runtime, arenas: ParamArena[], seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of arenas[0].params) {
    const g = randomArray(p.size, seed * 97 + p.index, -1, 1);
    const t = rt.tensor(g, p.shape);
    for (const a of arenas) rt.copy(t, a.param(p.name).grad, p.size * 4);
    t.dispose();
    out.set(p.name, g);
  }
  return out;
}

/** A case: a chain on the GPU and the same chain stated for the f64 reference (α per parameter). */
interface Order {
  label: string;
  make: () => Chain;
  /** The chain with the α each parameter should get, as the test states it. */
  ref: (name: string) => RefChain;
}

/** Runs each order on its own arena from the same start and gradients; returns the values and the references. */
async function run(rt: Runtime, orders: Order[], lr: number, steps: number): Promise<{ got: Float32Array[]; refs: Map<string, RefParam>[] }> {
  const arenas = orders.map(() => makeArena(rt, 5));
  const opts = orders.map((o, k) => o.make().init(arenas[k]));
  const refs = orders.map(() => new Map(arenas[0].params.map((p) => [p.name, refParam(randomArray(p.size, 5 + p.index), 0)])));
  for (let t = 1; t <= steps; t++) {
    const grads = writeGrads(rt, arenas, t);
    for (const o of opts) o.step();
    orders.forEach((o, k) => {
      for (const p of arenas[0].params) refChainStep(o.ref(p.name), refs[k].get(p.name)!, grads.get(p.name)!, hyper(lr), t);
    });
  }
  const got = await Promise.all(arenas.map((a) => a.values.toArray()));
  opts.forEach((o) => o.dispose());
  arenas.forEach((a) => a.dispose());
  return { got, refs };
}

/** Each order within its own budget; the two orders apart by more than either budget somewhere. */
function checkPair(
  arena: readonly { name: string; offset: number; size: number }[],
  orders: Order[],
  got: Float32Array[],
  refs: Map<string, RefParam>[],
): void {
  let apart = 0;
  for (const p of arena) {
    const slices = got.map((g) => g.subarray(p.offset, p.offset + p.size));
    orders.forEach((o, k) => expect(worstRatio(slices[k], refs[k].get(p.name)!), `${o.label} ${p.name}`).toBeLessThanOrEqual(1));
    const [b0, b1] = refs.map((r) => r.get(p.name)!.budget);
    for (let i = 0; i < p.size; i++) if (Math.abs(slices[0][i] - slices[1][i]) > b0[i] + b1[i]) apart++;
  }
  expect(apart, `${orders[0].label} vs ${orders[1].label}`).toBeGreaterThanOrEqual(10);
}

describe('the chain honours the order written', () => {
  const rt = useRuntime();
  const aWd = f(0.5);
  const aProx = f(5);
  const isWeight = (name: string) => name.endsWith('weight');

  it('chain(coupledL2, momentum) and chain(momentum, decoupledWeightDecay): each its own closed form', async () => {
    const lr = 0.05;
    const orders: Order[] = [
      {
        label: 'coupledL2 → momentum',
        make: () => chain(coupledL2({ alpha: 0.5 }), momentum({ lr, momentum: 0.9 })),
        ref: (name) => ({ pre: [{ kind: 'l2', alpha: isWeight(name) ? aWd : 0 }], rule: 'momentum', post: [] }),
      },
      {
        label: 'momentum → decoupledWeightDecay',
        make: () => chain(momentum({ lr, momentum: 0.9 }), decoupledWeightDecay({ alpha: 0.5 })),
        ref: (name) => ({ pre: [], rule: 'momentum', post: [{ kind: 'decay', alpha: isWeight(name) ? aWd : 0 }] }),
      },
    ];
    const { got, refs } = await run(rt(), orders, lr, 8);
    checkPair(makeLayout(rt()), orders, got, refs);
  });

  it('chain(adam, decoupledWeightDecay, proximalL1) and chain(adam, proximalL1, decoupledWeightDecay): each its own closed form', async () => {
    const lr = 0.01;
    const decay = { kind: 'decay', alpha: 0 } as const;
    const orders: Order[] = [
      {
        label: 'adam → decay → prox',
        make: () => chain(adam({ lr }), decoupledWeightDecay({ alpha: aWd }), proximalL1({ alpha: aProx })),
        ref: (name) => ({
          pre: [],
          rule: 'adam',
          post: [
            { ...decay, alpha: isWeight(name) ? aWd : 0 },
            { kind: 'prox', alpha: isWeight(name) ? aProx : 0 },
          ],
        }),
      },
      {
        label: 'adam → prox → decay',
        make: () => chain(adam({ lr }), proximalL1({ alpha: aProx }), decoupledWeightDecay({ alpha: aWd })),
        ref: (name) => ({
          pre: [],
          rule: 'adam',
          post: [
            { kind: 'prox', alpha: isWeight(name) ? aProx : 0 },
            { ...decay, alpha: isWeight(name) ? aWd : 0 },
          ],
        }),
      },
    ];
    const { got, refs } = await run(rt(), orders, lr, 6);
    checkPair(makeLayout(rt()), orders, got, refs);
    // Only the order that ends on the threshold leaves exact zeros; the decay after it moves them off zero.
    const layout = makeLayout(rt());
    const zeros = got.map((g) =>
      layout.filter((p) => p.name.endsWith('weight')).reduce((n, p) => n + g.subarray(p.offset, p.offset + p.size).filter((x) => x === 0).length, 0),
    );
    expect(zeros[0]).toBeGreaterThan(0);
    expect(zeros[1]).toBe(0);
  });

  it('clip, then penalties of one kind adding up, then decay, prox, decay in three slots', async () => {
    const lr = 0.1;
    const maxNorm = 1e6; // c = 1: the clip is in the program but lets the gradient through
    const orders: Order[] = [
      {
        label: 'clip → l2 → l1 → l2 → sgd → decay → prox → decay',
        make: () =>
          chain(
            clipByGlobalNorm({ maxNorm }),
            coupledL2({ alpha: 0.25 }),
            l1Subgradient({ alpha: 0.01, include: { layer: 'fc2' } }),
            coupledL2({ alpha: 0.25 }),
            sgd({ lr }),
            decoupledWeightDecay({ alpha: 0.5 }),
            proximalL1({ alpha: 0.02, include: { name: 'fc1.weight' } }),
            decoupledWeightDecay({ alpha: 0.5 }),
          ),
        ref: (name) => {
          const a = (x: number) => (isWeight(name) ? f(x) : 0);
          return {
            pre: [
              { kind: 'l2', alpha: a(0.5) },
              { kind: 'l1', alpha: name === 'fc2.weight' ? f(0.01) : 0 },
            ],
            rule: 'sgd',
            post: [
              { kind: 'decay', alpha: a(0.5) },
              { kind: 'prox', alpha: name === 'fc1.weight' ? f(0.02) : 0 },
              { kind: 'decay', alpha: a(0.5) },
            ],
          };
        },
      },
      {
        label: 'l2 → sgd → decay → decay → prox',
        make: () =>
          chain(
            coupledL2({ alpha: 0.5 }),
            sgd({ lr }),
            decoupledWeightDecay({ alpha: 0.5 }),
            decoupledWeightDecay({ alpha: 0.5 }),
            proximalL1({ alpha: 0.02 }),
          ),
        ref: (name) => ({
          pre: [{ kind: 'l2', alpha: isWeight(name) ? f(0.5) : 0 }],
          rule: 'sgd',
          post: [
            { kind: 'decay', alpha: isWeight(name) ? f(1) : 0 },
            { kind: 'prox', alpha: isWeight(name) ? f(0.02) : 0 },
          ],
        }),
      },
    ];
    const { got, refs } = await run(rt(), orders, lr, 5);
    checkPair(makeLayout(rt()), orders, got, refs);
  });

  it('a second step compiles nothing; chainWith puts each transform where its kind acts', () => {
    const arena = makeArena(rt(), 1);
    const opt = chain(coupledL2({ alpha: 0.1 }), momentum({ lr: 0.1 }), proximalL1({ alpha: 0.1 })).init(arena);
    opt.step();
    const before = rt().workStats().pipelines;
    opt.step();
    expect(rt().workStats().pipelines).toBe(before);
    opt.dispose();
    const l2 = coupledL2({ alpha: 0.1 });
    const prox = proximalL1({ alpha: 0.1 });
    const clip = clipByGlobalNorm({ maxNorm: 1 });
    const dir = adam({ lr: 0.1 });
    const decay = decoupledWeightDecay({ alpha: 0.1 });
    expect(chainWith(chain(dir, decay), [prox, l2, clip]).transforms).toEqual([clip, l2, dir, decay, prox]);
    const own = customTransform('own', () => undefined);
    const theirs = customTransform('theirs', () => undefined);
    const l1 = l1Subgradient({ alpha: 0.1 });
    expect(chainWith(chain(own, clip, l2, dir), [decay, l1, theirs]).transforms).toEqual([own, theirs, clip, l2, l1, dir, decay]);
    arena.dispose();
  });

  it('refuses every order that would give a name two meanings, naming the order', () => {
    const lr = { lr: 0.1 };
    const cases: [() => unknown, RegExp][] = [
      [
        () => chain(coupledL2({ alpha: 1 }), clipByGlobalNorm({ maxNorm: 1 }), sgd(lr)),
        /clipByGlobalNorm comes after coupledL2.*order given: coupledL2 → clipByGlobalNorm → sgd/,
      ],
      [() => chain(sgd(lr), clipByGlobalNorm({ maxNorm: 1 })), /clipByGlobalNorm comes after sgd/],
      [() => chain(sgd(lr), coupledL2({ alpha: 1 })), /coupledL2 comes after the direction sgd.*use decoupledWeightDecay.*order given: sgd → coupledL2/],
      [() => chain(adam(lr), l1Subgradient({ alpha: 1 })), /l1Subgradient comes after the direction adam.*before the direction.*proximalL1/],
      [
        () => chain(decoupledWeightDecay({ alpha: 1 }), momentum(lr)),
        /decoupledWeightDecay comes before the direction.*use coupledL2.*order given: decoupledWeightDecay → momentum/,
      ],
      [() => chain(proximalL1({ alpha: 1 }), sgd(lr)), /proximalL1 comes before the direction.*put it after the direction/],
      [
        () =>
          chain(
            coupledL2({ alpha: 1 }),
            customTransform('noise', () => undefined),
            sgd(lr),
          ),
        /customTransform "noise" comes after coupledL2.*come first/,
      ],
      [
        () => chain(sgd(lr), ...[0, 1, 2, 3, 4].map((k) => (k % 2 ? proximalL1({ alpha: 1 }) : decoupledWeightDecay({ alpha: 1 })))),
        /5 alternating runs of decoupledWeightDecay and proximalL1.*has 4/,
      ],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    // A part without a direction is accepted; its order is checked once the direction is there.
    const part = chain(decoupledWeightDecay({ alpha: 1 }));
    expect(() => chain(part, sgd(lr))).toThrow(/decoupledWeightDecay comes before the direction/);
    expect(() => chain(sgd(lr), part)).not.toThrow();
  });
});

/** The arena layout of SPECS (offsets and sizes), from a throw-away arena. */
function makeLayout(rt: Runtime): { name: string; offset: number; size: number }[] {
  const a = ParamArena.create(rt, SPECS);
  const out = a.params.map((p) => ({ name: p.name, offset: p.offset, size: p.size }));
  a.dispose();
  return out;
}
