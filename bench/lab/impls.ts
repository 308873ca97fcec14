/**
 * What a lab kernel is measured beside: the engine's own kernel for the same op (through its
 * public op, as a user of the engine gets it), the peers that have the op (tfjs-webgpu and jax-js,
 * written the way each library's documentation does it), and the adapter's two ceilings (the FMA
 * kernel shaders/fma_peak.wgsl and the copy kernel shaders/bandwidth.wgsl, as the bench suites
 * measure them). Each is an {@link Impl}: built and warmed up once, then sampled round after round
 * with the others. Nothing Node-only.
 */
import type * as Jax from '@jax-js/jax';
import type * as TF from '@tensorflow/tfjs-core';
import { dropoutForward, grid1d, matmul, softThreshold, type Runtime } from '../../engine/index';
import { useBenchKernels } from '../kernels';
import { GpuSampler, sampleCalls, type GpuSample } from '../timing';
import { jaxMatmul, jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import type { LabOp, LabParams } from './spec';

/** One implementation, ready to sample: `sample()` takes one sample of `iters` calls. */
export interface Impl {
  impl: string;
  /** The work of one call. */
  work: { flops: number; bytes: number };
  iters: number;
  sample(): Promise<GpuSample>;
  dispose(): void;
}

/** Iterations so that a sample lasts about `targetMs`, from a trial of one. */
function itersOf(ms: number, targetMs: number, maxIters: number): number {
  return Math.max(1, Math.min(maxIters, Math.round(targetMs / Math.max(ms, 1e-3))));
}

/** An implementation that records into the runtime's batch (the lab kernel, the engine, the ceilings). */
export async function recordedImpl(
  rt: Runtime,
  impl: string,
  step: () => void,
  work: Impl['work'],
  targetMs: number,
  maxIters: number,
  dispose: () => void = () => {},
): Promise<Impl> {
  const sampler = new GpuSampler(rt);
  await sampler.sample(step, 1);
  const trial = await sampler.sample(step, 1);
  const iters = itersOf(trial.wallMs, targetMs, maxIters);
  return {
    impl,
    work,
    iters,
    sample: () => sampler.sample(step, iters),
    dispose: () => {
      sampler.destroy();
      dispose();
    },
  };
}

/** A peer's call and how to wait for it. */
interface PeerCall {
  call(): void;
  sync(): Promise<void>;
  afterSample?(): void;
  dispose(): void;
}

async function peerImpl(rt: Runtime, impl: string, p: PeerCall, work: Impl['work'], targetMs: number, maxIters: number): Promise<Impl> {
  const once = async (iters: number): Promise<GpuSample> => {
    const m = await sampleCalls(rt.device, iters, async () => {
      for (let i = 0; i < iters; i++) p.call();
      await p.sync();
    });
    p.afterSample?.();
    return { ...m, gpuMs: null };
  };
  await once(1);
  const iters = itersOf((await once(1)).wallMs, targetMs, maxIters);
  return { impl, work, iters, sample: () => once(iters), dispose: () => p.dispose() };
}

const data = (n: number, seed: number): Float32Array<ArrayBuffer> => {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
};

/** Disposes each of `xs`. */
function disposeAll(...xs: { dispose(): void }[]): void {
  for (const x of xs) x.dispose();
}

/** The params an op's engine row and peers need, or the name of the one missing. */
function need(p: LabParams, names: readonly string[]): string | null {
  return names.find((k) => !(k in p)) ?? null;
}

/** The params each op's comparisons read from the spec's params. */
export const OP_PARAMS: Readonly<Record<Exclude<LabOp, 'custom'>, readonly string[]>> = {
  matmul: ['m', 'n', 'k'],
  dropout: ['n', 'keep'],
  'soft-threshold': ['n', 'tau'],
  'update-sgd': ['n'],
};

/**
 * The engine's kernel for `op` at the spec's params, as a step recording into the runtime. The
 * update has no single public op (the optimizer builds it from a chain); its engine row is the
 * engine's update_chain preset, which bench/lab/suite.ts adds itself.
 */
export function engineStep(rt: Runtime, op: LabOp, p: LabParams): { step: () => void; dispose: () => void } | null {
  if (op === 'custom' || op === 'update-sgd' || need(p, OP_PARAMS[op])) return null;
  if (op === 'matmul') {
    const a = rt.tensor(data(p.m * p.k, 1), [p.m, p.k]);
    const b = rt.tensor(data(p.k * p.n, 2), [p.k, p.n]);
    return { step: () => matmul(a, b).dispose(), dispose: () => disposeAll(a, b) };
  }
  const x = rt.tensor(data(p.n, 3));
  if (op === 'dropout') {
    let offset = 0;
    return { step: () => dropoutForward(x, { keepProb: p.keep, seed: 7, offset: offset++ }).y.dispose(), dispose: () => x.dispose() };
  }
  return { step: () => softThreshold(x, p.tau).dispose(), dispose: () => x.dispose() };
}

function tfjsCall(tf: typeof TF, op: LabOp, p: LabParams): PeerCall | null {
  if (op === 'matmul') {
    const a = tf.tensor2d(data(p.m * p.k, 1), [p.m, p.k]);
    const b = tf.tensor2d(data(p.k * p.n, 2), [p.k, p.n]);
    return { call: () => tf.matMul(a, b).dispose(), sync: () => tfjsSync(tf), dispose: () => tf.dispose([a, b]) };
  }
  if (op === 'dropout') {
    const x = tf.tensor1d(data(p.n, 3));
    let seed = 7;
    return { call: () => tf.dropout(x, 1 - p.keep, undefined, ++seed).dispose(), sync: () => tfjsSync(tf), dispose: () => x.dispose() };
  }
  if (op === 'soft-threshold') {
    const x = tf.tensor1d(data(p.n, 3));
    const f = (): void => tf.tidy(() => tf.mul(tf.sign(x), tf.relu(tf.sub(tf.abs(x), p.tau)))).dispose();
    return { call: f, sync: () => tfjsSync(tf), dispose: () => x.dispose() };
  }
  return null;
}

function jaxCall(jax: typeof Jax, op: LabOp, p: LabParams): PeerCall | null {
  const np = jax.numpy;
  let outs: Jax.Array[] = [];
  const common = {
    sync: async () => {
      await jax.blockUntilReady(outs);
    },
    afterSample: () => {
      for (const o of outs) o.dispose();
      outs = [];
    },
  };
  if (op === 'matmul') {
    const a = np.array(data(p.m * p.k, 1)).reshape([p.m, p.k]);
    const b = np.array(data(p.k * p.n, 2)).reshape([p.k, p.n]);
    const f = jaxMatmul(jax, false, false);
    return { ...common, call: () => void outs.push(f(a.ref, b.ref)), dispose: () => disposeAll(a, b, f) };
  }
  if (op === 'soft-threshold') {
    const x = np.array(data(p.n, 3));
    const f = jax.jit((z: Jax.Array) => np.sign(z.ref).mul(np.maximum(np.absolute(z).sub(p.tau), 0)));
    return { ...common, call: () => void outs.push(f(x.ref)), dispose: () => disposeAll(x, f) };
  }
  if (op === 'dropout') {
    const x = np.array(data(p.n, 3));
    const f = jax.jit((t: Jax.Array, key: Jax.Array) => np.where(jax.random.bernoulli(key, p.keep, [p.n]), t.div(p.keep), 0));
    let k = 7;
    return { ...common, call: () => void outs.push(f(x.ref, jax.random.key(++k))), dispose: () => disposeAll(x, f) };
  }
  return null;
}

/** The peers for `op`, built and warmed up; one that fails to start is reported and left out. */
export async function peerImpls(
  rt: Runtime,
  op: LabOp,
  p: LabParams,
  work: Impl['work'],
  which: readonly string[],
  targetMs: number,
  maxIters: number,
  reportError: (message: string) => void,
): Promise<Impl[]> {
  if (op === 'custom' || op === 'update-sgd' || need(p, OP_PARAMS[op])) return [];
  const out: Impl[] = [];
  const makers: Record<string, () => Promise<PeerCall | null>> = {
    'tfjs-webgpu': async () => tfjsCall(await tfjsPeer(), op, p),
    'jax-js': async () => jaxCall(await jaxPeer(), op, p),
  };
  for (const name of which) {
    try {
      const call = await makers[name]?.();
      if (call) out.push(await peerImpl(rt, name, call, work, targetMs, maxIters));
    } catch (e) {
      reportError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/** Invocations of one FMA-ceiling dispatch and its workgroup size (as the matmul suite's). */
const FMA_INVOCATIONS = 1 << 16;
const FMA_WG = 64;

/** The adapter's two ceilings: FMA-bound arithmetic (GFLOP/s) and a streaming copy (GB/s). */
export async function ceilingImpls(rt: Runtime, targetMs: number, maxIters: number, tiny: boolean): Promise<Impl[]> {
  const rounds = tiny ? 32 : 256;
  await useBenchKernels(rt);
  const out = rt.empty([FMA_INVOCATIONS]);
  const fma = () =>
    rt.dispatch({
      shader: 'fma_peak',
      entry: 'fma_peak',
      overrides: { WG: FMA_WG },
      uniforms: { iters: rounds, seed: 0.5 },
      bindings: { out },
      workgroups: grid1d(FMA_INVOCATIONS, FMA_WG),
    });
  const n = tiny ? 1 << 16 : 1 << 20;
  const x = rt.tensor(data(n, 4));
  const y = rt.empty([n]);
  const VEC4S = 4;
  const copy = () =>
    rt.dispatch({
      shader: 'bandwidth',
      entry: 'copy',
      overrides: { WG: 256, V: VEC4S },
      uniforms: { n4: n / 4, a: 0.5 },
      bindings: { x, y },
      workgroups: grid1d(Math.ceil(n / 4 / VEC4S), 256),
    });
  return [
    // 8 independent vec4 FMA chains per invocation and round: 8 · 4 · 2 FLOPs (shaders/fma_peak.wgsl).
    await recordedImpl(rt, 'ceiling-fma', fma, { flops: FMA_INVOCATIONS * rounds * 8 * 4 * 2, bytes: 4 * FMA_INVOCATIONS }, targetMs, maxIters, () =>
      out.dispose(),
    ),
    await recordedImpl(rt, 'ceiling-copy', copy, { flops: 0, bytes: 8 * n }, targetMs, maxIters, () => disposeAll(x, y)),
  ];
}
