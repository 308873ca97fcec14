/**
 * Autodiff op over engine/ops/dropout.ts: one fused dispatch forward, one backward. No mask is
 * kept between the two: the backward rule passes the forward's key (seed, stream, offset) and the
 * kernel draws the very same mask again.
 */
import { dropoutBackward, dropoutForward, type DropoutOptions } from '../../ops/dropout';
import type { OpDef } from '../opdef';

/** Autodiff op `dropout(x, key)`: y = x ⊙ m / p (or x ⊙ m), dx = dy ⊙ m / p (or dy ⊙ m). */
export const dropoutOp: OpDef<DropoutOptions> = {
  forward: ([x], key) => ({ out: dropoutForward(x, key).y }),
  backward: ({ grad, attrs }) => [dropoutBackward(grad, attrs)],
};
