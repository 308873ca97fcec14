/**
 * Column norms of a 2-D weight matrix and the max-norm projection (shaders/colnorm.wgsl). A weight
 * matrix is stored [in, out], so column j holds the incoming weights of unit j: `columnNorms` gives
 * each unit's incoming-weight norm (an autodiff op, for norm penalties), and `maxNormProject`
 * enforces ‖W[:, j]‖ ≤ c after an update (the max-norm constraint, a post-update projection).
 * Each is one dispatch.
 */
import type { OpDef } from '../autograd/opdef';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import { sameShape } from './strided';

const WG = 256;

/** The L2 norm of every column of `w` [rows, cols]: a tensor [cols]. */
export function columnNorms(w: Tensor): Tensor<'f32'> {
  assertF32('columnNorms', w);
  if (w.rank !== 2) throw new ShapeError(`columnNorms: w must be 2-D [rows, cols], got ${fmtShape(w.shape)}`);
  const [rows, cols] = w.shape;
  const rt = w.runtime;
  const out = rt.empty([cols]);
  rt.dispatch({
    shader: 'colnorm',
    entry: 'column_norms',
    overrides: { WG },
    uniforms: { rows, cols, c: 0 },
    bindings: { w, out },
    workgroups: grid1d(cols, WG),
  });
  return out;
}

/**
 * ∂L/∂w of L(columnNorms(w)) given `g` = ∂L/∂n [cols] and the norms `n` themselves:
 * g_j · w_ij / n_j, and 0 in a column whose norm is 0.
 */
export function columnNormsBackward(w: Tensor, n: Tensor, g: Tensor): Tensor<'f32'> {
  const op = 'columnNorms (backward)';
  assertF32(op, w, n, g);
  if (w.rank !== 2) throw new ShapeError(`${op}: w must be 2-D [rows, cols], got ${fmtShape(w.shape)}`);
  const [rows, cols] = w.shape;
  if (!sameShape(n.shape, [cols]) || !sameShape(g.shape, [cols])) {
    throw new ShapeError(`${op}: norms ${fmtShape(n.shape)} and gradient ${fmtShape(g.shape)} must both be [${cols}] for w ${fmtShape(w.shape)}`);
  }
  const rt = w.runtime;
  const out = rt.empty(w.shape);
  rt.dispatch({
    shader: 'colnorm',
    entry: 'column_norms_grad',
    overrides: { WG },
    uniforms: { rows, cols, c: 0 },
    bindings: { w, g, norms: n, out },
    workgroups: grid1d(w.size, WG),
  });
  return out;
}

/**
 * The max-norm constraint, in place: every column of `w` [rows, cols] whose L2 norm exceeds `c`
 * is rescaled to norm c (up to f32 rounding: w_ij · c / n_j); the other columns are not written.
 * `w` may be a view into a parameter arena. Throws an ArgumentError if `c` is not a finite number
 * > 0 or `w` is not 2-D.
 */
export function maxNormProject(w: Tensor<'f32'>, c: number): void {
  const op = 'maxNormProject';
  assertF32(op, w);
  if (!(Number.isFinite(c) && c > 0)) throw new ArgumentError(`${op}: the norm bound c must be a finite number > 0, got ${c}`);
  if (w.rank !== 2) throw new ArgumentError(`${op}: w must be 2-D [rows, cols], got ${fmtShape(w.shape)}`);
  const [rows, cols] = w.shape;
  const rt = w.runtime;
  rt.dispatch({
    shader: 'colnorm',
    entry: 'max_norm_project',
    overrides: { WG },
    uniforms: { rows, cols, c },
    bindings: { weights: w },
    workgroups: grid1d(cols, WG),
  });
}

/** Autodiff op `columnNorms(w)`: d/dw_ij = g_j · w_ij / n_j (0 where n_j = 0). */
export const columnNormsOp: OpDef<void> = {
  forward: ([w]) => ({ out: columnNorms(w) }),
  backward: ({ grad, inputs: [w], out }) => [columnNormsBackward(w, out, grad)],
};
