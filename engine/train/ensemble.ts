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
 * Supported: members of Linear layers only (an `mlp`/`createMlp` without dropout or inserted
 * layers: ReLU fused or not, with or without biases), softmax cross-entropy, an optimizer chain of
 * per-element transformations (sgd, momentum, adam, the penalties). Refused with an error that says
 * why: dropout, batch norm and any other layer inside members (each member's masks and statistics
 * would need their own keys and buffers), a global-norm clip (it couples the members) and custom
 * transforms, and layers of width 1 (their bias gradient is reduced another way alone).
 */
import type { Sequential } from '../nn/sequential';
import { Linear } from '../nn/linear';
import { type Chain, chainWith, type ChainOptimizer } from '../optim/chain';
import { ClipTransform, CustomTransform, type DirectionTransform } from '../optim/transforms';
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

/** One Linear layer of the members, as the stacked step sees it. */
interface StackedLayer {
  name: string;
  inFeatures: number;
  outFeatures: number;
  relu: boolean;
  weight: string;
  bias: string | null;
}

/**
 * Why `members` cannot train as one batched ensemble (a sentence), or null when they can: at least
 * one member, all on one runtime, every layer a Linear, the same widths, activations, biases, fusion
 * setting and parameter penalties in every member.
 */
export function unbatchableReason(members: readonly Sequential[]): string | null {
  if (!Array.isArray(members) || members.length === 0) return 'it needs at least one member';
  const list: readonly Sequential[] = members;
  const first = list[0];
  for (const [i, m] of list.entries()) {
    if (m.arena.rt !== first.arena.rt) return `member ${i} is on another runtime`;
    const other = m.layers.find((l) => !(l instanceof Linear));
    if (other)
      return `member ${i} has the layer "${other.name}" (${other.constructor.name}): only Linear layers batch (dropout, batch norm and other layers inside members would need a key or buffers per member)`;
    if (m.layers.length !== first.layers.length) return `member ${i} has ${m.layers.length} layers, member 0 ${first.layers.length}`;
    for (const [j, l] of (m.layers as Linear[]).entries()) {
      const f = first.layers[j] as Linear;
      if (l.name !== f.name || l.inFeatures !== f.inFeatures || l.outFeatures !== f.outFeatures || l.activation !== f.activation || l.hasBias !== f.hasBias)
        return `member ${i}'s layer ${j} (${l.name} ${l.inFeatures}→${l.outFeatures} ${l.activation}) differs from member 0's (${f.name} ${f.inFeatures}→${f.outFeatures} ${f.activation})`;
      if (l.outFeatures === 1) return `layer ${l.name} has width 1 (its bias gradient is a different reduction alone)`;
    }
    if (m.fuse !== first.fuse) return `member ${i} fuses its layers (${m.fuse}) and member 0 does not (${first.fuse}), or the reverse`;
    for (const p of m.arena.params) if (p.l2 !== first.arena.param(p.name).l2) return `member ${i}'s ${p.name} has its own l2 (${p.l2})`;
  }
  return null;
}

/** Why `optimizer` cannot update stacked members exactly as it updates each alone, or null. */
function optimizerReason(optimizer: DirectionTransform | Chain): string | null {
  const transforms = 'transforms' in optimizer ? optimizer.transforms : [optimizer];
  if (transforms.some((t) => t instanceof ClipTransform)) return 'a global-norm clip couples the members (one norm over all of them)';
  if (transforms.some((t) => t instanceof CustomTransform)) return 'a custom transform may not be per element';
  return null;
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
    this.layers = (first.layers as Linear[]).map((l) => ({
      name: l.name,
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      relu: l.activation === 'relu',
      weight: `${l.name}.weight`,
      bias: l.hasBias ? `${l.name}.bias` : null,
    }));
    const specs: ParamSpec[] = first.arena.params.map((p) => ({ name: p.name, shape: [k, ...p.shape], role: p.role, layer: p.layer, l2: p.l2 }));
    this.arena = ParamArena.create(this.rt, specs);
    try {
      for (const p of this.arena.params) {
        for (const [i, m] of memberModels.entries()) {
          const mine = m.arena.param(p.name);
          this.rt.copy(mine.value, { buffer: p.value.buffer, offset: p.value.byteOffset + i * mine.size * 4, size: mine.size * 4 }, mine.size * 4);
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
   * model on its rows at the same step number (no randomness is drawn: none of its layers draws).
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
    tidy(() => {
      this.arena.zeroGrads();
      const p = (name: string) => this.arena.param(name);
      // Forward: h_l = relu_l(h_{l−1}·W_l + b_l) for every member, one dispatch per layer.
      const hs: Tensor<'f32'>[] = [rt.view(x, [k, b, first.inFeatures]) as Tensor<'f32'>];
      for (const l of this.layers) {
        hs.push(matmulBatched(hs[hs.length - 1], p(l.weight).value, { bias: l.bias ? p(l.bias).value : undefined, relu: l.relu }));
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
        // The previous layer's pre-activation gradient: fused, the ReLU gate in the product's epilogue (linearChain); else a pass of its own (linear).
        const prevRelu = this.layers[i - 1].relu;
        if (this.fused) gz = matmulBatched(gz, p(l.weight).value, { transB: true, gate: prevRelu ? input : undefined });
        else {
          const dh = matmulBatched(gz, p(l.weight).value, { transB: true });
          gz = prevRelu ? activationGrad('relu_grad', input, dh) : dh;
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
        this.rt.copy({ buffer: p.value.buffer, offset: p.value.byteOffset + i * mine.size * 4, size: mine.size * 4 }, mine.value, mine.size * 4);
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
        const bytes = mp.size * 4;
        this.rt.copy(
          { buffer: stacked.buffer, offset: stacked.byteOffset + (p.offset + i * mp.size) * 4, size: bytes },
          { buffer: dst.buffer, offset: dst.byteOffset + mp.offset * 4, size: bytes },
          bytes,
        );
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
    const bytes = b * classes * 4;
    for (const [i, acc] of this.accs.entries()) {
      const li = this.rt.empty([b, classes]);
      const ti = this.rt.empty([b, classes]);
      this.rt.copy({ buffer: logits.buffer, offset: logits.byteOffset + i * bytes, size: bytes }, li, bytes);
      this.rt.copy({ buffer: targets.buffer, offset: targets.byteOffset + i * bytes, size: bytes }, ti, bytes);
      accumulateXentMetrics(li, ti, acc);
    }
  }
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
      rt.copy(
        { buffer: o.buffer, offset: o.byteOffset + w.start * 4, size: w.count * 4 },
        { buffer: out.buffer, offset: out.byteOffset + (k * w.start + i * w.count) * 4, size: w.count * 4 },
        w.count * 4,
      );
    }
  }
  return out;
}
