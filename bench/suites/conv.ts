/**
 * The conv suite: 2-D convolution at MNIST and CIFAR-like shapes (batch 64; batch 2 with --tiny),
 * forward, and forward + backward (dx and dw), in GFLOP/s, side by side in one run:
 *   engine      conv2d of engine/ops/conv.ts (im2col, then the matmul with the bias in its
 *               epilogue); backward is the op's own rule (gz·wᵀ then col2im for dx, colsᵀ·gz for
 *               dw, the bias's column sums);
 *   tfjs-webgpu tf.conv2d (NHWC, HWIO: the engine's layouts) with a bias added; backward by
 *               tf.valueAndGrads with dy: y, dx, dw in one call;
 *   jax-js      lax.conv (NCHW, OIHW: its only layout) plus the bias, jitted; backward by vjp in the
 *               same jitted function;
 *   ceiling-fma the adapter's FMA ceiling (shaders/fma_peak.wgsl) in the same rounds.
 * FLOPs counted alike for everyone: 2·B·OH·OW·O·KH·KW·C for the forward product, three times that
 * for forward + backward (the dx and dw products); bias and col2im additions are not counted.
 * Implementations are sampled in turn, round after round, so that load changes on the shared CPUs
 * hit all alike; every row's GPU work (submits, dispatches per call) is counted while it is sampled.
 * A training-step case (the MNIST CNN of engine/train/mnist-cnn.ts, plain SGD, batch 64, in ms):
 * the engine without and with dropout in both convolutions' epilogues (keep 0.8: the cost of the
 * fused mask), and the same network and step in tfjs-webgpu and jax-js (bench/suites/cnn-step.ts),
 * each first checked to train as the engine does from the same weights on the same batch.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { grid1d, type Runtime, type Tensor } from '../../engine/index';
import { conv2d, conv2dOp } from '../../engine/ops/conv';
import { uniformValues } from '../data';
import { checkedLosses, checkTraining, engineCnnStep, jaxCnn, tfjsCnn, type CnnStep } from './cnn-step';
import { GpuWorkTally, type GpuWork } from '../gpu-work';
import { jaxPeer } from '../peers/jax';
import { tfjsPeer, tfjsSync } from '../peers/tfjs';
import { itersFor, measureGpu, median, sampleCalls } from '../timing';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

/** One convolution: input B × H × W × C, O filters of K × K, zero padding P, stride 1. */
export interface ConvCase {
  h: number;
  c: number;
  o: number;
  k: number;
  p: number;
}

/** The shapes: MNIST's two layers (5×5, 'same'), two CIFAR-like ones (3×3, 'same'). */
export const CONV_CASES: readonly ConvCase[] = [
  { h: 28, c: 1, o: 16, k: 5, p: 2 },
  { h: 14, c: 16, o: 32, k: 5, p: 2 },
  { h: 32, c: 3, o: 32, k: 3, p: 1 },
  { h: 16, c: 64, o: 64, k: 3, p: 1 },
];

/** The one case of a --tiny run (a check of the harness, not a benchmark). */
const TINY_CASE: ConvCase = { h: 8, c: 2, o: 4, k: 3, p: 1 };

const caseName = (c: ConvCase, b: number) => `${c.h}x${c.h}x${c.c}→${c.o} k${c.k} b${b}`;
/** How long one sample should last, and the most calls it may take. */
interface Budget {
  targetMs: number;
  maxIters: number;
}
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A sample of one implementation: wall (and GPU) ms per call and the GPU work it made. */
interface Sample {
  wallMs: number;
  gpuMs: number | null;
  work: GpuWork;
}

/** One implementation of one case, ready to be sampled. */
interface Impl {
  impl: string;
  iters: number;
  sample(): Promise<Sample>;
  dispose(): void;
}

/** An engine step timed on the runtime's clock. */
async function engineImpl(rt: Runtime, budget: Budget, impl: string, step: () => void): Promise<Impl> {
  const iters = await itersFor(rt, step, budget.targetMs, budget.maxIters);
  return {
    impl,
    iters,
    sample: async () => {
      const m = await measureGpu(rt, step, { samples: 1, iters, warmup: 0 });
      return { wallMs: m.wallMs[0], gpuMs: m.gpuMs?.[0] ?? null, work: m.work };
    },
    dispose: () => {},
  };
}

/** A peer's call and how to wait for it. */
interface PeerCall {
  call(): void;
  sync(): Promise<void>;
  afterSample?(): void;
  dispose(): void;
}

async function peerImpl(device: GPUDevice, budget: Budget, impl: string, p: PeerCall): Promise<Impl> {
  const once = async (iters: number): Promise<Sample> => {
    const m = await sampleCalls(device, iters, async () => {
      for (let i = 0; i < iters; i++) p.call();
      await p.sync();
    });
    p.afterSample?.();
    return { ...m, gpuMs: null };
  };
  await once(1);
  const ms = (await once(1)).wallMs;
  const iters = Math.max(1, Math.min(budget.maxIters, Math.round(budget.targetMs / Math.max(ms, 1e-3))));
  return { impl, iters, sample: () => once(iters), dispose: () => p.dispose() };
}

type Data = { x: Float32Array<ArrayBuffer>; w: Float32Array<ArrayBuffer>; b: Float32Array<ArrayBuffer>; dy: Float32Array<ArrayBuffer> };

function tfjsConv(tf: typeof TF, c: ConvCase, batch: number, d: Data, backward: boolean): PeerCall {
  const x = tf.tensor4d(d.x, [batch, c.h, c.h, c.c]);
  const w = tf.tensor4d(d.w, [c.k, c.k, c.c, c.o]);
  const b = tf.tensor1d(d.b);
  const dy = tf.tensor4d(d.dy, [batch, c.h, c.h, c.o]);
  const f = (xx: TF.Tensor, ww: TF.Tensor) => tf.add(tf.conv2d(xx as TF.Tensor4D, ww as TF.Tensor4D, 1, c.p), b) as TF.Tensor4D;
  const vg = tf.valueAndGrads(f);
  return {
    call: () => {
      if (!backward) return void f(x, w).dispose();
      const { value, grads } = vg([x, w], dy);
      tf.dispose([value, ...grads]);
    },
    sync: () => tfjsSync(tf),
    dispose: () => tf.dispose([x, w, b, dy]),
  };
}

function jaxConv(jax: typeof Jax, c: ConvCase, batch: number, d: Data, backward: boolean): PeerCall {
  const { numpy: np, lax } = jax;
  // jax-js convolves NCHW by OIHW: the same numbers, in its layout (data only; not timed).
  const x = np.array(d.x).reshape([batch, c.h, c.h, c.c]).transpose([0, 3, 1, 2]);
  const w = np.array(d.w).reshape([c.k, c.k, c.c, c.o]).transpose([3, 2, 0, 1]);
  const b = np.array(d.b).reshape([1, c.o, 1, 1]);
  const dy = np.array(d.dy).reshape([batch, c.h, c.h, c.o]).transpose([0, 3, 1, 2]);
  const pad: [number, number][] = [
    [c.p, c.p],
    [c.p, c.p],
  ];
  const conv = (xx: Jax.Array, ww: Jax.Array, bb: Jax.Array) => lax.conv(xx, ww, [1, 1], pad).add(bb);
  const fwd = jax.jit((xx: Jax.Array, ww: Jax.Array, bb: Jax.Array) => conv(xx, ww, bb));
  const both = jax.jit((xx: Jax.Array, ww: Jax.Array, bb: Jax.Array, g: Jax.Array) => {
    const [y, back] = jax.vjp((a: Jax.Array, f: Jax.Array) => conv(a, f, bb), [xx, ww]);
    const [dx, dw] = back(g);
    back.dispose();
    return [y, dx, dw] as [Jax.Array, Jax.Array, Jax.Array];
  });
  let outs: Jax.Array[] = [];
  return {
    call: () => {
      if (backward) outs.push(...both(x.ref, w.ref, b.ref, dy.ref));
      else outs.push(fwd(x.ref, w.ref, b.ref));
    },
    sync: async () => {
      await jax.blockUntilReady(outs);
    },
    afterSample: () => {
      for (const o of outs) o.dispose();
      outs = [];
    },
    dispose: () => {
      for (const a of [x, w, b, dy]) a.dispose();
      fwd.dispose();
      both.dispose();
    },
  };
}

/** The engine's forward, and forward + backward through the op's own backward rule. */
function engineSteps(rt: Runtime, c: ConvCase, batch: number, d: Data): { fwd: () => void; both: () => void; tensors: Tensor[] } {
  const x = rt.tensor(d.x, [batch, c.h, c.h, c.c]);
  const w = rt.tensor(d.w, [c.k, c.k, c.c, c.o]);
  const b = rt.tensor(d.b, [c.o]);
  const dy = rt.tensor(d.dy, [batch, c.h, c.h, c.o]);
  const attrs = { padding: c.p };
  const fwd = (): void => {
    const { y, cols } = conv2d(x, w, b, attrs);
    y.dispose();
    cols.dispose();
  };
  const both = (): void => {
    const { y, cols } = conv2d(x, w, b, attrs);
    const grads = conv2dOp.backward({ grad: dy, inputs: [x, w, b], out: y, saved: [cols], attrs, needs: [true, true, true] });
    for (const t of [y, cols, ...grads]) t?.dispose();
  };
  return { fwd, both, tensors: [x, w, b, dy] };
}

/** The FMA ceiling: one dispatch of shaders/fma_peak.wgsl (2^16 invocations × rounds × 8 vec4 FMAs). */
function fmaCeiling(rt: Runtime, rounds: number): { step: () => void; flops: number; out: Tensor } {
  const n = 1 << 16;
  const out = rt.empty([n]);
  const step = (): void =>
    rt.dispatch({
      shader: 'fma_peak',
      entry: 'fma_peak',
      overrides: { WG: 64 },
      uniforms: { iters: rounds, seed: 0.5 },
      bindings: { out },
      workgroups: grid1d(n, 64),
    });
  return { step, flops: n * rounds * 8 * 4 * 2, out };
}

/** Samples every implementation in turn, `samples` rounds; returns per-impl samples. */
async function sampleAll(
  list: Impl[],
  samples: number,
  ctx: BenchContext,
  label: string,
): Promise<Map<Impl, { wall: number[]; gpu: number[]; work: GpuWorkTally }>> {
  const res = new Map(list.map((i) => [i, { wall: [] as number[], gpu: [] as number[], work: new GpuWorkTally() }]));
  const failed = new Set<Impl>();
  for (let s = 0; s < samples; s++) {
    for (const impl of list) {
      if (failed.has(impl)) continue;
      try {
        const m = await impl.sample();
        const r = res.get(impl)!;
        r.wall.push(m.wallMs);
        if (m.gpuMs !== null) r.gpu.push(m.gpuMs);
        r.work.add(m.work, impl.iters);
      } catch (e) {
        failed.add(impl);
        res.delete(impl);
        ctx.reportError?.(`${impl.impl} ${label}: ${errorText(e)}`);
      }
    }
  }
  return res;
}

function row(
  caseLabel: string,
  impl: string,
  unit: 'GFLOP/s' | 'ms',
  value: number,
  r: { wall: number[]; work: GpuWorkTally },
  extra: Record<string, number | string>,
): BenchRow {
  const w = r.work.perCall();
  return { suite: 'conv', case: caseLabel, impl, unit, value, samplesMs: r.wall, extra, ...(w ? { gpuWork: w } : {}) };
}

/** The suite (see the file's comment). */
export const convSuite: BenchSuite = async (ctx) => {
  const rt = ctx.rt;
  const batch = ctx.tiny ? 2 : 64;
  const budget: Budget = ctx.tiny ? { targetMs: 20, maxIters: 3 } : { targetMs: 200, maxIters: 50 };
  const cases = ctx.tiny ? [TINY_CASE] : CONV_CASES;
  // Five samples at most: the largest case's forward + backward takes seconds per call on a software adapter.
  const samples = Math.min(ctx.samples, 5);
  const rows: BenchRow[] = [];
  const failedPeers = new Set<string>();
  const fma = fmaCeiling(rt, ctx.tiny ? 32 : 256);
  try {
    for (const [ci, c] of cases.entries()) {
      ctx.progress?.(ci, cases.length + 1);
      const d: Data = {
        x: uniformValues(batch * c.h * c.h * c.c, 1, -1, 1),
        w: uniformValues(c.k * c.k * c.c * c.o, 2, -0.2, 0.2),
        b: uniformValues(c.o, 3, -0.1, 0.1),
        dy: uniformValues(batch * c.h * c.h * c.o, 4, -1, 1),
      };
      const flops = 2 * batch * c.h * c.h * c.o * c.k * c.k * c.c;
      const eng = engineSteps(rt, c, batch, d);
      const list: { impl: Impl; flops: number; pass: string }[] = [];
      try {
        list.push({ impl: await engineImpl(rt, budget, 'engine', eng.fwd), flops, pass: 'forward' });
        list.push({ impl: await engineImpl(rt, budget, 'engine', eng.both), flops: 3 * flops, pass: 'forward+backward' });
        list.push({ impl: await engineImpl(rt, budget, 'ceiling-fma', fma.step), flops: fma.flops, pass: 'ceiling' });
        const peers = [
          { name: 'tfjs-webgpu', make: async (bw: boolean) => tfjsConv(await tfjsPeer(), c, batch, d, bw) },
          { name: 'jax-js', make: async (bw: boolean) => jaxConv(await jaxPeer(), c, batch, d, bw) },
        ];
        for (const p of peers) {
          for (const bw of [false, true]) {
            if (failedPeers.has(p.name)) continue;
            try {
              list.push({
                impl: await peerImpl(rt.device, budget, p.name, await p.make(bw)),
                flops: bw ? 3 * flops : flops,
                pass: bw ? 'forward+backward' : 'forward',
              });
            } catch (e) {
              failedPeers.add(p.name);
              ctx.reportError?.(`${p.name} ${caseName(c, batch)}: ${errorText(e)}`);
            }
          }
        }
        const res = await sampleAll(
          list.map((l) => l.impl),
          samples,
          ctx,
          caseName(c, batch),
        );
        for (const l of list) {
          const r = res.get(l.impl);
          if (!r) continue;
          const value = l.flops / 1e6 / median(r.wall);
          // The ceiling, measured once per case, is a row of both of its cases.
          const passes = l.pass === 'ceiling' ? ['forward', 'forward+backward'] : [l.pass];
          for (const pass of passes) {
            const label = `${caseName(c, batch)} ${pass}`;
            ctx.log(`  conv ${label} ${l.impl.impl}: ${value.toFixed(3)} GFLOP/s`);
            rows.push(row(label, l.impl.impl, 'GFLOP/s', value, r, { flops: l.flops }));
          }
        }
      } finally {
        for (const l of list) l.impl.dispose();
        for (const t of eng.tensors) t.dispose();
      }
    }
    ctx.progress?.(cases.length, cases.length + 1);
    try {
      rows.push(...(await cnnStepRows(ctx, budget, samples)));
    } catch (e) {
      // The engine's own step failed its check: no step rows, the convolutions' rows are kept.
      if (!ctx.reportError) throw e;
      ctx.reportError(`cnn-step: ${errorText(e)}`);
    }
  } finally {
    fma.out.dispose();
  }
  return rows;
};

/**
 * The MNIST CNN's training step (batch 64): the engine without and with dropout in both convolutions'
 * epilogues, and the peers from the engine's initial weights, each checked to train as the engine
 * does before it is timed (bench/suites/cnn-step.ts); a peer that fails the check gets no row.
 */
async function cnnStepRows(ctx: BenchContext, budget: Budget, samples: number): Promise<BenchRow[]> {
  const rt = ctx.rt;
  const batch = ctx.tiny ? 2 : 64;
  const label = `cnn-step b${batch}`;
  const engines = [engineCnnStep(rt, batch, false), engineCnnStep(rt, batch, true)];
  const timed: { impl: Impl; extra: Record<string, string> }[] = [];
  try {
    const initial = (await engines[0].model.exportState()).params;
    const reference = await checkedLosses(engines[0]);
    const check = checkTraining('engine', reference);
    for (const [i, e] of engines.entries()) {
      const dropout = i === 0 ? 'none' : 'keep 0.8 in both conv epilogues';
      timed.push({ impl: await engineImpl(rt, budget, i === 0 ? 'engine' : 'engine-conv-dropout', e.step), extra: i === 0 ? { dropout, check } : { dropout } });
    }
    const peers = [
      { name: 'tfjs-webgpu', make: async () => tfjsCnn(await tfjsPeer(), initial, batch) },
      { name: 'jax-js', make: async () => jaxCnn(await jaxPeer(), initial, batch) },
    ];
    for (const p of peers) {
      let step: CnnStep | undefined;
      try {
        step = await p.make();
        const extra = { check: checkTraining(p.name, await checkedLosses(step), reference) };
        timed.push({ impl: await peerImpl(rt.device, budget, p.name, { call: step.step, sync: step.sync, dispose: step.dispose }), extra });
      } catch (e) {
        step?.dispose();
        ctx.reportError?.(`${p.name} ${label}: ${errorText(e)}`);
      }
    }
    const res = await sampleAll(
      timed.map((t) => t.impl),
      samples,
      ctx,
      label,
    );
    return timed.flatMap(({ impl, extra }) => {
      const r = res.get(impl);
      if (!r) return [];
      const ms = median(r.wall);
      ctx.log(`  conv ${label} ${impl.impl}: ${ms.toFixed(2)} ms`);
      return [row(label, impl.impl, 'ms', ms, r, extra)];
    });
  } finally {
    for (const t of timed) t.impl.dispose();
    for (const e of engines) e.dispose();
  }
}
