/**
 * Convolutional layers over NHWC images (engine/ops/conv.ts says why NHWC): Conv2d (one `conv2d`
 * op: im2col and one matmul with bias, ReLU and dropout in its epilogue), MaxPool2d, AvgPool2d and
 * Flatten. They sit in a {@link Sequential} beside Linear: a CNN is
 * `[Conv2d, MaxPool2d, Conv2d, MaxPool2d, Flatten, Linear]`.
 *
 * Image input: a Conv2d takes [batch, H, W, C], or flat rows [batch, H·W·C] (what the data sets and
 * augmentation hand out, engine/ops/augment.ts) when it is given `inputSize: [H, W]`; the rows are
 * viewed as images by a `reshape` (no copy, since a row of pixels is already NHWC).
 */
import { conv2d, maxPool2d, avgPool2d, reshape } from '../autograd/functional';
import type { Var } from '../autograd/var';
import type { SeededRng } from '../data/rng';
import type { DropoutOptions } from '../ops/dropout';
import type { Pair } from '../ops/conv';
import type { Pool2dOptions } from '../ops/pool';
import type { ParamSpec } from '../optim/arena';
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape } from '../runtime/tensor';
import { keepProbabilityOf, type DropoutProbability } from './dropout';
import { initWeights, type InitScheme } from './init';
import { dropoutActive, ParameterFreeLayer, type ForwardContext, type Layer } from './layer';

/** Dropout fused into a Conv2d's epilogue: a mask per output element, keyed (seed, stream, step). */
export interface ConvDropout {
  /** `{ keep: p }` or `{ rate: r }`. */
  probability: DropoutProbability;
  seed: number;
  /** Distinct per dropout site. */
  stream: number;
}

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions {
  /** The kernel's height and width (one number for a square kernel). */
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Fused activation (default none). */
  activation?: 'relu' | 'none';
  /** Default: He for a ReLU layer, Glorot otherwise (fan-in kh·kw·c, fan-out o). */
  init?: InitScheme;
  /** Whether the layer has a bias per output channel (default true). */
  bias?: boolean;
  /** [H, W] of flat input rows [batch, H·W·C]; not needed for [batch, H, W, C] input. */
  inputSize?: readonly [number, number];
  /** Dropout after the activation, in the same dispatch (inverted: kept units scaled by 1/p). */
  dropout?: ConvDropout;
}

/** A 2-D convolution layer with HWIO filters [kh, kw, in, out] and a bias [out]. */
export class Conv2d implements Layer {
  readonly kernel: readonly [number, number];
  readonly activation: 'relu' | 'none';
  readonly init: InitScheme;
  readonly hasBias: boolean;
  /** The keep probability of the fused dropout (1 without). */
  readonly keepProb: number;
  private w: Var | null = null;
  private b: Var | null = null;

  constructor(
    readonly name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly opts: Conv2dLayerOptions,
  ) {
    const where = `Conv2d ${name}`;
    for (const [what, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`${where}: ${what} must be a positive integer, got ${v}`);
    }
    const k = typeof opts.kernel === 'number' ? ([opts.kernel, opts.kernel] as const) : opts.kernel;
    if (!k?.every((d) => Number.isInteger(d) && d >= 1))
      throw new ArgumentError(`${where}: kernel must be a positive integer or two, got ${String(opts.kernel)}`);
    for (const what of ['padding', 'stride', 'dilation'] as const) {
      const v = opts[what];
      const min = what === 'padding' ? 0 : 1;
      if (v !== undefined && !(typeof v === 'number' ? [v] : v).every((d) => Number.isInteger(d) && d >= min))
        throw new ArgumentError(`${where}: ${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or two, got ${String(v)}`);
    }
    this.kernel = k;
    this.activation = opts.activation ?? 'none';
    this.init = opts.init ?? (this.activation === 'relu' ? 'he' : 'glorot');
    this.hasBias = opts.bias ?? true;
    this.keepProb = opts.dropout ? keepProbabilityOf(where, 'dropout.probability', opts.dropout.probability) : 1;
  }

  params(): ParamSpec[] {
    const w: ParamSpec = {
      name: `${this.name}.weight`,
      shape: [this.kernel[0], this.kernel[1], this.inChannels, this.outChannels],
      role: 'weight',
      layer: this.name,
    };
    if (!this.hasBias) return [w];
    return [w, { name: `${this.name}.bias`, shape: [this.outChannels], role: 'bias', layer: this.name }];
  }

  bind(lookup: (name: string) => Var): void {
    this.w = lookup(`${this.name}.weight`);
    this.b = this.hasBias ? lookup(`${this.name}.bias`) : null;
  }

  initialValues(rng: SeededRng): Map<string, Float32Array> {
    // HWIO flattened is a [kh·kw·in, out] matrix: fan-in kh·kw·in, as the product sees it.
    const fanIn = this.kernel[0] * this.kernel[1] * this.inChannels;
    const m = new Map([[`${this.name}.weight`, initWeights(this.init, fanIn, this.outChannels, rng)]]);
    if (this.hasBias) m.set(`${this.name}.bias`, new Float32Array(this.outChannels));
    return m;
  }

  /** The filters Var [kh, kw, in, out] (after {@link bind}). */
  get weight(): Var {
    if (!this.w) throw new ArgumentError(`Conv2d ${this.name}: not bound to its parameters yet`);
    return this.w;
  }

  /** The key of this pass's dropout mask, or undefined when no mask is drawn. */
  dropoutKey(ctx: ForwardContext): DropoutOptions | undefined {
    const d = this.opts.dropout;
    if (!d || this.keepProb === 1 || !dropoutActive(ctx)) return undefined;
    return { keepProb: this.keepProb, seed: d.seed, stream: d.stream, offset: ctx.step };
  }

  /** The input as [batch, H, W, C]: flat rows are viewed with `inputSize`. */
  private asImages(x: Var): Var {
    const where = `Conv2d ${this.name}`;
    if (x.shape.length === 4) return x;
    const size = this.opts.inputSize;
    if (x.shape.length !== 2 || !size)
      throw new ShapeError(
        `${where}: expects [batch, height, width, ${this.inChannels}] images, or [batch, H·W·${this.inChannels}] rows with inputSize, got ${fmtShape(x.shape)}`,
      );
    const [h, w] = size;
    if (x.shape[1] !== h * w * this.inChannels)
      throw new ShapeError(`${where}: rows of ${x.shape[1]} values are not ${h}×${w} images of ${this.inChannels} channels (input ${fmtShape(x.shape)})`);
    return reshape(x, [x.shape[0], h, w, this.inChannels]);
  }

  forward(x: Var, ctx: ForwardContext): Var {
    const { stride, padding, dilation } = this.opts;
    return conv2d(this.asImages(x), this.weight, this.b ?? undefined, {
      stride,
      padding,
      dilation,
      relu: this.activation === 'relu',
      dropout: this.dropoutKey(ctx),
      where: `Conv2d ${this.name}`,
    });
  }
}

/** Max pooling (the first maximum of each window; stride defaults to the window). */
export class MaxPool2d extends ParameterFreeLayer {
  constructor(
    name: string,
    readonly options: Omit<Pool2dOptions, 'where'>,
  ) {
    super(name);
  }

  forward(x: Var): Var {
    return maxPool2d(x, { ...this.options, where: `MaxPool2d ${this.name}` });
  }
}

/** Average pooling (each window's sum over its size; padding counts as zeros). */
export class AvgPool2d extends ParameterFreeLayer {
  constructor(
    name: string,
    readonly options: Omit<Pool2dOptions, 'where'>,
  ) {
    super(name);
  }

  forward(x: Var): Var {
    return avgPool2d(x, { ...this.options, where: `AvgPool2d ${this.name}` });
  }
}

/** [batch, …] → [batch, product of the rest]: images to the rows a Linear takes (a view, no copy). */
export class Flatten extends ParameterFreeLayer {
  forward(x: Var): Var {
    if (x.shape.length < 2) throw new ShapeError(`Flatten ${this.name}: expects [batch, ...], got ${fmtShape(x.shape)}`);
    return x.shape.length === 2 ? x : reshape(x, [x.shape[0], -1]);
  }
}
