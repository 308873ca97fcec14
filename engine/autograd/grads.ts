/**
 * Gradients in flight during one backward pass: which Var has which gradient, with a reference
 * count per tensor (a backward rule may hand one tensor to several inputs, or pass its incoming
 * gradient straight through), the cached seed ∂loss/∂loss = 1, and accumulation into leaves.
 */
import { addInto, add, fill } from '../ops/elementwise';
import { expandTo } from '../ops/broadcast';
import type { Runtime } from '../runtime/runtime';
import { serviceKey } from '../runtime/services';
import type { Tensor } from '../runtime/tensor';
import type { Var } from './var';
import { keepTensor } from './scope';

/** Gradients in flight, with a reference count per tensor (a rule may hand one tensor to several inputs). */
export class GradStore {
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

/** A runtime's seeds of back-propagation by loss shape (a service of the runtime, freed with it). */
class Seeds {
  readonly byShape = new Map<string, Tensor<'f32'>>();

  dispose(): void {
    for (const t of this.byShape.values()) t.dispose();
    this.byShape.clear();
  }
}

const SEEDS = serviceKey<Seeds>('autograd-seeds');

/**
 * What autodiff keeps on a runtime between calls: the cached seeds of {@link seedOne}, one small
 * tensor per loss shape, made by the first `backward()` and live until released (they count in
 * `rt.memoryStats()`). Leak checks subtract them, or call {@link releaseAutogradCache} first.
 */
export function autogradCache(rt: Runtime): { tensors: number; bytes: number } {
  const live = [...(rt.findService(SEEDS)?.byShape.values() ?? [])].filter((t) => !t.isDisposed);
  return { tensors: live.length, bytes: live.reduce((s, t) => s + t.buffer.size, 0) };
}

/** Frees the seeds {@link seedOne} cached for `rt` (the next `backward()` makes them again). */
export function releaseAutogradCache(rt: Runtime): void {
  rt.findService(SEEDS)?.dispose();
}

/**
 * The seed of back-propagation, ∂loss/∂loss = 1, in the loss's shape ([] or [1], ...): one cached
 * constant per runtime and shape, so a training step does not spend a dispatch filling it.
 */
export function seedOne(loss: Var): Tensor<'f32'> {
  const rt = loss.data.runtime;
  const byShape = rt.service(SEEDS, () => new Seeds()).byShape;
  const key = loss.shape.join(',');
  let t = byShape.get(key);
  if (!t || t.isDisposed) {
    t = keepTensor(fill(rt.empty(loss.shape), 1));
    byShape.set(key, t);
  }
  return t;
}

export function accumulateLeaf(v: Var, g: Tensor<'f32'>, store: GradStore): void {
  const sink = v.gradSink ?? v.grad;
  if (sink) {
    addInto(sink, g);
    store.release(g);
  } else if (store.sole(g)) {
    store.handOver(g);
    v.grad = keepTensor(g);
  } else {
    v.grad = keepTensor(expandTo(g, g.shape));
    store.release(g);
  }
}
