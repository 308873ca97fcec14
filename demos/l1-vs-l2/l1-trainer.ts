/**
 * An MLP trained on MNIST with an L1 penalty whose method can be switched while it trains: the
 * chain holds both regularizers, `l1({ method: 'proximal' })` and `l1({ method: 'subgradient' })`,
 * and the one not in use has α = 0 (the chain refuses both on one parameter at once, and it reads
 * the coefficients again at its next step, keeping its state). α itself goes through the active
 * regularizer's `alpha` setter, so a slider changes it without restarting.
 *
 * Plain SGD, so that the proximal step's threshold is exactly ε·α per step.
 */
import {
  chain,
  createMlp,
  evaluate,
  fill,
  type GpuDataset,
  MinibatchStream,
  sgd,
  trainOnBatch,
  type ChainOptimizer,
  type Metrics,
  type Runtime,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';
import { l1, type PenaltyRegularizer } from 'webgpu-regularization/regularizers';

/** How L1 is applied. */
export type L1Method = 'proximal' | 'subgradient';

/** What defines a run. */
export interface L1TrainerConfig {
  hidden: number;
  batch: number;
  seed: number;
  lr: number;
  alpha: number;
  method: L1Method;
}

/** The weights read back after some steps, and what was counted in them. */
export interface WeightSnapshot {
  step: number;
  /** The first layer's weights, [784, hidden] row-major. */
  fc1: Float32Array;
  /** Exact zeros (=== 0) in fc1.weight and in every weight matrix. */
  zerosFc1: number;
  zerosAll: number;
  weightCount: number;
  /** The last minibatch's loss. */
  loss: number;
}

/** The model and its optimizer, trained a few steps at a time. */
export class L1Trainer {
  step = 0;
  private readonly batches: MinibatchStream;
  private currentMethod: L1Method;
  private currentAlpha: number;

  private constructor(
    readonly train: GpuDataset,
    readonly val: GpuDataset,
    readonly config: L1TrainerConfig,
    readonly model: Sequential,
    private readonly optimizer: ChainOptimizer,
    private readonly regs: Readonly<Record<L1Method, PenaltyRegularizer>>,
    private readonly acc: Tensor<'f32'>,
  ) {
    this.batches = new MinibatchStream(train, config.batch, config.seed);
    this.currentMethod = config.method;
    this.currentAlpha = config.alpha;
  }

  /** Builds the model (initial weights from the seed) and the chain with both L1 methods. */
  static create(rt: Runtime, train: GpuDataset, val: GpuDataset, config: L1TrainerConfig): L1Trainer {
    const model = createMlp(rt, { sizes: [train.features, config.hidden, train.classes], seed: config.seed });
    const regs = {
      proximal: l1({ alpha: config.method === 'proximal' ? config.alpha : 0, method: 'proximal' }),
      subgradient: l1({ alpha: config.method === 'subgradient' ? config.alpha : 0, method: 'subgradient' }),
    };
    const optimizer = chain(regs.subgradient.transform, sgd({ lr: config.lr }), regs.proximal.transform).init(model.arena);
    const acc = fill(rt.empty([3]), 0);
    return new L1Trainer(train, val, config, model, optimizer, regs, acc);
  }

  /** The L1 method in use. */
  get method(): L1Method {
    return this.currentMethod;
  }

  /** Switches the method from the next step on (the weights and the step count stay). */
  set method(m: L1Method) {
    this.currentMethod = m;
    this.apply();
  }

  /** α of the L1 penalty. */
  get alpha(): number {
    return this.currentAlpha;
  }

  /** Changes α from the next step on, through the regularizer's setter. */
  set alpha(a: number) {
    this.currentAlpha = a;
    this.apply();
  }

  private apply(): void {
    const other: L1Method = this.currentMethod === 'proximal' ? 'subgradient' : 'proximal';
    // Zero the other one first: the chain refuses both at once (it checks at its next step anyway).
    this.regs[other].alpha = 0;
    this.regs[this.currentMethod].alpha = this.currentAlpha;
  }

  /** Trains `n` minibatches, then reads the weights back once. */
  async trainSteps(n: number): Promise<WeightSnapshot> {
    for (let i = 0; i < n; i++) {
      const b = this.batches.batch(this.step);
      // Only the last minibatch's loss is read: the accumulator is cleared before it.
      if (i === n - 1) fill(this.acc, 0);
      trainOnBatch(this.model, this.optimizer, b.x, b.targets, this.step, { metrics: i === n - 1 ? this.acc : undefined });
      b.x.dispose();
      b.targets.dispose();
      this.step++;
    }
    return this.snapshot();
  }

  /** The weights as they are now, with their exact-zero counts. */
  async snapshot(): Promise<WeightSnapshot> {
    const arena = this.model.arena;
    const [values, metrics] = await Promise.all([arena.values.toArray(), this.acc.toArray()]);
    let zerosAll = 0;
    let weightCount = 0;
    let zerosFc1 = 0;
    let fc1 = new Float32Array(0);
    for (const p of arena.params) {
      if (p.role !== 'weight') continue;
      const v = values.subarray(p.offset, p.offset + p.size);
      let z = 0;
      for (const x of v) if (x === 0) z++;
      zerosAll += z;
      weightCount += p.size;
      if (p.layer === 'fc1') {
        zerosFc1 = z;
        fc1 = v.slice();
      }
    }
    const [loss, , rows] = metrics;
    return { step: this.step, fc1, zerosFc1, zerosAll, weightCount, loss: rows > 0 ? loss / rows : NaN };
  }

  /** Loss and accuracy on the held-out digits. */
  heldOut(): Promise<Metrics> {
    return evaluate(this.model, this.val, 500);
  }

  /** Frees the model, the optimizer and the accumulator (not the data sets). */
  dispose(): void {
    this.batches.dispose();
    this.optimizer.dispose();
    this.model.dispose();
    this.acc.dispose();
  }
}
