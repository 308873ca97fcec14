/**
 * The tape, micrograd-simple: every op call records a node (parents + backward closure) on its
 * output; backward() sorts the graph topologically from the loss and walks it in reverse, adding
 * up gradients. Nothing is compiled; ops are looked up in the typed table (./table).
 *
 * Memory: backward() frees the graph as it goes — each node's saved tensors, the gradients flowing
 * between nodes, and the intermediate results themselves — so only the loss (the caller's) and the
 * leaves survive. `tidy(fn)` disposes every Var made inside `fn` except what `fn` returns, for
 * forward-only work (evaluation) and for code that never calls backward.
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { add, addInto, fill } from '../ops/elementwise';
import { expandTo } from '../ops/broadcast';
import { sameShape } from '../ops/strided';
import { GraphFreedError } from './errors';
import { OPS, type OpAttrs, type OpName } from './table';
import { Var, type Node } from './var';
import type { OpDef } from './opdef';

/** What an op accepts as an input: a Var, or a bare tensor (wrapped as a constant). */
export type Input = Var | Tensor;

let noGradDepth = 0;
const scopes: Var[][] = [];

/** Whether ops currently record nodes (false inside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

/**
 * Runs `fn` without recording: ops return plain Vars with no node (evaluation, metrics, updates
 * written with ops). `fn` must be synchronous: the switch is global and would leak into other code
 * across an `await`.
 */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    const r = fn();
    if (r instanceof Promise) throw new ArgumentError('noGrad: the function must be synchronous (it returned a Promise)');
    return r;
  } finally {
    noGradDepth--;
  }
}

/** A leaf that holds `data` (not owned: the caller disposes the tensor). */
export function variable(data: Tensor, { requiresGrad = true, name }: { requiresGrad?: boolean; name?: string } = {}): Var {
  return new Var(data, requiresGrad, null, false, null, name);
}

/** A leaf that needs no gradient (data, labels). */
export function constant(data: Tensor): Var {
  return new Var(data, false, null, false);
}

/**
 * A parameter: a leaf whose gradient is added in place into `grad` (same shape), typically its view
 * in a parameter arena that the optimizer zeroes and reads.
 */
export function param(value: Tensor<'f32'>, grad: Tensor<'f32'>, name?: string): Var {
  if (!sameShape(value.shape, grad.shape)) throw new ShapeError(`param ${name ?? ''}: value ${fmtShape(value.shape)} and gradient ${fmtShape(grad.shape)} differ`);
  return new Var(value, true, null, false, grad, name);
}

function asVar(x: Input): Var {
  return x instanceof Var ? x : constant(x);
}

/** Records `name(inputs; attrs)`: runs its forward now and, if a gradient is needed, a node. */
export function apply<K extends OpName>(name: K, inputs: readonly Input[], attrs: OpAttrs[K]): Var {
  const def = OPS[name] as OpDef<OpAttrs[K]>;
  const parents = inputs.map(asVar);
  const tensors = parents.map((p) => p.data);
  for (const t of tensors) t.assertAlive(name);
  const needsGrad = isGradEnabled() && parents.some((p) => p.requiresGrad);
  const { out, saved = [] } = def.forward(tensors, attrs, needsGrad);
  let v: Var;
  if (!needsGrad) {
    for (const s of saved) s.dispose();
    v = new Var(out, false, null, true);
  } else {
    const node: Node = {
      op: name,
      parents,
      saved,
      freed: false,
      backward: (grad, needs) => def.backward({ grad, inputs: tensors, out, saved, attrs, needs }),
    };
    v = new Var(out, true, node, true);
  }
  scopes[scopes.length - 1]?.push(v);
  return v;
}

/** Nodes reachable from `root`, parents before children. */
function topoOrder(root: Var): Var[] {
  const order: Var[] = [];
  const seen = new Set<Var>([root]);
  const stack: [Var, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [v, i] = top;
    const parents = v.node?.parents ?? [];
    if (i < parents.length) {
      top[1]++;
      const p = parents[i];
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(v);
    }
  }
  return order;
}

/** Gradients in flight, with a reference count per tensor (a rule may hand one tensor to several inputs). */
class GradStore {
  private readonly byVar = new Map<Var, Tensor<'f32'>>();
  private readonly refs = new Map<Tensor, number>();

  give(v: Var, g: Tensor<'f32'>): void {
    const prev = this.byVar.get(v);
    if (prev) {
      this.byVar.set(v, add(prev, g));
      this.refs.set(this.byVar.get(v)!, 1);
      this.release(prev);
    } else {
      this.byVar.set(v, g);
      this.refs.set(g, (this.refs.get(g) ?? 0) + 1);
    }
  }

  /** Gives `v` a gradient that is never disposed (a shared constant). */
  pin(v: Var, g: Tensor<'f32'>): void {
    this.byVar.set(v, g);
    this.refs.set(g, Infinity);
  }

  /** Removes and returns v's gradient; the caller now holds one reference and must release it. */
  take(v: Var): Tensor<'f32'> | undefined {
    const g = this.byVar.get(v);
    this.byVar.delete(v);
    return g;
  }

  /** Whether the caller's reference is the only one. */
  sole(g: Tensor): boolean {
    return this.refs.get(g) === 1;
  }

  release(g: Tensor): void {
    const r = (this.refs.get(g) ?? 1) - 1;
    if (r > 0) {
      this.refs.set(g, r);
      return;
    }
    this.refs.delete(g);
    g.dispose();
  }

  /** Forgets a tensor whose ownership moves elsewhere. */
  handOver(g: Tensor): void {
    this.refs.delete(g);
  }

  /** Disposes whatever is left (after an error). */
  clear(): void {
    for (const [g, r] of this.refs) if (r !== Infinity) g.dispose();
    this.refs.clear();
    this.byVar.clear();
  }
}

const ones = new WeakMap<Runtime, Map<string, Tensor<'f32'>>>();

/**
 * The seed of back-propagation, ∂loss/∂loss = 1, in the loss's shape ([] or [1], ...): one cached
 * constant per runtime and shape, so a training step does not spend a dispatch filling it.
 */
function seedOne(loss: Var): Tensor<'f32'> {
  const rt = loss.data.runtime;
  let byShape = ones.get(rt);
  if (!byShape) ones.set(rt, (byShape = new Map()));
  const key = loss.shape.join(',');
  let t = byShape.get(key);
  if (!t || t.isDisposed) {
    t = fill(rt.empty(loss.shape), 1);
    byShape.set(key, t);
  }
  return t;
}

function accumulateLeaf(v: Var, g: Tensor<'f32'>, store: GradStore): void {
  const sink = v.gradSink ?? v.grad;
  if (sink) {
    addInto(sink, g);
    store.release(g);
  } else if (store.sole(g)) {
    store.handOver(g);
    v.grad = g;
  } else {
    v.grad = expandTo(g, g.shape);
    store.release(g);
  }
}

/**
 * Back-propagates from a scalar `loss`: adds ∂loss/∂leaf into every leaf that requires a gradient
 * (a parameter's gradient tensor, or the leaf's own {@link Var.grad}), then frees the graph. The
 * loss Var itself stays alive (read it, accumulate it, then dispose it).
 */
export function backward(loss: Var): void {
  if (loss.data.size !== 1) {
    throw new ShapeError(`backward: the loss must be a scalar (one element), got ${fmtShape(loss.shape)} from ${loss.describe()}`);
  }
  if (!loss.requiresGrad) throw new ArgumentError(`backward: the loss (${loss.describe()}) does not depend on anything that requires a gradient`);
  if (loss.node?.freed) {
    throw new GraphFreedError(`backward: the graph of ${loss.describe()} was already freed by an earlier backward(); build the graph again (run the forward pass) to back-propagate again`);
  }
  const order = topoOrder(loss);
  const store = new GradStore();
  store.pin(loss, seedOne(loss));
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      const g = store.take(v);
      if (!g) continue;
      const node = v.node;
      if (!node) {
        accumulateLeaf(v, g, store);
        continue;
      }
      if (node.freed) {
        throw new GraphFreedError(`backward: ${v.describe()} belongs to a graph an earlier backward() already freed (it was used by two losses); run its forward pass again`);
      }
      const needs = node.parents.map((p) => p.requiresGrad);
      const grads = node.backward(g, needs);
      const given = new Set<Tensor>();
      node.parents.forEach((p, k) => {
        const gk = grads[k];
        if (!needs[k] || !gk) return;
        if (!sameShape(gk.shape, p.shape)) {
          throw new ShapeError(`backward of ${node.op}: the gradient of input ${k} has shape ${fmtShape(gk.shape)} but the input has ${fmtShape(p.shape)}`);
        }
        store.give(p, gk);
        given.add(gk);
      });
      // A rule may compute a gradient nobody asked for; drop it unless it is shared.
      for (const gk of grads) {
        if (gk && gk !== g && !given.has(gk)) {
          given.add(gk);
          gk.dispose();
        }
      }
      store.release(g);
    }
  } catch (e) {
    store.clear();
    throw e;
  } finally {
    freeGraph(order, loss);
  }
}

/** Disposes every node's saved tensors and every intermediate result except the loss. */
function freeGraph(order: readonly Var[], root: Var): void {
  for (const v of order) {
    if (!v.node || v.node.freed) continue;
    for (const s of v.node.saved) s.dispose();
    v.node.freed = true;
    if (v !== root) v.data.dispose();
  }
}

/** Values `tidy` keeps: a Var or tensor, or arrays and plain objects of them. */
export type Kept = Var | Tensor | void | undefined | null | number | string | boolean | readonly Kept[] | { readonly [k: string]: Kept };

function collect(x: unknown, into: Set<unknown>): void {
  if (x instanceof Var) {
    into.add(x);
  } else if (Array.isArray(x)) {
    for (const y of x) collect(y, into);
  } else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const y of Object.values(x)) collect(y, into);
  }
}

/**
 * Runs `fn` and disposes every Var an op made inside it, except the Vars in its result (a Var, or
 * arrays/plain objects of Vars); those move to the enclosing tidy, if any. Synchronous only.
 */
export function tidy<T extends Kept>(fn: () => T): T {
  const made: Var[] = [];
  scopes.push(made);
  let result: T;
  try {
    result = fn();
    if ((result as unknown) instanceof Promise) throw new ArgumentError('tidy: the function must be synchronous (it returned a Promise)');
  } catch (e) {
    for (const v of made) v.dispose();
    throw e;
  } finally {
    scopes.pop();
  }
  const keep = new Set<unknown>();
  collect(result, keep);
  const outer = scopes[scopes.length - 1];
  for (const v of made) {
    if (keep.has(v)) outer?.push(v);
    else v.dispose();
  }
  return result;
}
