/**
 * Sum reduction of a whole f32 tensor to a scalar, in passes of shaders/reduce_sum.wgsl: each
 * pass shrinks the array by WG·ITEMS (2,048) until one value is left. All passes go into the
 * current batch; nothing is read back.
 */
import { ArgumentError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { fill } from './elementwise';

const WG = 256;
const ITEMS = 8;
const PER_GROUP = WG * ITEMS;

/** The sum of all elements of `x`, as a tensor of shape []. */
export function sum(x: Tensor): Tensor<'f32'> {
  x.assertAlive('sum');
  if (x.dtype !== 'f32') throw new ArgumentError(`sum: expects an f32 tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
  const rt = x.runtime;
  if (x.size === 0) return fill(rt.empty([]), 0);
  let cur = x as Tensor<'f32'>;
  let n = x.size;
  do {
    const groups = Math.ceil(n / PER_GROUP);
    const next = rt.empty(groups === 1 ? [] : [groups]);
    rt.dispatch({
      shader: 'reduce_sum',
      entry: 'sum_partial',
      overrides: { WG, ITEMS },
      uniforms: { n },
      bindings: { x: cur, partials: next },
      workgroups: grid1d(groups, 1),
    });
    if (cur !== x) cur.dispose();
    cur = next;
    n = groups;
  } while (n > 1);
  return cur;
}
