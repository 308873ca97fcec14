/**
 * Autodiff ops over engine/ops/matmul.ts: `matmul` (op(A)·op(B)) and `linear` (x·W + b, optional
 * ReLU, all in matmul's fused epilogue). Every backward product is one more matmul with the
 * transpose flags flipped, never a materialized transpose:
 *   C = op(A)·op(B):  d op(A) = G·op(B)ᵀ,  d op(B) = op(A)ᵀ·G.
 */
import { matmul } from '../../ops/matmul';
import { sumAxes } from '../../ops/reduce';
import { activationGrad } from '../../ops/unary';
import type { Tensor } from '../../runtime/tensor';
import type { OpDef } from '../opdef';

/** Attributes of `matmul`. */
export interface MatmulAttrs {
  transA?: boolean;
  transB?: boolean;
}

/** The gradients of A and B for C = op(A)·op(B) with incoming gradient G. */
function matmulGrads(g: Tensor<'f32'>, a: Tensor, b: Tensor, transA: boolean, transB: boolean, needs: readonly boolean[]): (Tensor<'f32'> | null)[] {
  // A stored as op(A): dA = G·op(B)ᵀ. A stored transposed: dA = (G·op(B)ᵀ)ᵀ = op(B)·Gᵀ.
  const da = !needs[0] ? null : transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB });
  // B stored as op(B): dB = op(A)ᵀ·G. B stored transposed: dB = Gᵀ·op(A).
  const db = !needs[1] ? null : transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA });
  return [da, db];
}

/** Autodiff op `matmul(a, b, { transA, transB })`. */
export const matmulOp: OpDef<MatmulAttrs> = {
  forward: ([a, b], { transA, transB }) => ({ out: matmul(a, b, { transA, transB }) }),
  backward: ({ grad, inputs: [a, b], attrs, needs }) => matmulGrads(grad, a, b, !!attrs.transA, !!attrs.transB, needs),
};

/** Attributes of `linear`. */
export interface LinearAttrs {
  /** Apply max(·, 0) in the same dispatch. */
  relu?: boolean;
}

/**
 * Autodiff op `linear(x, W, b?)` = x·W (+ b) (then ReLU): x [batch, in], W [in, out], b [out].
 * Backward: z's gradient (masked by y > 0 after a ReLU, one fused kernel), then dx = gz·Wᵀ,
 * dW = xᵀ·gz, db = Σ_rows gz.
 */
export const linearOp: OpDef<LinearAttrs> = {
  forward: ([x, w, b], { relu }) => ({ out: matmul(x, w, { bias: b, relu }) }),
  backward: ({ grad, inputs: [x, w, b], out, attrs, needs }) => {
    const gz = attrs.relu ? activationGrad('relu_grad', out, grad) : grad;
    const [dx, dw] = matmulGrads(gz, x, w, false, false, needs);
    const db = b && needs[2] ? sumAxes(gz, [0]) : null;
    if (gz !== grad) gz.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  },
};
