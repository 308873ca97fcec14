/**
 * The tape, micrograd-simple: every op call records a node (parents + backward closure) on its
 * output; backward() sorts the graph topologically from the loss and walks it in reverse, adding
 * up gradients. Nothing is compiled; ops are looked up in the typed table (./table).
 *
 * Memory: backward() frees the graph as it goes — each node's saved tensors, the gradients flowing
 * between nodes, and the intermediate results themselves — so only the loss (the caller's) and the
 * leaves survive. For forward-only work, see `tidy` and `noGrad` (./scope).
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { sameShape } from '../ops/strided';
import { GraphFreedError } from './errors';
import { GradStore, accumulateLeaf, seedOne } from './grads';
import { isGradEnabled, track } from './scope';
import { OPS, type OpAttrs, type OpName } from './table';
import { Var, type Node } from './var';
import type { OpDef } from './opdef';

/** What an op accepts as an input: a Var, or a bare tensor (wrapped as a constant). */
export type Input = Var | Tensor;

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
  if (!sameShape(value.shape, grad.shape))
    throw new ShapeError(`param ${name ?? ''}: value ${fmtShape(value.shape)} and gradient ${fmtShape(grad.shape)} differ`);
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
  track(v);
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
    throw new GraphFreedError(
      `backward: the graph of ${loss.describe()} was already freed by an earlier backward(); build the graph again (run the forward pass) to back-propagate again`,
    );
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
        throw new GraphFreedError(
          `backward: ${v.describe()} belongs to a graph an earlier backward() already freed (it was used by two losses); run its forward pass again`,
        );
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
