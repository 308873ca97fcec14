/**
 * The page's model and its training, one step at a time: an MLP on MNIST with adjustable inverted
 * dropout after each hidden layer, momentum SGD, minibatches of a fixed size (the mask grid keeps
 * its shape), and after each step the masks of the next step read from the GPU.
 */
import {
  chain,
  createMlp,
  evaluate,
  fill,
  type GpuDataset,
  MinibatchStream,
  momentum,
  trainOnBatch,
  type ChainOptimizer,
  type Metrics,
  type Runtime,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';
import { AdjustableDropout } from './adjustable-dropout';
import { dropoutForward, type DropoutKey } from 'webgpu-regularization';

/** What defines a run. */
export interface TrainerConfig {
  /** Hidden layer widths; each gets a dropout layer (stream = its 1-based index). */
  hidden: readonly number[];
  batch: number;
  seed: number;
  keepProb: number;
  lr: number;
}

/** One step's minibatch loss and accuracy (dropout on). */
export interface StepResult {
  step: number;
  loss: number;
  accuracy: number;
}

/** An MLP trained step by step, whose dropout masks can be drawn for any step. */
export class DropoutTrainer {
  /** Steps trained so far; also the step (the mask key's offset) the next training step uses. */
  step = 0;
  private readonly batches: MinibatchStream;

  private constructor(
    readonly train: GpuDataset,
    readonly val: GpuDataset,
    readonly config: TrainerConfig,
    readonly model: Sequential,
    readonly dropouts: readonly AdjustableDropout[],
    private readonly optimizer: ChainOptimizer,
    private readonly acc: Tensor<'f32'>,
    private readonly ones: Tensor<'f32'>[],
  ) {
    this.batches = new MinibatchStream(train, config.batch, config.seed);
  }

  /** Builds the model (initial weights from the seed) and its optimizer. */
  static create(rt: Runtime, train: GpuDataset, val: GpuDataset, config: TrainerConfig): DropoutTrainer {
    const dropouts: AdjustableDropout[] = [];
    const model = createMlp(rt, {
      sizes: [train.features, ...config.hidden, train.classes],
      seed: config.seed,
      insert: [
        (site) => {
          if (site.kind !== 'hidden') return [];
          const d = new AdjustableDropout(`drop${site.index}`, config.keepProb, site.seed, site.index);
          dropouts.push(d);
          return [d];
        },
      ],
    });
    const optimizer = chain(momentum({ lr: config.lr, momentum: 0.9 })).init(model.arena);
    const acc = fill(rt.empty([3]), 0);
    const ones = config.hidden.map((h) => fill(rt.empty([config.batch, h]), 1));
    return new DropoutTrainer(train, val, config, model, dropouts, optimizer, acc, ones);
  }

  /** The keep probability of every dropout layer (from the next step on). */
  setKeepProb(p: number): void {
    for (const d of this.dropouts) d.keepProb = p;
  }

  /** Units of each dropout layer. */
  get widths(): readonly number[] {
    return this.config.hidden;
  }

  /** The key layer `layer` (0-based) draws its mask with at `step`. */
  keyOf(layer: number, step = this.step): DropoutKey {
    return this.dropouts[layer].keyAt(step);
  }

  /** Trains one minibatch with the masks keyed by the current step, then advances the step. */
  async trainStep(): Promise<StepResult> {
    const b = this.batches.batch(this.step);
    fill(this.acc, 0);
    trainOnBatch(this.model, this.optimizer, b.x, b.targets, this.step, { metrics: this.acc });
    b.x.dispose();
    b.targets.dispose();
    const done = this.step++;
    const [loss, correct, rows] = await this.acc.toArray();
    return { step: done, loss: loss / rows, accuracy: correct / rows };
  }

  /**
   * The masks every dropout layer draws at `step` ([batch, units] each, 1 kept, 0 dropped), from
   * the GPU: the dropout kernel run on ones with the key the training step uses, writing its mask.
   */
  async masks(step = this.step): Promise<Float32Array[]> {
    const out = this.dropouts.map((d, i) => dropoutForward(this.ones[i], { ...d.keyAt(step), scale: 'none', returnMask: true }));
    const data = await Promise.all(out.map((r) => r.mask!.toArray()));
    for (const r of out) {
      r.y.dispose();
      r.mask!.dispose();
    }
    return data;
  }

  /** Loss and accuracy on the held-out digits, dropout off. */
  heldOut(): Promise<Metrics> {
    return evaluate(this.model, this.val, 1000);
  }

  /** Frees the model, the optimizer and the page's tensors (not the data sets). */
  dispose(): void {
    this.batches.dispose();
    this.optimizer.dispose();
    this.model.dispose();
    this.acc.dispose();
    for (const t of this.ones) t.dispose();
  }
}
