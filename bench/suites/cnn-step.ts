/**
 * The conv suite's training-step case (bench/suites/conv.ts): the MNIST CNN of
 * engine/train/mnist-cnn.ts, one plain SGD step on one batch, in the engine and written once in each
 * peer library, with the same initial weights, data, loss and learning rate:
 *
 *   [batch, 784] → conv 5×5×16 + ReLU → max-pool 2 → conv 5×5×32 + ReLU → max-pool 2
 *   → flatten (4·4·32 = 512) → dense 128 + ReLU → dense 10; mean softmax cross-entropy; SGD.
 *
 *   engine      engine/nn layers (ReLU, and dropout where asked, in the convolutions' matmul
 *               epilogues), `trainOnBatch` (engine/train/loop.ts) and SGD over the parameter arena;
 *   tfjs-webgpu tfjs-core ops in the engine's layouts (NHWC images, HWIO filters): conv2d, maxPool,
 *               matMul, autodiff and the update through `tf.train.sgd(lr).minimize`;
 *   jax-js      lax.conv in its only layout (NCHW, OIHW), pooling as a max over 2×2 blocks of a
 *               reshape, one jitted function for loss, gradient and update (`jaxSgd`, shared with
 *               the MLP step). The engine's filters are transposed to OIHW once, and the dense
 *               layer's rows permuted to NCHW's flatten order, before anything is timed.
 *
 * Before a peer is timed, {@link checkTraining} runs a few steps of it on the same batch from the
 * same initial weights and compares each step's loss with the engine's: a peer that does not train
 * this network (a wrong layout, a missing gradient) fails loudly instead of giving a row.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import type { Runtime } from '../../engine/index';
import { Conv2d, Flatten, Linear, MaxPool2d, Sequential } from '../../engine/nn/index';
import { SGD } from '../../engine/optim/optimizers';
import { trainOnBatch } from '../../engine/train/loop';
import { readMetrics } from '../../engine/train/metrics';
import { uniformValues } from '../data';
import { tfjsSync } from '../peers/tfjs';
import { jaxSgd, type MlpStep } from './mlp-peers';

/** The network's sizes: 28×28×1 images, two 5×5 convolutions, a dense hidden layer, 10 classes. */
export const CNN = { image: 28, kernel: 5, channels: [16, 32], flat: 512, hidden: 128, classes: 10 } as const;

/** The step's learning rate (plain SGD), the same for the engine and the peers. */
export const CNN_LR = 0.01;

/** Steps of the training check; each one's loss is read back. */
export const CHECK_STEPS = 3;

/**
 * How far a peer's loss may be from the engine's at the same step, relative. Both compute in f32
 * with different summation orders (im2col + matmul against direct convolutions, sums of 25 to 512
 * terms), which moves a loss near ln 10 by about 1e-6 relative per step; a layout error (transposed
 * filters, another flatten order) changes the logits entirely and the loss by percents.
 */
export const LOSS_REL_TOL = 1e-3;

/** The batch: uniform pixels in [0, 1) and one-hot targets, row i of class i mod 10. */
export function cnnData(batch: number): { x: Float32Array<ArrayBuffer>; targets: Float32Array<ArrayBuffer> } {
  const targets = new Float32Array(batch * CNN.classes);
  for (let i = 0; i < batch; i++) targets[i * CNN.classes + (i % CNN.classes)] = 1;
  return { x: uniformValues(batch * CNN.image * CNN.image, 5, 0, 1), targets };
}

/** The engine's model; `dropout`: keep 0.8 fused into both convolutions' epilogues. */
export function engineCnn(rt: Runtime, dropout: boolean): Sequential {
  const drop = (stream: number) => (dropout ? { dropout: { probability: { keep: 0.8 }, seed: 1, stream } } : {});
  const [c1, c2] = CNN.channels;
  return Sequential.create(rt, [
    new Conv2d('conv1', 1, c1, { kernel: CNN.kernel, activation: 'relu', inputSize: [CNN.image, CNN.image], ...drop(1) }),
    new MaxPool2d('pool1', { kernel: 2 }),
    new Conv2d('conv2', c1, c2, { kernel: CNN.kernel, activation: 'relu', ...drop(2) }),
    new MaxPool2d('pool2', { kernel: 2 }),
    new Flatten('flatten'),
    new Linear('fc1', CNN.flat, CNN.hidden, { activation: 'relu' }),
    new Linear('out', CNN.hidden, CNN.classes),
  ]);
}

/** The engine model's parameters by name, in its layouts (HWIO filters, [in, out] dense weights). */
export type CnnParams = Record<string, Float32Array>;

/** The step in one implementation. */
export interface CnnStep extends MlpStep {
  /** One step, and the loss it computed (before its update), read back. */
  checkedStep(): Promise<number>;
}

/** The step in the engine; `model` holds the initial weights the peers start from until it steps. */
export function engineCnnStep(rt: Runtime, batch: number, dropout: boolean): CnnStep & { model: Sequential } {
  const { x: xs, targets: ts } = cnnData(batch);
  const model = engineCnn(rt, dropout);
  const opt = new SGD(model.arena, { lr: CNN_LR });
  const x = rt.tensor(xs, [batch, CNN.image * CNN.image]);
  const targets = rt.tensor(ts, [batch, CNN.classes]);
  let index = 0;
  return {
    model,
    step: () => trainOnBatch(model, opt, x, targets, index++),
    checkedStep: async () => {
      // The running-metrics accumulator of the training loop: [loss sum, hits, rows].
      const acc = rt.tensor(new Float32Array(3), [3]);
      try {
        trainOnBatch(model, opt, x, targets, index++, { metrics: acc });
        return (await readMetrics(acc)).loss;
      } finally {
        acc.dispose();
      }
    },
    sync: () => rt.sync(),
    dispose: () => {
      opt.dispose();
      model.dispose();
      x.dispose();
      targets.dispose();
    },
  };
}

const FILTER_SHAPES = {
  conv1: [CNN.kernel, CNN.kernel, 1, CNN.channels[0]],
  conv2: [CNN.kernel, CNN.kernel, CNN.channels[0], CNN.channels[1]],
} as const;
const DENSE_SHAPES = { fc1: [CNN.flat, CNN.hidden], out: [CNN.hidden, CNN.classes] } as const;

function param(params: CnnParams, name: string): Float32Array<ArrayBuffer> {
  const v = params[name];
  if (!v) throw new Error(`cnn step: the engine's parameters have no "${name}"`);
  return Float32Array.from(v);
}

/** The step in tfjs (webgpu backend already active). */
export function tfjsCnn(tf: typeof TF, params: CnnParams, batch: number): CnnStep {
  const { x: xs, targets } = cnnData(batch);
  const v = (name: string, shape: readonly number[]) => tf.variable(tf.tensor(param(params, name), [...shape]));
  const filters = Object.entries(FILTER_SHAPES).map(([l, s]) => ({ w: v(`${l}.weight`, s), b: v(`${l}.bias`, [s[3]]) }));
  const dense = Object.entries(DENSE_SHAPES).map(([l, s]) => ({ w: v(`${l}.weight`, s), b: v(`${l}.bias`, [s[1]]) }));
  const x = tf.tensor4d(xs, [batch, CNN.image, CNN.image, 1]);
  const y = tf.tensor2d(targets, [batch, CNN.classes]);
  const opt = tf.train.sgd(CNN_LR);
  const loss = (): TF.Scalar => {
    let h: TF.Tensor4D = x;
    for (const f of filters) h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, f.w as TF.Tensor4D, 1, 'valid'), f.b)), 2, 2, 'valid');
    const hidden = tf.relu(tf.add(tf.matMul(tf.reshape(h, [batch, CNN.flat]), dense[0].w), dense[0].b));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hidden, dense[1].w), dense[1].b));
  };
  return {
    step: () => opt.minimize(loss, false)?.dispose(),
    checkedStep: async () => {
      const l = opt.minimize(loss, true);
      if (!l) throw new Error('tfjs: minimize returned no loss');
      const [value] = await l.data();
      l.dispose();
      return value;
    },
    sync: () => tfjsSync(tf),
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y, ...filters.flatMap((f) => [f.w, f.b]), ...dense.flatMap((d) => [d.w, d.b])]);
    },
  };
}

/** HWIO filters [kh, kw, in, out] as jax-js's OIHW [out, in, kh, kw]. */
function toOihw(hwio: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(hwio.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((o * ci + i) * kh + y) * kw + x] = hwio[((y * kw + x) * ci + i) * co + o];
  return out;
}

/** Dense rows [h·w·c, cols] in NHWC's flatten order (h, w, c) reordered to NCHW's (c, h, w). */
export function rowsToNchw(w: Float32Array, [h, wd, c]: readonly number[], cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(w.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < wd; x++)
      for (let k = 0; k < c; k++) out.set(w.subarray(((y * wd + x) * c + k) * cols, ((y * wd + x) * c + k + 1) * cols), ((k * h + y) * wd + x) * cols);
  return out;
}

type JaxCnnParams = { filters: { w: Jax.Array; b: Jax.Array }[]; dense: { w: Jax.Array; b: Jax.Array }[] };

/** The step in jax-js (webgpu the default device): one jitted loss, gradient and SGD update. */
export function jaxCnn(jax: typeof Jax, params: CnnParams, batch: number): CnnStep {
  const { numpy: np, lax, nn, tree } = jax;
  const { x: xs, targets } = cnnData(batch);
  const side = (CNN.image - CNN.kernel + 1) / 2 - CNN.kernel + 1; // 28 → 24 → 12 → 8
  let p: JaxCnnParams = {
    filters: Object.entries(FILTER_SHAPES).map(([l, s]) => ({
      w: np.array(toOihw(param(params, `${l}.weight`), s)).reshape([s[3], s[2], s[0], s[1]]),
      // [C, 1, 1]: broadcast over NCHW's height and width.
      b: np.array(param(params, `${l}.bias`)).reshape([s[3], 1, 1]),
    })),
    dense: Object.entries(DENSE_SHAPES).map(([l, [rows, cols]]) => {
      const w = param(params, `${l}.weight`);
      const ordered = l === 'fc1' ? rowsToNchw(w, [side / 2, side / 2, CNN.channels[1]], cols) : w;
      return { w: np.array(ordered).reshape([rows, cols]), b: np.array(param(params, `${l}.bias`)) };
    }),
  };
  const x = np.array(xs).reshape([batch, 1, CNN.image, CNN.image]);
  const y = np.array(targets).reshape([batch, CNN.classes]);
  // jax-js arrays are reference counted: each use takes a reference (`.ref`), each op consumes one.
  const loss = (q: JaxCnnParams, xb: Jax.Array, yb: Jax.Array): Jax.Array => {
    let h = xb;
    for (const f of q.filters) {
      const a = nn.relu(lax.conv(h, f.w.ref, [1, 1], 'VALID').add(f.b.ref));
      const [n, c, hh, ww] = a.shape;
      h = a.reshape([n, c, hh / 2, 2, ww / 2, 2]).max([3, 5]);
    }
    const hidden = nn.relu(np.matmul(h.reshape([batch, CNN.flat]), q.dense[0].w.ref).add(q.dense[0].b.ref));
    const logits = np.matmul(hidden, q.dense[1].w.ref).add(q.dense[1].b.ref);
    tree.dispose(q);
    return nn
      .logSoftmax(logits)
      .mul(yb)
      .sum()
      .mul(-1 / batch);
  };
  const train = jaxSgd(jax, loss, CNN_LR);
  const once = (): Jax.Array => {
    const [value, next] = train(p, x.ref, y.ref);
    p = next;
    return value;
  };
  return {
    step: () => once().dispose(),
    checkedStep: async () => (await once().data())[0],
    sync: async () => {
      await jax.blockUntilReady(p);
    },
    dispose: () => {
      tree.dispose(p);
      x.dispose();
      y.dispose();
      train.dispose();
    },
  };
}

/** The losses of {@link CHECK_STEPS} checked steps. */
export async function checkedLosses(step: CnnStep): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < CHECK_STEPS; i++) losses.push(await step.checkedStep());
  return losses;
}

const fmtLosses = (l: readonly number[]) => l.map((v) => v.toPrecision(6)).join(' → ');

/**
 * Throws unless `losses` (one per step, on the same batch, from the engine's initial weights) are
 * finite and end below where they started, and, given the engine's losses, each is within
 * {@link LOSS_REL_TOL} of the engine's at the same step. Returns a line for the row's extras.
 */
export function checkTraining(impl: string, losses: readonly number[], engine?: readonly number[]): string {
  // Below where it started, not at every step: plain SGD on one small batch may overshoot a step.
  const falls = losses.length > 1 && losses.every(Number.isFinite) && losses[losses.length - 1] < losses[0];
  if (!falls) throw new Error(`${impl} cnn step does not train: its loss over ${losses.length} steps on one batch is ${fmtLosses(losses)}`);
  if (!engine) return fmtLosses(losses);
  const off = losses.findIndex((l, i) => !(Math.abs(l - engine[i]) <= LOSS_REL_TOL * Math.abs(engine[i])));
  if (off >= 0)
    throw new Error(
      `${impl} cnn step disagrees with the engine at step ${off}: losses ${fmtLosses(losses)} against the engine's ${fmtLosses(engine)} (relative tolerance ${LOSS_REL_TOL})`,
    );
  return `${fmtLosses(losses)} (engine ${fmtLosses(engine)})`;
}
