/**
 * Autodiff ops over engine/ops/matmul.ts: `matmul` (op(A)·op(B)), `linear` (x·W + b, optional
 * ReLU, all in matmul's fused epilogue) and `linearChain` (several linear layers with ReLU and
 * dropout between them, the dropout fused into the epilogues forward and backward). Every backward
 * product is one more matmul with the transpose flags flipped, never a materialized transpose:
 *   C = op(A)·op(B):  d op(A) = G·op(B)ᵀ,  d op(B) = op(A)ᵀ·G.
 */
import type { DropoutOptions } from '../../ops/dropout';
import { matmul } from '../../ops/matmul';
import { sumAxes } from '../../ops/reduce';
import { activationGrad } from '../../ops/unary';
import { ArgumentError } from '../../runtime/errors';
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

/** One layer of a `linearChain`: h = dropout(relu(x·W + b)), every part optional but the product. */
export interface ChainLayer {
  /** Whether the layer has a bias (its input follows its weight). */
  bias: boolean;
  /** max(·, 0) after the bias. */
  relu: boolean;
  /** Dropout after the ReLU, with this key; not on the last layer (its mask is applied by the next product's backward). */
  dropout?: DropoutOptions;
}

/** Attributes of `linearChain`. */
export interface LinearChainAttrs {
  layers: readonly ChainLayer[];
}

/** Where each layer's weight (and bias) is among the inputs [x, W1, b1?, W2, b2?, …]. */
function chainSlots(layers: readonly ChainLayer[], inputs: number): { w: number; b: number | null }[] {
  let at = 1;
  const slots = layers.map((l) => {
    const slot = { w: at, b: l.bias ? at + 1 : null };
    at += l.bias ? 2 : 1;
    return slot;
  });
  if (at !== inputs) throw new ArgumentError(`linearChain: ${layers.length} layers need ${at} inputs (x, then each weight and bias), got ${inputs}`);
  if (layers.length === 0) throw new ArgumentError('linearChain: needs at least one layer');
  if (layers[layers.length - 1].dropout) throw new ArgumentError('linearChain: the last layer cannot have dropout (apply it after the chain)');
  return slots;
}

/**
 * Autodiff op `linearChain(x, W1, b1?, W2, b2?, …)`: layer l computes h_l = dropout_l(relu_l(h_{l−1}·W_l + b_l))
 * in ONE matmul dispatch (bias, ReLU and the dropout mask in the epilogue, the mask drawn from the
 * layer's key; shaders/matmul.wgsl), and the op returns the last h. The masks are the unfused
 * `dropout`'s bit for bit; the values are too when the masked and plain products run the same matmul
 * kernel (the software adapters' tables), else equal to rounding.
 *
 * Backward, layer by layer from the last: with gz_l the gradient of layer l's pre-activation,
 * dW_l = h_{l−1}ᵀ·gz_l, db_l = Σ_rows gz_l, and the previous layer's pre-activation gradient
 *   gz_{l−1} = (gz_l·W_lᵀ) ⊙ m_{l−1}/p ⊙ [h_{l−1} > 0]
 * in ONE matmul whose epilogue regenerates the mask m_{l−1} from the forward's key and takes the
 * ReLU derivative from the stored h_{l−1} (for a kept unit h > 0 iff the pre-activation is; a dropped
 * one is zero either way). Regenerated, not inferred from h alone (which would give the same numbers
 * for inverted dropout, since h > 0 implies kept): the mask is a function of the key, and this is how
 * dropout without a stored mask works. The hidden activations h_l are saved for dW; nothing else is.
 */
export const linearChainOp: OpDef<LinearChainAttrs> = {
  forward: (inputs, { layers }) => {
    const slots = chainSlots(layers, inputs.length);
    const hidden: Tensor<'f32'>[] = [];
    let h: Tensor = inputs[0];
    for (const [l, layer] of layers.entries()) {
      const { w, b } = slots[l];
      h = matmul(h, inputs[w], { bias: b === null ? undefined : inputs[b], relu: layer.relu, dropout: layer.dropout });
      if (l < layers.length - 1) hidden.push(h as Tensor<'f32'>);
    }
    return { out: h, saved: hidden };
  },
  backward: ({ grad, inputs, out, saved, attrs: { layers }, needs }) => {
    const slots = chainSlots(layers, inputs.length);
    const grads: (Tensor<'f32'> | null)[] = inputs.map(() => null);
    const last = layers.length - 1;
    // gz of the last layer: its own ReLU (there is no dropout on it) as a separate pass.
    let gz = layers[last].relu ? activationGrad('relu_grad', out, grad) : grad;
    for (let l = last; l >= 0; l--) {
      const { w, b } = slots[l];
      const input = l === 0 ? inputs[0] : saved[l - 1];
      if (needs[w]) grads[w] = matmul(input, gz, { transA: true });
      if (b !== null && needs[b]) grads[b] = sumAxes(gz, [0]);
      // Anything before this layer needs a gradient: the input's (x, or the previous layer's pre-activation).
      const before = needs.slice(0, w).some((x) => x);
      let next: Tensor<'f32'> | null = null;
      if (before) {
        const prev = l > 0 ? layers[l - 1] : null;
        next = matmul(gz, inputs[w], { transB: true, dropout: prev?.dropout, gate: prev?.relu ? input : undefined });
      }
      if (gz !== grad) gz.dispose();
      if (l === 0) grads[0] = next;
      else if (next === null) break;
      else gz = next;
    }
    return grads;
  },
};
