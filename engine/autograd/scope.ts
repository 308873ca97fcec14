/**
 * Recording scopes: `noGrad` (ops record no nodes) and `tidy` (every Var an op makes inside is
 * disposed at the end, except what the function returns). Both are synchronous: their state is
 * global and would leak into unrelated code across an `await`.
 */
import { ArgumentError } from '../runtime/errors';
import type { Tensor } from '../runtime/tensor';
import { Var } from './var';

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

/** @internal Registers a Var made by an op with the innermost tidy scope, if any. */
export function track(v: Var): void {
  scopes[scopes.length - 1]?.push(v);
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
