/**
 * f64 CPU references of 2-D convolution and pooling over NHWC images (test helper, not a test
 * file): written as direct loops over the definition, not through im2col, so they share no index
 * arithmetic with the kernels they check. Each returns, beside the values, Σ|terms| per output (the
 * scale of the f32 bounds) and the number of terms summed.
 */

/** The geometry of a test case (every size explicit). */
export interface ConvCase {
  batch: number;
  h: number;
  w: number;
  c: number;
  o: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** Output height and width of a case (may be ≤ 0 when the kernel does not fit). */
export function outSize(g: ConvCase): { oh: number; ow: number } {
  return {
    oh: Math.floor((g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh) + 1,
    ow: Math.floor((g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw) + 1,
  };
}

/** A value with its absolute-term sum and term count. */
export interface Sums {
  v: Float64Array;
  abs: Float64Array;
  terms: Float64Array;
}

function sums(n: number): Sums {
  return { v: new Float64Array(n), abs: new Float64Array(n), terms: new Float64Array(n) };
}

/** Calls f(b, oy, ox, ky, kx, iy, ix) for every tap of every output pixel that lands inside the input. */
function forTaps(g: ConvCase, f: (b: number, oy: number, ox: number, ky: number, kx: number, iy: number, ix: number) => void): void {
  const { oh, ow } = outSize(g);
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < g.kh; ky++)
          for (let kx = 0; kx < g.kw; kx++) {
            const iy = oy * g.sh + ky * g.dh - g.ph;
            const ix = ox * g.sw + kx * g.dw - g.pw;
            if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) f(b, oy, ox, ky, kx, iy, ix);
          }
}

/** z = conv(x, w) + bias: x [b, h, w, c], w [kh, kw, c, o], z [b, oh, ow, o]. */
export function convForward(g: ConvCase, x: ArrayLike<number>, w: ArrayLike<number>, bias?: ArrayLike<number>): Sums {
  const { oh, ow } = outSize(g);
  const r = sums(g.batch * oh * ow * g.o);
  forTaps(g, (b, oy, ox, ky, kx, iy, ix) => {
    for (let o = 0; o < g.o; o++) {
      const out = ((b * oh + oy) * ow + ox) * g.o + o;
      for (let c = 0; c < g.c; c++) {
        const t = x[((b * g.h + iy) * g.w + ix) * g.c + c] * w[((ky * g.kw + kx) * g.c + c) * g.o + o];
        r.v[out] += t;
        r.abs[out] += Math.abs(t);
        r.terms[out]++;
      }
    }
  });
  if (bias) {
    for (let i = 0; i < r.v.length; i++) {
      r.v[i] += bias[i % g.o];
      r.abs[i] += Math.abs(bias[i % g.o]);
      r.terms[i]++;
    }
  }
  return r;
}

/** The gradients of conv(x, w) + bias for an output gradient gz [b, oh, ow, o]: dx, dw, db. */
export function convBackward(g: ConvCase, x: ArrayLike<number>, w: ArrayLike<number>, gz: ArrayLike<number>): { dx: Sums; dw: Sums; db: Sums } {
  const { oh, ow } = outSize(g);
  const dx = sums(g.batch * g.h * g.w * g.c);
  const dw = sums(g.kh * g.kw * g.c * g.o);
  const db = sums(g.o);
  const add = (s: Sums, i: number, t: number): void => {
    s.v[i] += t;
    s.abs[i] += Math.abs(t);
    s.terms[i]++;
  };
  forTaps(g, (b, oy, ox, ky, kx, iy, ix) => {
    for (let o = 0; o < g.o; o++) {
      const gv = gz[((b * oh + oy) * ow + ox) * g.o + o];
      for (let c = 0; c < g.c; c++) {
        const xi = ((b * g.h + iy) * g.w + ix) * g.c + c;
        const wi = ((ky * g.kw + kx) * g.c + c) * g.o + o;
        add(dx, xi, gv * w[wi]);
        add(dw, wi, gv * x[xi]);
      }
    }
  });
  // dw also sums the padding taps (zeros), which count as terms of the GPU's sum over rows.
  for (let i = 0; i < dw.terms.length; i++) dw.terms[i] = g.batch * oh * ow;
  for (let i = 0; i < gz.length; i++) add(db, i % g.o, gz[i]);
  return { dx, dw, db };
}

/** A pooling case: the conv geometry without filters or dilation. */
export type PoolCase = Omit<ConvCase, 'o' | 'dh' | 'dw'>;

function asConv(g: PoolCase): ConvCase {
  return { ...g, o: g.c, dh: 1, dw: 1 };
}

/** Max pooling: the first maximum of each window (scan order ky, then kx) and its flat input index. */
export function maxPoolForward(g: PoolCase, x: ArrayLike<number>): { y: Float64Array; argmax: Int32Array } {
  const cg = asConv(g);
  const { oh, ow } = outSize(cg);
  const n = g.batch * oh * ow * g.c;
  const y = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const argmax = new Int32Array(n).fill(-1);
  forTaps(cg, (b, oy, ox, _ky, _kx, iy, ix) => {
    for (let c = 0; c < g.c; c++) {
      const out = ((b * oh + oy) * ow + ox) * g.c + c;
      const src = ((b * g.h + iy) * g.w + ix) * g.c + c;
      if (argmax[out] < 0 || x[src] > y[out]) {
        y[out] = x[src];
        argmax[out] = src;
      }
    }
  });
  return { y, argmax };
}

/** Average pooling (sum over the window / (kh·kw), padding as zeros): values, Σ|x| and terms per output. */
export function avgPoolForward(g: PoolCase, x: ArrayLike<number>): Sums {
  const cg = asConv(g);
  const { oh, ow } = outSize(cg);
  const r = sums(g.batch * oh * ow * g.c);
  forTaps(cg, (b, oy, ox, _ky, _kx, iy, ix) => {
    for (let c = 0; c < g.c; c++) {
      const out = ((b * oh + oy) * ow + ox) * g.c + c;
      const t = x[((b * g.h + iy) * g.w + ix) * g.c + c];
      r.v[out] += t / (g.kh * g.kw);
      r.abs[out] += Math.abs(t) / (g.kh * g.kw);
      r.terms[out]++;
    }
  });
  return r;
}

/** The gradient of average pooling for dy: each input pixel gets Σ over its windows of dy / (kh·kw). */
export function avgPoolBackward(g: PoolCase, dy: ArrayLike<number>): Sums {
  const cg = asConv(g);
  const { oh, ow } = outSize(cg);
  const r = sums(g.batch * g.h * g.w * g.c);
  forTaps(cg, (b, oy, ox, _ky, _kx, iy, ix) => {
    for (let c = 0; c < g.c; c++) {
      const t = dy[((b * oh + oy) * ow + ox) * g.c + c];
      const i = ((b * g.h + iy) * g.w + ix) * g.c + c;
      r.v[i] += t / (g.kh * g.kw);
      r.abs[i] += Math.abs(t) / (g.kh * g.kw);
      r.terms[i]++;
    }
  });
  return r;
}
