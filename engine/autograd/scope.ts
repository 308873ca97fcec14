/**
 * Recording scopes: `noGrad` (ops record no nodes) and `tidy` (every Var an op makes inside, and
 * every tensor a raw op makes inside, is disposed at the end, except what the function returns).
 * Both are synchronous: their state is global and would leak into unrelated code across an `await`.
 */
import { ArgumentError } from '../runtime/errors';
import { Tensor, setTensorTracker } from '../runtime/tensor';
import { Var } from './var';

let noGradDepth = 0;

/** What one tidy scope made: Vars of ops, and tensors of raw ops (Var outputs included). */
interface Scope {
  vars: Var[];
  tensors: Tensor[];
}

const scopes: Scope[] = [];
/** Tensors exempt from every enclosing tidy (caches, state owned by a longer-lived object). */
const exempt = new WeakSet<Tensor>();

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

/** @internal Registers a Var made by an op with the innermost tidy scope, if any. */
export function track(v: Var): void {
  scopes[scopes.length - 1]?.vars.push(v);
}

/**
 * Marks `t` as outliving any enclosing {@link tidy}: for tensors made inside one on purpose and
 * owned by something longer-lived (a cache, an optimizer's state, a leaf's gradient). Returns `t`.
 */
export function keepTensor<T extends Tensor>(t: T): T {
  exempt.add(t);
  return t;
}

function trackTensor(t: Tensor): void {
  scopes[scopes.length - 1]?.tensors.push(t);
}

/** Values `tidy` keeps: a Var or tensor, or arrays and plain objects of them. */
export type Kept = Var | Tensor | void | undefined | null | number | string | boolean | readonly Kept[] | { readonly [k: string]: Kept };

function collect(x: unknown, into: Set<unknown>): void {
  if (x instanceof Var) {
    into.add(x);
    into.add(x.data);
    if (x.grad) into.add(x.grad);
  } else if (x instanceof Tensor) {
    into.add(x);
  } else if (Array.isArray(x)) {
    for (const y of x) collect(y, into);
  } else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const y of Object.values(x)) collect(y, into);
  }
}

/**
 * Runs `fn` and disposes every Var an op made inside it and every tensor a raw op (or
 * `rt.empty`/`rt.tensor`) made inside it, except what its result holds (a Var or tensor, or
 * arrays/plain objects of them; a kept Var keeps its data) and tensors marked with
 * {@link keepTensor}. What is kept moves to the enclosing tidy, if any. Synchronous only.
 */
export function tidy<T extends Kept>(fn: () => T): T {
  const made: Scope = { vars: [], tensors: [] };
  scopes.push(made);
  const prevTracker = setTensorTracker(trackTensor);
  let result: T;
  try {
    result = fn();
    if ((result as unknown) instanceof Promise) throw new ArgumentError('tidy: the function must be synchronous (it returned a Promise)');
  } catch (e) {
    for (const v of made.vars) v.dispose();
    for (const t of made.tensors) if (!exempt.has(t)) t.dispose();
    throw e;
  } finally {
    scopes.pop();
    setTensorTracker(scopes.length > 0 ? prevTracker : null);
  }
  const keep = new Set<unknown>();
  collect(result, keep);
  const outer = scopes[scopes.length - 1];
  for (const v of made.vars) {
    if (keep.has(v)) outer?.vars.push(v);
    else if (keep.has(v.data))
      v.zeroGrad(); // its data is returned on its own: keep the data
    else v.dispose();
  }
  for (const t of made.tensors) {
    if (exempt.has(t)) continue;
    if (keep.has(t)) outer?.tensors.push(t);
    else t.dispose();
  }
  return result;
}
