/**
 * Plain-TypeScript f64 references of the ops (test helper): the oracle GPU results are compared to.
 * Arrays are row-major; shapes follow NumPy broadcasting.
 */

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

/** The broadcast shape of a and b. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    return da === 1 ? db : da;
  });
}

/** The element of x (shape xs) that output index idx (of a broadcast shape) reads. */
function readBroadcast(x: ArrayLike<number>, xs: readonly number[], idx: readonly number[]): number {
  const st = strides(xs);
  const off = idx.length - xs.length;
  let o = 0;
  for (let k = 0; k < xs.length; k++) o += (xs[k] === 1 ? 0 : idx[k + off]) * st[k];
  return x[o];
}

/** f(a, b) elementwise with broadcasting, in f64. */
export function binary(
  a: ArrayLike<number>,
  as: number[],
  b: ArrayLike<number>,
  bs: number[],
  f: (x: number, y: number) => number,
): { data: Float64Array; shape: number[] } {
  const shape = broadcastShape(as, bs);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = f(readBroadcast(a, as, idx), readBroadcast(b, bs, idx));
  }
  return { data, shape };
}

/** Sum over axes (sorted, non-negative) of x, keepDims shape. */
export function sumAxes(x: ArrayLike<number>, xs: number[], axes: number[]): Float64Array {
  const outShape = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(outShape));
  const st = strides(outShape);
  for (let i = 0; i < size(xs); i++) {
    const idx = unravel(i, xs);
    let o = 0;
    idx.forEach((v, k) => (o += (axes.includes(k) ? 0 : v) * st[k]));
    out[o] += x[i];
  }
  return out;
}

/** x with its axes permuted (output axis i = input axis perm[i]). */
export function transpose(x: ArrayLike<number>, xs: number[], perm: number[]): Float64Array {
  const outShape = perm.map((p) => xs[p]);
  const st = strides(xs);
  const out = new Float64Array(size(xs));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    let o = 0;
    idx.forEach((v, k) => (o += v * st[perm[k]]));
    out[i] = x[o];
  }
  return out;
}

/** Per-row softmax cross-entropy Σ_k t_k (lse − z_k), in f64. */
export function xentRows(z: ArrayLike<number>, t: ArrayLike<number>, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[r * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < k; c++) out[r] += t[r * k + c] * (lse - z[r * k + c]);
  }
  return out;
}
