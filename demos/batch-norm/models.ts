/**
 * The page's two networks: the same 784-h-h-10 MLP with the same initial weights, one plain, one
 * with batch norm between each hidden Linear and its ReLU (the `batchNorm` regularizer). The plain
 * one gets an identity layer at the same site, so that its ReLU runs as its own layer too and the
 * pre-activation (what enters the ReLU) can be read at the same point in both.
 */
import { ParameterFreeLayer, createMlp, type ForwardContext, type Runtime, type Sequential, type Var } from 'webgpu-regularization';
import { batchNorm } from 'webgpu-regularization/regularizers';

/** Weight of the newest batch in batch norm's running averages (PyTorch's default). */
export const BN_MOMENTUM = 0.1;
/** ε added to the variance in batch norm. */
export const BN_EPS = 1e-5;

/** Passes its input on: marks the pre-activation site of the plain network (and unfuses its ReLU). */
class PreActivation extends ParameterFreeLayer {
  forward(x: Var, _ctx: ForwardContext): Var {
    return x;
  }
}

/** Which network. */
export type ModelKind = 'plain' | 'bn';

/** The two networks, built from the same seed (their Linear layers start equal: neither extra layer draws from the seed's generator). */
export function createPair(rt: Runtime, sizes: readonly number[], seed: number): Record<ModelKind, Sequential> {
  const plain = createMlp(rt, { sizes, seed, insert: [(site) => (site.kind === 'preActivation' ? [new PreActivation(`pre${site.index}`)] : [])] });
  const bn = createMlp(rt, { sizes, seed, insert: [batchNorm({ momentum: BN_MOMENTUM, eps: BN_EPS }).layers!] });
  return { plain, bn };
}

/** Name of the layer whose output is hidden layer `layer`'s pre-activation (1-based layer). */
export function preActivationLayer(kind: ModelKind, layer: number): string {
  return kind === 'bn' ? `bn${layer}` : `pre${layer}`;
}
