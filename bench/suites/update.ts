/**
 * The optimizer-update suite: one update of every parameter of a 784-512-512-10 MLP (weights
 * 784×512, 512×512, 512×10 and their biases, 669,706 numbers) from gradients already on the GPU,
 * for SGD with coupled L2, for AdamW and for the L1 proximal step w ← prox_{εα}(w − ε·g) (ProximalL1,
 * weights thresholded, biases a plain step), in three implementations on the same adapter:
 *   engine      the fused multi-tensor update: one dispatch over the parameter arena;
 *   per-tensor  the same kernel and math dispatched once per parameter (6 dispatches);
 *   tfjs-webgpu tfjs's optimizer (`tf.train.sgd` / `tf.train.adam` `applyGradients`), with the
 *               decay written the way a tfjs user would: g + α·w into the gradient for SGD + L2,
 *               and w ← (1 − εα)·w before the Adam step for AdamW (tfjs has no AdamW); tfjs has no
 *               proximal optimizer, so the L1 step is written with tf ops per tensor,
 *               z = w − ε·g, w ← sign(z)·relu(|z| − εα).
 * Unit: ms per update (lower is better); `extra` has GB/s of parameter traffic (what the update must
 * read and write: w, g, w for SGD and the L1 step; w, g, m, v, w, m, v for AdamW) and dispatches
 * per update.
 * Each sample records several updates back to back and waits once; nothing is read back. The
 * implementations are sampled in turn, round after round (see measureRule).
 */
import type * as TF from '@tensorflow/tfjs-core';
import { shapeSize, type Runtime } from '../../engine/index';
import { ParamArena, type ParamSpec } from '../../engine/optim/arena';
import { AdamW, ProximalL1, SGD } from '../../engine/optim/optimizers';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { itersFor, measureGpu, median, sampleCalls } from '../timing';
import { GpuWorkTally } from '../gpu-work';
import type { BenchContext, BenchRow, BenchSuite } from '../types';
import { uniformValues } from '../data';

/** The rules measured, and the bytes each must move per parameter (reads + writes of f32). */
const RULES = [
  { name: 'sgd+l2', bytesPerParam: 12 },
  { name: 'adamw', bytesPerParam: 28 },
  { name: 'l1-prox', bytesPerParam: 12 },
] as const;

type RuleName = (typeof RULES)[number]['name'];

/** Learning rate and decay coefficient of both rules (values do not change the cost). */
const LR = 1e-3;
const DECAY = 1e-4;

/** Weight and bias specs of an MLP with these layer widths (input first). */
export function mlpSpecs(layers: readonly number[]): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    specs.push({ name: `fc${l + 1}.weight`, shape: [layers[l], layers[l + 1]], role: 'weight', layer: l + 1 });
    specs.push({ name: `fc${l + 1}.bias`, shape: [layers[l + 1]], role: 'bias', layer: l + 1 });
  }
  return specs;
}

/** Deterministic values in [−0.05, 0.05) (benchmark data only). */
function values(n: number, seed: number): Float32Array {
  return uniformValues(n, seed, -0.05, 0.05);
}

/** One implementation of one rule, ready to be sampled. */
interface Impl {
  impl: string;
  dispatches: number | string;
  /** Runs `iters` updates back to back and waits once; ms per update on the wall (and GPU) clock. */
  sample(): Promise<{ wallMs: number; gpuMs?: number; work: GpuWorkTally }>;
}

/** Implementations that share set-up, and how to free it. */
interface ImplSet {
  impls: Impl[];
  dispose(): void;
}

/** The engine's fused update and its one-dispatch-per-parameter twin, over one arena. */
async function engineImpls(rt: Runtime, specs: ParamSpec[], rule: RuleName): Promise<ImplSet> {
  const arena = ParamArena.create(rt, specs);
  for (const p of arena.params) {
    arena.setValues(p.name, values(p.size, 1 + p.index));
    const g = rt.tensor(values(p.size, 100 + p.index));
    rt.copy(g, p.grad, p.size * 4);
    g.dispose();
  }
  const opt =
    rule === 'adamw'
      ? new AdamW(arena, { lr: LR, alpha: DECAY })
      : rule === 'l1-prox'
        ? new ProximalL1(arena, { lr: LR, alpha: DECAY })
        : new SGD(arena, { lr: LR, alpha: DECAY });
  const make = (impl: string, step: () => void, dispatches: number, iters: number): Impl => ({
    impl,
    dispatches,
    sample: async () => {
      const m = await measureGpu(rt, step, { samples: 1, iters, warmup: 0 });
      return { wallMs: m.wallMs[0], gpuMs: m.gpuMs?.[0], work: m.work };
    },
  });
  const fused = () => opt.step();
  const split = () => opt.stepPerTensor();
  return {
    impls: [make('engine', fused, 1, await itersFor(rt, fused, 50, 200)), make('per-tensor', split, specs.length, await itersFor(rt, split, 50, 200))],
    dispose: () => {
      opt.dispose();
      arena.dispose();
    },
  };
}

/** tfjs's optimizer on the same parameters and gradients. */
async function tfjsImpl(device: GPUDevice, tf: typeof TF, specs: ParamSpec[], rule: RuleName, iters: number): Promise<ImplSet> {
  const vars = specs.map((s, k) => tf.variable(tf.tensor(values(shapeSize(s.shape), 1 + k), [...s.shape]), true, s.name));
  const grads = specs.map((s, k) => tf.tensor(values(shapeSize(s.shape), 100 + k), [...s.shape]));
  const weights = specs.map((s) => s.role === 'weight');
  const opt = rule === 'adamw' ? tf.train.adam(LR) : tf.train.sgd(LR);
  const step = (): void => {
    tf.tidy(() => {
      if (rule === 'l1-prox') {
        vars.forEach((v, k) => {
          const z = tf.sub(v, tf.mul(grads[k], LR));
          v.assign(weights[k] ? tf.mul(tf.sign(z), tf.relu(tf.sub(tf.abs(z), LR * DECAY))) : z);
        });
      } else if (rule === 'adamw') {
        vars.forEach((v, k) => weights[k] && v.assign(tf.mul(v, 1 - LR * DECAY)));
        opt.applyGradients(vars.map((v, k) => ({ name: v.name, tensor: grads[k] })));
      } else {
        opt.applyGradients(vars.map((v, k) => ({ name: v.name, tensor: weights[k] ? tf.add(grads[k], tf.mul(v, DECAY)) : grads[k] })));
      }
    });
  };
  for (let i = 0; i < 2; i++) {
    step();
    await tfjsSync(tf);
  }
  const impl: Impl = {
    impl: 'tfjs-webgpu',
    dispatches: 'tfjs',
    sample: async () => {
      const m = await sampleCalls(device, iters, async () => {
        for (let i = 0; i < iters; i++) step();
        await tfjsSync(tf);
      });
      const work = new GpuWorkTally();
      work.add(m.work, iters);
      return { wallMs: m.wallMs, work };
    },
  };
  return {
    impls: [impl],
    dispose: () => {
      opt.dispose();
      vars.forEach((v) => v.dispose());
      grads.forEach((g) => g.dispose());
    },
  };
}

/**
 * Samples every implementation in turn, round after round, so that a change in the machine's load
 * (the CPUs that run the software adapter are shared) hits all of them alike.
 */
async function measureRule(ctx: BenchContext, rule: (typeof RULES)[number], impls: Impl[], params: number): Promise<BenchRow[]> {
  const wall = impls.map(() => [] as number[]);
  const gpu = impls.map(() => [] as number[]);
  const work = impls.map(() => new GpuWorkTally());
  for (let s = 0; s < ctx.samples; s++) {
    for (const [k, impl] of impls.entries()) {
      const m = await impl.sample();
      wall[k].push(m.wallMs);
      if (m.gpuMs !== undefined) gpu[k].push(m.gpuMs);
      work[k].addAll(m.work);
    }
  }
  return impls.map((impl, k) => {
    const value = median(wall[k]);
    const gbs = (rule.bytesPerParam * params) / (value * 1e6);
    ctx.log(`  ${rule.name} ${impl.impl}: ${value.toFixed(3)} ms`);
    const w = work[k].perCall();
    const r: BenchRow = {
      suite: 'update',
      case: rule.name,
      impl: impl.impl,
      unit: 'ms',
      value,
      samplesMs: wall[k],
      size: params,
      extra: { 'GB/s': Number(gbs.toFixed(3)), dispatches: impl.dispatches, params },
      ...(w ? { gpuWork: w } : {}),
    };
    return gpu[k].length === wall[k].length ? { ...r, gpuSamplesMs: gpu[k] } : r;
  });
}

/** The suite (see the file's comment). `--tiny`: a 64-32-32-10 MLP. */
export const updateSuite: BenchSuite = async (ctx) => {
  const layers = ctx.tiny ? [64, 32, 32, 10] : [784, 512, 512, 10];
  const specs = mlpSpecs(layers);
  const params = specs.reduce((s, p) => s + shapeSize(p.shape), 0);
  let tf: typeof TF | undefined;
  try {
    tf = await tfjsPeer();
  } catch (e) {
    ctx.reportError?.(`tfjs-webgpu: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rows: BenchRow[] = [];
  for (const [r, rule] of RULES.entries()) {
    ctx.progress?.(r, RULES.length);
    ctx.log(`update ${rule.name}: ${layers.join('-')} MLP, ${params} parameters`);
    const sets = [await engineImpls(ctx.rt, specs, rule.name)];
    try {
      if (tf) {
        try {
          sets.push(await tfjsImpl(ctx.rt.device, tf, specs, rule.name, ctx.tiny ? 2 : 10));
        } catch (e) {
          ctx.reportError?.(`tfjs-webgpu ${rule.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      rows.push(
        ...(await measureRule(
          ctx,
          rule,
          sets.flatMap((s) => s.impls),
          params,
        )),
      );
    } finally {
      for (const s of sets) s.dispose();
    }
  }
  return rows;
};
