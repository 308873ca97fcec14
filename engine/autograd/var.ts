/**
 * A Var is a GPU tensor on the tape: its data, whether a gradient flows to it, and (unless it is a
 * leaf) the node that made it: the op, its parents and its backward closure. Leaves are inputs,
 * constants and parameters; a parameter's gradient accumulates in place into a fixed tensor (its
 * view in the parameter arena), any other leaf's into a tensor the Var owns.
 */
import { fmtShape, type Tensor } from '../runtime/tensor';

/** How a node computes its inputs' gradients from its output's gradient. */
export type BackwardFn = (grad: Tensor<'f32'>, needs: readonly boolean[]) => (Tensor<'f32'> | null)[];

/** The record an op leaves on the tape. */
export interface Node {
  /** The op's name in the table (for errors and debugging). */
  readonly op: string;
  readonly parents: readonly Var[];
  readonly backward: BackwardFn;
  /** Tensors only the backward needs; disposed when the graph is freed. */
  readonly saved: Tensor[];
  /** Set by backward(): the saved tensors and intermediate results are gone. */
  freed: boolean;
}

let nextId = 1;

/** A tensor on the tape. */
export class Var {
  /** Unique per process. */
  readonly id = nextId++;
  /**
   * The accumulated gradient of a leaf that has no fixed gradient tensor (null until a backward
   * pass reaches it). The Var owns it; {@link zeroGrad} disposes it.
   */
  grad: Tensor<'f32'> | null = null;

  /** @internal Use `variable`, `constant`, `param` or an op. */
  constructor(
    readonly data: Tensor,
    readonly requiresGrad: boolean,
    readonly node: Node | null,
    /** Whether disposing this Var disposes {@link data} (op outputs: yes; wrapped inputs: no). */
    readonly ownsData: boolean,
    /** A parameter's gradient tensor (an arena view): gradients are added into it in place. */
    readonly gradSink: Tensor<'f32'> | null = null,
    /** A name for messages (parameters). */
    readonly name?: string,
  ) {}

  /** The data's shape. */
  get shape(): readonly number[] {
    return this.data.shape;
  }

  /** Whether this Var was made by an op (as opposed to a leaf). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The gradient to read after backward: the sink of a parameter, else {@link grad}. */
  get gradient(): Tensor<'f32'> | null {
    return this.gradSink ?? this.grad;
  }

  /** Disposes the owned gradient (a parameter's sink is the arena's to zero). */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** Disposes what this Var owns: its data (if it owns it) and its gradient. Safe to call twice. */
  dispose(): void {
    if (this.ownsData) this.data.dispose();
    this.zeroGrad();
  }

  /** `op [2, 3]` or `leaf name [2, 3]`, for messages. */
  describe(): string {
    const what = this.node ? this.node.op : this.name ? `leaf ${this.name}` : 'leaf';
    return `${what} ${fmtShape(this.data.shape)}`;
  }
}
