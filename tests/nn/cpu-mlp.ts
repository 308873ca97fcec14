/**
 * An independent f64 CPU implementation of an MLP's loss and gradients (test helper): dense layers
 * y = x·W + b with ReLU on the hidden layers, optional multiplicative masks on the hidden units
 * (dropout, mask values 0 or 1/keep), softmax cross-entropy with soft targets averaged over rows,
 * and hand-written back-propagation. No code is shared with the engine.
 */

/** One dense layer: W [inF, outF] row-major, b [outF]. */
export interface CpuLayer {
  w: Float64Array;
  b: Float64Array;
  inF: number;
  outF: number;
}

/** Loss and gradients (same layout as the layers). */
export interface CpuResult {
  loss: number;
  grads: { w: Float64Array; b: Float64Array }[];
  logits: Float64Array;
}

/**
 * Mean softmax cross-entropy of the MLP on `x` [rows, layers[0].inF] against `t` [rows, k], and
 * its gradients. `masks[l]`, if given, multiplies the output of hidden layer l after its ReLU.
 */
export function mlpLossAndGrads(layers: CpuLayer[], x: Float64Array, rows: number, t: Float64Array, masks: (Float64Array | undefined)[] = []): CpuResult {
  const acts: Float64Array[] = [x];
  const pre: Float64Array[] = [];
  layers.forEach((L, l) => {
    const a = acts[l];
    const z = new Float64Array(rows * L.outF);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < L.outF; j++) {
        let s = L.b[j];
        for (let i = 0; i < L.inF; i++) s += a[r * L.inF + i] * L.w[i * L.outF + j];
        z[r * L.outF + j] = s;
      }
    }
    pre.push(z);
    const last = l === layers.length - 1;
    const h = last ? z : z.map((v) => Math.max(v, 0));
    const m = masks[l];
    if (!last && m) for (let i = 0; i < h.length; i++) h[i] *= m[i];
    acts.push(h);
  });
  const k = layers[layers.length - 1].outF;
  const logits = acts[acts.length - 1];
  let loss = 0;
  let g = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < k; c++) mx = Math.max(mx, logits[r * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(logits[r * k + c] - mx);
    const lse = mx + Math.log(s);
    let tsum = 0;
    for (let c = 0; c < k; c++) {
      loss += t[r * k + c] * (lse - logits[r * k + c]);
      tsum += t[r * k + c];
    }
    for (let c = 0; c < k; c++) g[r * k + c] = (Math.exp(logits[r * k + c] - lse) * tsum - t[r * k + c]) / rows;
  }
  loss /= rows;
  const grads: { w: Float64Array; b: Float64Array }[] = layers.map((L) => ({ w: new Float64Array(L.w.length), b: new Float64Array(L.b.length) }));
  for (let l = layers.length - 1; l >= 0; l--) {
    const L = layers[l];
    if (l < layers.length - 1) {
      // g is the gradient of this layer's (masked) ReLU output: back through mask and ReLU.
      const m = masks[l];
      const z = pre[l];
      g = g.map((v, i) => (z[i] > 0 ? v * (m ? m[i] : 1) : 0));
    }
    const a = acts[l];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < L.outF; j++) {
        const gj = g[r * L.outF + j];
        grads[l].b[j] += gj;
        for (let i = 0; i < L.inF; i++) grads[l].w[i * L.outF + j] += a[r * L.inF + i] * gj;
      }
    }
    if (l > 0) {
      const gin = new Float64Array(rows * L.inF);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < L.inF; i++) {
          let s = 0;
          for (let j = 0; j < L.outF; j++) s += g[r * L.outF + j] * L.w[i * L.outF + j];
          gin[r * L.inF + i] = s;
        }
      }
      g = gin;
    }
  }
  return { loss, grads, logits };
}
