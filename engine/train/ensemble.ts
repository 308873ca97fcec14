/**
 * A batched ensemble: k MLPs of one architecture trained at once, their parameters stacked
 * ([k, in, out] weights, [k, out] biases, in one arena), every layer's product for all members in
 * ONE matmul dispatch (`matmulBatched`: workgroup z is the member), one loss-gradient dispatch over
 * all members' rows, one bias-gradient reduction and one optimizer dispatch for all of them.
 *
 * Bit-identical to the members trained alone. Each member's step is the step `recordStep` runs for
 * that member's model (engine/nn/linear.ts `forwardLayers`, the `linearChain` or `linear` op): the
 * batched product runs the single product's plan and pipeline (engine/ops/matmul-kernels.ts), the
 * loss gradient is per row and scaled by the same f32 1/batch, the bias gradient walks each
 * member's rows in the same order (shaders/reduce_axes.wgsl), the gradients are added into zeroed
 * gradients as the tape does, and the optimizer's update is per element with the same coefficients.
 * tests/regularizers/bagging-batched.test.ts checks every parameter's bits against members trained alone.
 *
 * Dropout: each member draws its own masks, with its own Dropout layers' keys (its seed, the layer's
 * stream, the step as offset), as alone. Hidden dropout of fused members is in the batched product's
 * epilogue, forward and backward, with one key per member (`matmulBatched`'s `dropout` array: the
 * kernel `matmul_keyed` reads workgroup z's key from a small storage array, shaders/matmul.wgsl), so
 * member i's mask is the Philox contract's mask of its own M × N product: still one dispatch per
 * layer. Input dropout, and hidden dropout of unfused members, is the standalone dropout kernel once
 * per member on a copy of its rows (k dispatches, as the k members alone).
 *
 * Supported: members of Linear layers with dropout on the inputs and between them, or none (an
 * `mlp`/`createMlp` with `dropout` and no other inserted layers: ReLU fused or not, with or without
 * biases; every member with the same keep probabilities and rule, seeds free), softmax cross-entropy,
 * an optimizer chain of per-element transformations (sgd, momentum, adam, the penalties). Refused
 * with an error that says why: batch norm and any other layer inside members (each member's
 * statistics would need their own buffers), dropout after the last layer or two in a row, dropout
 * whose keep probability or rule differs between members (one threshold per dispatch), a global-norm
 * clip (it couples the members) and custom transforms, and layers of width 1 (their bias gradient is
 * reduced another way alone). The checks are ./ensemble-checks.ts.
 */
import type { Sequential } from '../nn/sequential';
import type { Dropout } from '../nn/dropout';
import { dropoutBackward, dropoutForward, type DropoutOptions } from '../ops/dropout';
import { type Chain, chainWith, type ChainOptimizer } from '../optim/chain';
import type { DirectionTransform } from '../optim/transforms';
import { ParamArena, type ParamSpec } from '../optim/arena';
import { addInto, fill } from '../ops/elementwise';
import { matmulBatched } from '../ops/matmul';
import { sumAxes } from '../ops/reduce';
import { accumulateXentMetrics, softmaxCrossEntropyBackward } from '../ops/softmax-xent';
import { activationGrad } from '../ops/unary';
import type { IndexWindow } from '../ops/gather';
import { keepTensor, tidy } from '../autograd/scope';
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { readMetrics, type Metrics } from './metrics';
import type { StepBatch } from './trainer';
import { memberStructure, optimizerReason, unbatchableReason } from './ensemble-checks';

export { unbatchableReason } from './ensemble-checks';

/** Elements `start` … `start + count − 1` of `t` (4-byte elements) as a binding, for a copy of one member's part. */
function words(t: Tensor, start: number, count: number): GPUBufferBinding {
  return { buffer: t.buffer, offset: t.byteOffset + start * 4, size: count * 4 };
}

/** One Linear layer of the members, as the stacked step sees it. */
interface StackedLayer {
  name: string;
  inFeatures: number;
  outFeatures: number;
  relu: boolean;
  weight: string;
  bias: string | null;
  /** The members' dropout layers after this one (member i's at [i]), or null. */
  dropout: Dropout[] | null;
}

/** k MLPs trained at once; see the module's comment. */
export class BatchedEnsemble {
  /** The stacked parameters: each member's layer `name` at `[member]` of `name.weight` [k, in, out] and `name.bias` [k, out]. */
  readonly arena: ParamArena;
  /** The optimizer over {@link arena} (one dispatch updates every member). */
  readonly optimizer: ChainOptimizer;
  /** The next step's number. */
  globalStep = 0;
  private readonly layers: StackedLayer[];
  /** The members' dropout layers on the inputs (member i's at [i]), or null. */
  private readonly inputDropout: Dropout[] | null;
  private readonly fused: boolean;
  private readonly accs: Tensor<'f32'>[];
  private readonly scales = new Map<number, Tensor<'f32'>>();
  private disposed = false;

  /**
   * Stacks the members' current parameters (GPU copies) and binds `optimizer` (a direction or a
   * chain, as `fit` takes it) to the stack. The members stay the caller's; {@link members} writes
   * the trained parameters back into them. Throws an ArgumentError saying why when the members or
   * the optimizer cannot be batched ({@link unbatchableReason}).
   */
  constructor(
    private readonly memberModels: readonly Sequential[],
    optimizer: DirectionTransform | Chain,
  ) {
    const why = unbatchableReason(memberModels) ?? optimizerReason(optimizer);
    if (why) throw new ArgumentError(`BatchedEnsemble: cannot batch these members: ${why}`);
    const first = memberModels[0];
    const k = memberModels.length;
    this.fused = first.fuse;
    // Checked by unbatchableReason: every member has this structure.
    const shapes = memberModels.map((m) => memberStructure(m.layers) as Exclude<ReturnType<typeof memberStructure>, string>);
    this.inputDropout = shapes[0].input ? shapes.map((sh) => sh.input!) : null;
    this.layers = shapes[0].linears.map(({ linear: l, dropout }, j) => ({
      name: l.name,
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      relu: l.activation === 'relu',
      weight: `${l.name}.weight`,
      bias: l.hasBias ? `${l.name}.bias` : null,
      dropout: dropout ? shapes.map((sh) => sh.linears[j].dropout!) : null,
    }));
    const specs: ParamSpec[] = first.arena.params.map((p) => ({ name: p.name, shape: [k, ...p.shape], role: p.role, layer: p.layer, l2: p.l2 }));
    this.arena = ParamArena.create(this.rt, specs);
    try {
      for (const p of this.arena.params) {
        for (const [i, m] of memberModels.entries()) {
          const mine = m.arena.param(p.name);
          this.rt.copy(mine.value, words(p.value, i * mine.size, mine.size), mine.size * 4);
        }
      }
      this.optimizer = chainWith(optimizer, []).init(this.arena);
    } catch (e) {
      this.arena.dispose();
      throw e;
    }
    this.accs = memberModels.map(() => keepTensor(fill(this.rt.empty([3]), 0)));
  }

  /** Members. */
  get k(): number {
    return this.memberModels.length;
  }

  private get rt(): Runtime {
    return this.memberModels[0].arena.rt;
  }

  /**
   * Records one step of every member and submits it: `batch.x` holds the members' minibatches one
   * after another ([k·B, in], or [k, B, in]: member i's rows are i·B … i·B + B − 1), `batch.targets`
   * their targets ([k·B, classes]). Member i's step is the one `recordStep` runs for member i's
   * model on its rows at the same step number: its dropout masks are drawn with its own layers'
   * keys (seed, stream, the step as offset), on its own rows, as alone.
   */
  record(batch: StepBatch): void {
    if (this.disposed) throw new ArgumentError('BatchedEnsemble: used after dispose()');
    const { x, targets } = batch ?? ({} as StepBatch);
    const k = this.k;
    const first = this.layers[0];
    const last = this.layers[this.layers.length - 1];
    if (!x || !targets || x.dtype !== 'f32' || targets.dtype !== 'f32')
      throw new ArgumentError('BatchedEnsemble.step: the batch must be { x, targets } with two f32 tensors');
    const rows = x.rank === 3 ? x.shape[0] * x.shape[1] : x.shape[0];
    const wantX = x.rank === 3 ? x.shape[0] === k && x.shape[2] === first.inFeatures : x.rank === 2 && x.shape[1] === first.inFeatures;
    if (!wantX || rows % k !== 0 || rows === 0)
      throw new ShapeError(
        `BatchedEnsemble.step: inputs ${fmtShape(x.shape)} must be the ${k} members' minibatches stacked, [${k}·B, ${first.inFeatures}] or [${k}, B, ${first.inFeatures}]`,
      );
    const b = rows / k;
    if (targets.rank !== 2 || targets.shape[0] !== rows || targets.shape[1] !== last.outFeatures)
      throw new ShapeError(`BatchedEnsemble.step: targets ${fmtShape(targets.shape)} must be [${rows}, ${last.outFeatures}] for inputs ${fmtShape(x.shape)}`);
    const rt = this.rt;
    const step = this.globalStep;
    tidy(() => {
      this.arena.zeroGrads();
      const p = (name: string) => this.arena.param(name);
      const keys = (layers: Dropout[] | null) => (layers ? layers.map((d) => memberKey(d, step)) : undefined);
      // Forward: h_l = dropout_l(relu_l(h_{l−1}·W_l + b_l)) for every member, one dispatch per layer, each
      // member's mask with its own key: in the product's epilogue when fused (linearChain), else a pass
      // of its own per member (the layer's `forward`). The input dropout is a pass per member either way.
      const x3 = rt.view(x, [k, b, first.inFeatures]) as Tensor<'f32'>;
      const hs: Tensor<'f32'>[] = [this.inputDropout ? this.dropoutMembers(x3, keys(this.inputDropout)!, false) : x3];
      // The Linear layers' own outputs (before an unfused dropout): the ReLU derivative's gate.
      const outs: Tensor<'f32'>[] = [];
      for (const l of this.layers) {
        const key = keys(l.dropout);
        const h = matmulBatched(hs[hs.length - 1], p(l.weight).value, {
          bias: l.bias ? p(l.bias).value : undefined,
          relu: l.relu,
          dropout: this.fused ? key : undefined,
        });
        outs.push(h);
        hs.push(key && !this.fused ? this.dropoutMembers(h, key, false) : h);
      }
      const logits = rt.view(hs[hs.length - 1], [rows, last.outFeatures]);
      this.accumulateMetrics(logits, targets, b);
      // The mean loss's gradient: as the tape's, 1 · (f32 1/B) per row; here the 1/B is the incoming gradient of a sum.
      let gz = rt.view(softmaxCrossEntropyBackward(logits, targets, this.scale(b), 'sum'), [k, b, last.outFeatures]) as Tensor<'f32'>;
      if (last.relu) gz = activationGrad('relu_grad', hs[hs.length - 1], gz);
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const l = this.layers[i];
        const input = hs[i];
        addInto(p(l.weight).grad, matmulBatched(input, gz, { transA: true }));
        if (l.bias) addInto(p(l.bias).grad, sumAxes(gz, [1]));
        if (i === 0) break;
        // The previous layer's pre-activation gradient: fused, its dropout mask (regenerated from the
        // forward's keys) and ReLU gate in the product's epilogue (linearChain); else the dropout's
        // backward pass per member and the ReLU derivative as passes of their own (dropout, linear).
        const prev = this.layers[i - 1];
        const prevKeys = keys(prev.dropout);
        if (this.fused) gz = matmulBatched(gz, p(l.weight).value, { transB: true, dropout: prevKeys, gate: prev.relu ? input : undefined });
        else {
          let dh = matmulBatched(gz, p(l.weight).value, { transB: true });
          if (prevKeys) dh = this.dropoutMembers(dh, prevKeys, true);
          gz = prev.relu ? activationGrad('relu_grad', outs[i - 1], dh) : dh;
        }
      }
      this.optimizer.step();
    });
    rt.flush();
    this.globalStep++;
  }

  /** One step ({@link record}), then a wait until at most `syncEvery` submits are unfinished (as `Trainer.step`). */
  async step(batch: StepBatch, syncEvery = 8): Promise<void> {
    this.record(batch);
    await this.rt.ready(syncEvery);
  }

  /** Each member's running metrics since the last {@link resetMetrics} (loss, accuracy, rows), as `Trainer.metrics`. */
  async metrics(): Promise<Metrics[]> {
    const out: Metrics[] = [];
    for (const acc of this.accs) out.push(await readMetrics(acc));
    return out;
  }

  /** Zeroes every member's running metrics. */
  resetMetrics(): void {
    for (const acc of this.accs) fill(acc, 0);
  }

  /** Writes the trained parameters back into the members (GPU copies) and returns them. */
  members(): readonly Sequential[] {
    if (this.disposed) throw new ArgumentError('BatchedEnsemble: used after dispose()');
    for (const p of this.arena.params) {
      for (const [i, m] of this.memberModels.entries()) {
        const mine = m.arena.param(p.name);
        this.rt.copy(words(p.value, i * mine.size, mine.size), mine.value, mine.size * 4);
      }
    }
    return this.memberModels;
  }

  /**
   * Member i's optimizer as if it had trained alone: `chain` (the one given to the constructor)
   * bound to the member's arena, with the member's slices of the stacked optimizer state (momentum's
   * velocity, Adam's moments) and step count. The caller disposes it.
   */
  memberOptimizer(i: number, chain: DirectionTransform | Chain): ChainOptimizer {
    if (!(Number.isInteger(i) && i >= 0 && i < this.k)) throw new ArgumentError(`BatchedEnsemble.memberOptimizer: member ${i} is not in [0, ${this.k})`);
    const member = this.memberModels[i];
    const opt = chainWith(chain, []).init(member.arena);
    const mine = opt.stateTensors();
    for (const [slot, stacked] of Object.entries(this.optimizer.stateTensors())) {
      const dst = mine[slot];
      if (!dst) throw new ArgumentError(`BatchedEnsemble.memberOptimizer: the chain has no ${slot} state; give the constructor's chain`);
      for (const p of this.arena.params) {
        const mp = member.arena.param(p.name);
        this.rt.copy(words(stacked, p.offset + i * mp.size, mp.size), words(dst, mp.offset, mp.size), mp.size * 4);
      }
    }
    opt.setSteps(this.optimizer.steps);
    return opt;
  }

  /** Frees the stack, its optimizer and the metrics (not the members). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.arena.dispose();
    for (const t of [...this.accs, ...this.scales.values()]) t.dispose();
  }

  /**
   * Dropout of each member's slice of `x` [k, …] with its own key, as the standalone kernel of the
   * member's Dropout layer (forward, or `backward`: the same mask again): per member, its rows copied
   * out, one dropout dispatch on them (the very dispatch it runs alone) and the result copied into
   * its slice of the output. k dispatches, as the k members alone.
   */
  private dropoutMembers(x: Tensor<'f32'>, keys: readonly DropoutOptions[], backward: boolean): Tensor<'f32'> {
    const rt = this.rt;
    const out = rt.empty(x.shape);
    const shape = x.shape.slice(1);
    const each = x.size / keys.length;
    for (const [i, key] of keys.entries()) {
      const mine = rt.empty(shape);
      rt.copy(words(x, i * each, each), mine, each * 4);
      const y = backward ? dropoutBackward(mine, key) : dropoutForward(mine, key).y;
      rt.copy(y, words(out, i * each, each), each * 4);
      mine.dispose();
      y.dispose();
    }
    return out;
  }

  /** The f32 1/B the mean loss's gradient starts from, one cached scalar per batch size. */
  private scale(b: number): Tensor<'f32'> {
    let t = this.scales.get(b);
    if (!t || t.isDisposed) {
      t = keepTensor(this.rt.tensor(Float32Array.of(1 / b), []));
      this.scales.set(b, t);
    }
    return t;
  }

  /** Member i's rows of the logits and targets copied out (4-byte copies, no alignment needed) and added to its metrics. */
  private accumulateMetrics(logits: Tensor, targets: Tensor, b: number): void {
    const classes = logits.shape[1];
    const each = b * classes;
    for (const [i, acc] of this.accs.entries()) {
      const li = this.rt.empty([b, classes]);
      const ti = this.rt.empty([b, classes]);
      this.rt.copy(words(logits, i * each, each), li, each * 4);
      this.rt.copy(words(targets, i * each, each), ti, each * 4);
      accumulateXentMetrics(li, ti, acc);
    }
  }
}

/** The key of the mask member dropout layer `d` draws at training step `step` (the layer's own, as in `forwardLayers`). */
function memberKey(d: Dropout, step: number): DropoutOptions {
  const key = d.fusedKey({ training: true, step });
  if (key === null || key === 'identity') throw new ArgumentError(`BatchedEnsemble: the dropout "${d.name}" draws no mask in training`);
  return key;
}

/**
 * The members' epoch orders interleaved window by window, so that ONE gather of rows
 * [k·start, k·(start + count)) is the stacked minibatch of window {start, count}: member i's
 * rows order_i[start .. start + count) at k·start + i·count. Recorded as buffer copies.
 */
export function interleaveOrders(orders: readonly Tensor[], windows: readonly IndexWindow[]): Tensor<'u32'> {
  if (orders.length === 0) throw new ArgumentError('interleaveOrders: no orders given');
  const n = orders[0].size;
  for (const o of orders)
    if (o.size !== n || (o.dtype !== 'u32' && o.dtype !== 'i32'))
      throw new ShapeError(`interleaveOrders: every order must be u32 [${n}], got ${o.dtype} ${fmtShape(o.shape)}`);
  const k = orders.length;
  const rt = orders[0].runtime;
  const out = rt.empty([k * n], 'u32');
  for (const w of windows) {
    if (w.start < 0 || w.count < 0 || w.start + w.count > n)
      throw new ArgumentError(`interleaveOrders: the window ${JSON.stringify(w)} is outside the ${n} rows`);
    if (w.count === 0) continue;
    for (const [i, o] of orders.entries()) {
      rt.copy(words(o, w.start, w.count), words(out, k * w.start + i * w.count, w.count), w.count * 4);
    }
  }
  return out;
}
