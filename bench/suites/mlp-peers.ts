/**
 * The MLP training step of bench/suites/mlp.ts written in the two peer libraries, each the way its
 * own documentation trains a model: tfjs (tfjs-core ops, autodiff through `optimizer.minimize`,
 * `tf.dropout`, plain SGD) and jax-js (one jitted function: `valueAndGrad` of the loss, then the SGD
 * update). Same model, loss and data as the engine's step: softmax cross-entropy + (λ/2)·Σ‖W‖²
 * over the weights (not the biases), inverted dropout on both hidden layers.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as Jax from '@jax-js/jax';
import { tfjsSync } from '../peers/tfjs';
import { uniformStream } from '../data';

/** The model and training hyper-parameters of the suite. */
export interface MlpConfig {
  /** Layer widths, input first: 784-512-512-10. */
  layers: readonly number[];
  batch: number;
  /** Probability of keeping a hidden unit. */
  keep: number;
  /** L2 coefficient λ on the weights (penalty (λ/2)·Σ w²). */
  l2: number;
  lr: number;
}

/** One implementation of the step, ready to be timed. */
export interface MlpStep {
  /** Records or enqueues one training step (no readback). */
  step(): void;
  /** Waits until every enqueued step has finished on the GPU. */
  sync(): Promise<void>;
  /** Frees everything the implementation allocated. */
  dispose(): void;
}

/** Deterministic input data: a batch of inputs in [0, 1) and integer labels. */
export function mlpData(cfg: MlpConfig): { x: Float32Array<ArrayBuffer>; labels: Int32Array<ArrayBuffer> } {
  const next = uniformStream(12345);
  const x = Float32Array.from({ length: cfg.batch * cfg.layers[0] }, next);
  const classes = cfg.layers[cfg.layers.length - 1];
  const labels = Int32Array.from({ length: cfg.batch }, () => Math.floor(next() * classes));
  return { x, labels };
}

/** The step in tfjs (webgpu backend already active). */
export function tfjsMlp(tf: typeof TF, cfg: MlpConfig): MlpStep {
  const { x: xs, labels } = mlpData(cfg);
  const depth = cfg.layers.length - 1;
  const ws: TF.Variable[] = [];
  const bs: TF.Variable[] = [];
  for (let l = 0; l < depth; l++) {
    const [fanIn, fanOut] = [cfg.layers[l], cfg.layers[l + 1]];
    ws.push(tf.variable(tf.randomNormal([fanIn, fanOut], 0, Math.sqrt(2 / fanIn), 'float32', 1 + l)));
    bs.push(tf.variable(tf.zeros([fanOut])));
  }
  const x = tf.tensor2d(xs, [cfg.batch, cfg.layers[0]]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), cfg.layers[depth]);
  const opt = tf.train.sgd(cfg.lr);
  let seed = 0;
  const loss = (): TF.Scalar => {
    let h: TF.Tensor = x;
    for (let l = 0; l < depth; l++) {
      h = tf.add(tf.matMul(h, ws[l]), bs[l]);
      if (l < depth - 1) h = tf.dropout(tf.relu(h), 1 - cfg.keep, undefined, ++seed);
    }
    const ce = tf.losses.softmaxCrossEntropy(y, h);
    const l2 = tf.addN(ws.map((w) => tf.sum(tf.square(w))));
    return tf.add(ce, tf.mul(l2, cfg.l2 / 2));
  };
  return {
    step: () => opt.minimize(loss, false)?.dispose(),
    sync: () => tfjsSync(tf),
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y, ...ws, ...bs]);
    },
  };
}

type JaxParams = { w: Jax.Array[]; b: Jax.Array[] };

/**
 * One jitted SGD step of `loss`: `(params, ...batch) → [loss, params − lr·∇loss]`, the loss and
 * its gradient from one `valueAndGrad`. Consumes its arguments, as jax-js functions do.
 */
export function jaxSgd<P extends Jax.JsTree<Jax.Array>, A extends Jax.Array[]>(jax: typeof Jax, loss: (p: P, ...batch: A) => Jax.Array, lr: number) {
  const { tree } = jax;
  // The library's mapped argument types do not resolve for a generic P: its own types, restated.
  const valueAndGrad = jax.valueAndGrad(loss) as unknown as (p: P, ...batch: A) => [Jax.Array, P];
  return jax.jit((p: P, ...batch: A): [Jax.Array, P] => {
    const [value, grads] = valueAndGrad(tree.ref(p), ...batch);
    return [value, tree.map((w: Jax.Array, g: Jax.Array) => w.sub(g.mul(lr)), p, grads) as P];
  });
}

/** The step in jax-js (webgpu the default device): one jitted `valueAndGrad` + SGD. */
export function jaxMlp(jax: typeof Jax, cfg: MlpConfig): MlpStep {
  const { numpy: np, nn, random, tree } = jax;
  const { x: xs, labels } = mlpData(cfg);
  const depth = cfg.layers.length - 1;
  let params: JaxParams = { w: [], b: [] };
  let key = random.key(7);
  for (let l = 0; l < depth; l++) {
    const [fanIn, fanOut] = [cfg.layers[l], cfg.layers[l + 1]];
    // Destructuring an array consumes it and yields its rows (the split keys).
    const [next, sub] = random.split(key, 2);
    key = next;
    params.w.push(random.normal(sub, [fanIn, fanOut]).mul(Math.sqrt(2 / fanIn)));
    params.b.push(np.zeros([fanOut]));
  }
  key.dispose();
  const x = np.array(xs).reshape([cfg.batch, cfg.layers[0]]);
  const y = nn.oneHot(np.array(labels, { dtype: np.int32 }), cfg.layers[depth]);

  // jax-js arrays are reference counted: each use takes a reference (`.ref`), each call consumes one.
  const loss = (p: JaxParams, xb: Jax.Array, yb: Jax.Array, k: Jax.Array): Jax.Array => {
    const keys = random.split(k, depth);
    let h = xb;
    for (let l = 0; l < depth; l++) {
      h = np.matmul(h, p.w[l].ref).add(p.b[l].ref);
      if (l < depth - 1) {
        const keep = random.bernoulli(keys.ref.slice(l), cfg.keep, h.shape);
        h = np.where(keep, nn.relu(h).div(cfg.keep), 0);
      }
    }
    keys.dispose();
    const ce = nn
      .logSoftmax(h)
      .mul(yb)
      .sum()
      .mul(-1 / cfg.batch);
    let l2 = np.zeros([]);
    for (const w of p.w) l2 = l2.add(np.square(w.ref).sum());
    tree.dispose(p);
    return ce.add(l2.mul(cfg.l2 / 2));
  };
  const train = jaxSgd(jax, loss, cfg.lr);
  let stepIndex = 0;
  return {
    step: () => {
      const [value, next] = train(params, x.ref, y.ref, random.key(++stepIndex));
      value.dispose();
      params = next;
    },
    sync: async () => {
      await jax.blockUntilReady(params);
    },
    dispose: () => {
      tree.dispose(params);
      x.dispose();
      y.dispose();
      train.dispose();
    },
  };
}
