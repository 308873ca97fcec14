/**
 * Batch normalization (Ioffe & Szegedy 2015) over the features of a [batch, features] input: the
 * chapter's last source of noise (each example's normalization depends on the others in its batch).
 *
 *   batch statistics (training):  μ_B = mean_rows x,  σ²_B = mean_rows (x − μ_B)²,
 *                                 y = γ ⊙ (x − μ_B)/√(σ²_B + ε) + β
 *   running statistics (inference): the same with μ_B, σ²_B replaced by running averages, updated
 *                                 in every training-mode pass:  r ← (1 − m)·r + m·batch value
 *                                 (the running variance takes the unbiased σ²_B·B/(B − 1), as PyTorch)
 *
 * One op of the tape, `batchNorm` (engine/ops/batchnorm.ts): fused kernels for the statistics (the
 * running averages updated in the same pass), the normalization and the backward. γ has the role
 * 'scale' and β the role 'bias': penalties leave both alone by default.
 * The running statistics are buffers (engine/nn/buffers.ts): snapshots and checkpoints include them.
 */
import { batchNorm } from '../autograd/functional';
import type { Var } from '../autograd/var';
import type { ParamSpec } from '../optim/arena';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { batchStatsActive, type BufferSpec, type ForwardContext, type Layer } from './layer';

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Weight m of the newest batch in the running averages, in (0, 1]; default 0.1. */
  momentum?: number;
  /** ε added to the variance, > 0; default 1e-5. */
  eps?: number;
}

/** Batch normalization over the features (columns) of a [batch, features] input. */
export class BatchNorm implements Layer {
  readonly momentum: number;
  readonly eps: number;
  private gamma: Var | null = null;
  private beta: Var | null = null;
  private runningMean: Tensor<'f32'> | null = null;
  private runningVar: Tensor<'f32'> | null = null;

  constructor(
    readonly name: string,
    readonly features: number,
    opts: BatchNormOptions = {},
  ) {
    if (!Number.isInteger(features) || features < 1) throw new ArgumentError(`BatchNorm ${name}: features must be a positive integer, got ${features}`);
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    if (!(Number.isFinite(this.momentum) && this.momentum > 0 && this.momentum <= 1))
      throw new ArgumentError(`BatchNorm ${name}: momentum must be in (0, 1], got ${this.momentum}`);
    if (!(Number.isFinite(this.eps) && this.eps > 0)) throw new ArgumentError(`BatchNorm ${name}: eps must be a finite number > 0, got ${this.eps}`);
  }

  params(): ParamSpec[] {
    return [
      { name: `${this.name}.gamma`, shape: [this.features], role: 'scale', layer: this.name },
      { name: `${this.name}.beta`, shape: [this.features], role: 'bias', layer: this.name },
    ];
  }

  bind(lookup: (name: string) => Var): void {
    this.gamma = lookup(`${this.name}.gamma`);
    this.beta = lookup(`${this.name}.beta`);
  }

  initialValues(): Map<string, Float32Array> {
    return new Map([
      [`${this.name}.gamma`, new Float32Array(this.features).fill(1)],
      [`${this.name}.beta`, new Float32Array(this.features)],
    ]);
  }

  buffers(): BufferSpec[] {
    return [
      { name: `${this.name}.runningMean`, shape: [this.features], layer: this.name },
      { name: `${this.name}.runningVar`, shape: [this.features], layer: this.name },
    ];
  }

  bindBuffers(lookup: (name: string) => Tensor<'f32'>): void {
    this.runningMean = lookup(`${this.name}.runningMean`);
    this.runningVar = lookup(`${this.name}.runningVar`);
  }

  initialBuffers(): Map<string, Float32Array> {
    return new Map([[`${this.name}.runningVar`, new Float32Array(this.features).fill(1)]]);
  }

  forward(x: Var, ctx: ForwardContext): Var {
    return this.forwardActivated(x, ctx, false);
  }

  /**
   * {@link forward}, then a ReLU when `relu` is set, as one `batchNorm` op (the ReLU fused into its
   * kernels): what `forwardLayers` (./linear.ts) runs for a BatchNorm followed by a Relu layer.
   */
  forwardActivated(x: Var, ctx: ForwardContext, relu: boolean): Var {
    if (!this.gamma || !this.beta || !this.runningMean || !this.runningVar)
      throw new ArgumentError(`BatchNorm ${this.name}: not bound to its parameters and buffers yet`);
    if (x.shape.length !== 2 || x.shape[1] !== this.features)
      throw new ShapeError(`BatchNorm ${this.name}: expects [batch, ${this.features}], got ${fmtShape(x.shape)}`);
    const mode = batchStatsActive(ctx) ? (ctx.training ? 'train' : 'batch') : 'running';
    if (mode !== 'running' && x.shape[0] < 2) throw new ShapeError(`BatchNorm ${this.name}: batch statistics need at least 2 rows, got ${fmtShape(x.shape)}`);
    return batchNorm(x, this.gamma, this.beta, this.runningMean, this.runningVar, { mode, eps: this.eps, momentum: this.momentum, relu });
  }
}
