/**
 * Spatial dropout (Tompson et al. 2015) over NHWC images: whole feature maps are kept or dropped,
 * one Bernoulli draw per (example, channel), because neighbouring pixels of one map are so
 * correlated that dropping single pixels barely regularizes a convolutional layer.
 *
 * The mask of (b, c) is the standalone dropout mask of flat element b·C + c for the same key
 * (`dropoutMaskCpu(B·C, key)` on the CPU): it is drawn by the dropout kernel over a [B, 1, 1, C]
 * tensor of ones and broadcast over the pixels by a multiply. Nothing is kept between the passes:
 * the backward pass draws the same [B, 1, 1, C] mask again from the key.
 */
import type { OpDef } from '../autograd/opdef';
import { ShapeError } from '../runtime/errors';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { dropoutForward, type DropoutOptions } from './dropout';
import { fill, mul } from './elementwise';

/** x ⊙ m[b, c] (scaled like `dropout`), x [batch, h, w, c]: three dispatches (ones, mask, multiply). */
export function dropout2d(x: Tensor, key: DropoutOptions, where = 'dropout2d'): Tensor<'f32'> {
  if (x.rank !== 4) throw new ShapeError(`${where}: the input must be [batch, height, width, channels] (NHWC), got ${fmtShape(x.shape)}`);
  const [b, , , c] = x.shape;
  const ones = fill(x.runtime.empty([b, 1, 1, c]), 1);
  const m = dropoutForward(ones, key).y;
  ones.dispose();
  const y = mul(x, m);
  m.dispose();
  return y;
}

/** Autodiff op `dropout2d(x, key)`: dx = dy ⊙ m[b, c], the mask drawn again. */
export const dropout2dOp: OpDef<DropoutOptions> = {
  forward: ([x], key) => ({ out: dropout2d(x, key) }),
  backward: ({ grad, attrs }) => [dropout2d(grad, attrs)],
};
