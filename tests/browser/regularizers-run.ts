/**
 * The regularizers' end-to-end run, shared by the browser page (regularizers-page.ts, through
 * navigator.gpu) and the Node test (e2e.test.ts, which reruns it on Node's SwiftShader to recompute
 * what the page reports): every regularizer together in one run, plus the checks whose results the
 * Node half can recompute (a translation, a label-smoothed loss) or bound (max-norm, exact zeros,
 * the geometric-mean identity). Nothing here is browser- or Node-only.
 */
import { ag, constant, GpuDataset, momentum, noGrad, type Runtime, tidy, translateImages } from '../../engine/index';
import * as R from '../../regularizers/index';
import { randomArray, syntheticArgmax } from '../helpers/random';
import { REG_PROBLEM, type RegularizersReport } from './regularizers-contract';

function synthetic(count: number, seed: number): { x: Float32Array; y: Uint32Array } {
  return syntheticArgmax(count, REG_PROBLEM.features, REG_PROBLEM.classes, seed);
}

/** Runs everything on `rt` and reports it (the caller destroys `rt`). */
export async function runRegularizers(rt: Runtime): Promise<RegularizersReport> {
  const { count, val: valCount, features, hidden, classes, seed } = REG_PROBLEM;
  const tr = synthetic(count, seed);
  const va = synthetic(valCount, seed + 1);
  const train = GpuDataset.upload(rt, tr.x, tr.y, classes);
  const val = GpuDataset.upload(rt, va.x, va.y, classes);
  const maxNormC = 1.5;
  const es = R.earlyStopping({ patience: 50, evalEvery: 8 });
  const regs = [
    R.l2({ alpha: 1e-4 }),
    R.l1({ alpha: 0.05 }),
    R.maxNorm({ c: maxNormC }),
    R.inputNoise({ std: 0.05 }),
    R.hiddenNoise({ std: 0.05 }),
    R.weightNoise({ eta: 1e-6 }),
    R.labelSmoothing({ epsilon: 0.1 }),
    R.dropout({ input: { keep: 0.9 }, hidden: { keep: 0.8 } }),
    R.batchNorm(),
    es,
  ];
  const model = R.mlp(rt, { sizes: [features, hidden, hidden, classes], seed, regularizers: regs });
  let stepMetrics = 0;
  const run = await R.fit(
    model,
    { train, val },
    { optimizer: momentum({ lr: 0.05 }), regularizers: regs, epochs: 6, batchSize: 32, seed, onStepMetrics: (m) => (stepMetrics += m.length) },
  );
  const report = await R.weightReport(model);
  const weights = report.filter((r) => r.role === 'weight');
  const mc = await R.predictMonteCarlo(model, val.images, 8);
  run.optimizer.dispose();
  model.dispose();

  // Softmax regression with input dropout ½: the exact geometric mean equals weight scaling.
  const sr = R.mlp(rt, { sizes: [6, 3], seed: 5, regularizers: [R.dropout({ input: { keep: 0.5 } })] });
  const xs = randomArray(2 * 6, 9);
  const xt = rt.tensor(xs, [2, 6]);
  const gm = await R.predictGeometricMean(rt, sr, xs, 6);
  const ws = await R.predict(sr, xt);
  let gap = 0;
  for (let i = 0; i < gm.length; i++) gap = Math.max(gap, Math.abs(gm[i] - ws[i]));
  xt.dispose();
  sr.dispose();

  // A translation by (2, −1) of one 28×28 image.
  const img = randomArray(28 * 28, 11, 0, 1);
  const imgT = rt.tensor(img, [1, 784]);
  const moved = translateImages(imgT, { height: 28, width: 28, dx: 2, dy: -1 });
  const translateOutput = Array.from(await moved.toArray());
  imgT.dispose();
  moved.dispose();

  // The label-smoothed loss of the fused kernel.
  const k = 5;
  const logits = randomArray(3 * k, 13, -3, 3);
  const labels = [0, 3, 4];
  const onehot = new Float32Array(3 * k);
  labels.forEach((l, r) => (onehot[r * k + l] = 1));
  const lt = rt.tensor(logits, [3, k]);
  const tt = rt.tensor(onehot, [3, k]);
  const loss = noGrad(() => tidy(() => ag.softmaxCrossEntropy(constant(lt), constant(tt), 'mean', { epsilon: 0.2 })));
  const lossValue = await loss.data.item();
  loss.dispose();
  lt.dispose();
  tt.dispose();

  // A second, short run of a fresh model: everything it makes must be released when it is disposed
  // (the first run also made the per-runtime constants, e.g. the backward seed).
  const again = [R.l2({ alpha: 1e-4 }), R.dropout(), R.batchNorm(), R.weightNoise({ eta: 1e-6 }), R.earlyStopping({ patience: 2, evalEvery: 4 })];
  await rt.sync();
  const before2 = rt.memoryStats().liveTensors;
  const m2 = R.mlp(rt, { sizes: [features, hidden, classes], seed, regularizers: again });
  (await R.fit(m2, { train, val }, { optimizer: momentum({ lr: 0.05 }), regularizers: again, epochs: 1, batchSize: 32 })).optimizer.dispose();
  m2.dispose();
  await rt.sync();
  const leaked = rt.memoryStats().liveTensors - before2;
  train.dispose();
  val.dispose();
  const out: RegularizersReport = {
    adapter: rt.adapterName,
    trainLoss: run.epochs.map((e) => e.train.loss),
    valAccuracy: run.epochs.map((e) => e.val?.accuracy ?? NaN),
    stepMetrics,
    stepsTaken: run.steps,
    stoppedBy: run.stoppedBy,
    earlyStopping: { bestStep: es.report.bestStep, evaluations: es.report.history.length },
    maxColumnNorm: Math.max(...weights.map((w) => w.maxColumnNorm ?? 0)),
    maxNormC,
    zeroFraction: R.weightZeroFraction(report),
    updateDispatches: run.updateDispatches,
    mcMeanStd: mc.std.reduce((a, b) => a + b, 0) / mc.std.length,
    geometricMeanGap: gap,
    translateInput: Array.from(img),
    translateOutput,
    smoothing: { logits: Array.from(logits), labels, k, epsilon: 0.2, loss: lossValue },
    leakedTensors: leaked,
  };
  return out;
}
