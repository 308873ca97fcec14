/**
 * Choosing parameters and giving them coefficients: by role (`'weight'`, `'bias'`, `'scale'`), by
 * layer (`{ layer: 'fc1' }`), by name (a RegExp, or `{ name: 'fc1.weight' }`), or by any predicate.
 * Names that match nothing are errors, so a typo in a layer name is caught rather than ignored.
 */
import { ArgumentError, describeValue, quoteString } from '../runtime/errors';
import type { ArenaParam, ParamArena, ParamRole } from './arena';

/** One way of picking parameters. */
export type ParamSelector = ParamRole | RegExp | { layer: string | readonly string[] } | { name: string | RegExp } | ((p: ArenaParam) => boolean);

/** Which parameters a transformation touches. */
export interface Selection {
  /** Parameters touched (default: the weights). Several selectors: any of them. */
  include?: ParamSelector | readonly ParamSelector[];
  /** Parameters left alone, even if included. */
  exclude?: ParamSelector | readonly ParamSelector[];
}

/** A coefficient: one number, one per layer (by layer name; unnamed layers get `default`), or a function. */
export type Coefficient = number | { byLayer: Readonly<Record<string, number>>; default?: number } | ((p: ArenaParam) => number);

function asList(s: ParamSelector | readonly ParamSelector[] | undefined): readonly ParamSelector[] {
  if (s === undefined) return [];
  return Array.isArray(s) ? (s as readonly ParamSelector[]) : [s as ParamSelector];
}

function layerNames(arena: ParamArena): Set<string> {
  return new Set(arena.params.map((p) => String(p.layer)));
}

function checkLayer(arena: ParamArena, name: string, where: string): void {
  const names = layerNames(arena);
  if (!names.has(name)) throw new ArgumentError(`${where}: unknown layer "${name}" (layers with parameters: ${[...names].join(', ')})`);
}

function matches(sel: ParamSelector, p: ArenaParam, arena: ParamArena, where: string): boolean {
  if (typeof sel === 'function') return sel(p);
  if (sel instanceof RegExp) return sel.test(p.name);
  if (typeof sel === 'string') {
    if (sel !== 'weight' && sel !== 'bias' && sel !== 'scale') throw new ArgumentError(`${where}: unknown parameter role "${sel}" (weight, bias, scale)`);
    return p.role === sel;
  }
  if ('layer' in sel) {
    const list: readonly string[] = typeof sel.layer === 'string' ? [sel.layer] : sel.layer;
    for (const l of list) checkLayer(arena, l, where);
    return list.includes(String(p.layer));
  }
  if ('name' in sel) {
    if (typeof sel.name === 'string') {
      if (!arena.params.some((q) => q.name === sel.name))
        throw new ArgumentError(`${where}: unknown parameter "${sel.name}" (have: ${arena.params.map((q) => q.name).join(', ')})`);
      return p.name === sel.name;
    }
    return sel.name.test(p.name);
  }
  throw new ArgumentError(`${where}: not a parameter selector: ${String(sel)}`);
}

/** Whether `p` is selected: included (default: weights) and not excluded. */
export function isSelected(selection: Selection, p: ArenaParam, arena: ParamArena, where: string): boolean {
  const inc = asList(selection.include);
  const included = inc.length === 0 ? p.role === 'weight' : inc.some((s) => matches(s, p, arena, where));
  // Evaluate every exclude selector (not just until one matches) so bad names always throw.
  const excluded = asList(selection.exclude)
    .map((s) => matches(s, p, arena, where))
    .some((x) => x);
  return included && !excluded;
}

/** Checks a coefficient value: a finite number ≥ 0. */
export function checkCoefficient(where: string, what: string, x: number): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0))
    throw new ArgumentError(`${where}: ${what} must be a finite number ≥ 0, got ${describeValue(x)}`);
  return x;
}

/** Whether `c` is a per-layer table `{ byLayer, default? }` (an object whose `byLayer` is an object). */
function isTable(c: unknown): c is { byLayer: Readonly<Record<string, number>>; default?: number } {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return false;
  const t = (c as { byLayer?: unknown }).byLayer;
  return typeof t === 'object' && t !== null && !Array.isArray(t);
}

/** Checks a {@link Coefficient} before any arena is known (numbers and per-layer tables). */
export function checkCoefficientSpec(where: string, what: string, c: Coefficient): void {
  if (typeof c === 'number') checkCoefficient(where, what, c);
  else if (isTable(c)) {
    for (const [layer, x] of Object.entries(c.byLayer)) checkCoefficient(where, `${what} of layer ${layer.length <= 64 ? layer : quoteString(layer)}`, x);
    if (c.default !== undefined) checkCoefficient(where, `${what} (default)`, c.default);
  } else if (typeof c !== 'function') throw new ArgumentError(`${where}: ${what} must be a number, { byLayer }, or a function, got ${describeValue(c)}`);
}

/** The coefficient of every parameter of `arena` (0 where not selected), in arena order. */
export function resolveCoefficients(arena: ParamArena, coefficient: Coefficient, selection: Selection, where: string, what: string): number[] {
  checkCoefficientSpec(where, what, coefficient);
  if (isTable(coefficient)) for (const l of Object.keys(coefficient.byLayer)) checkLayer(arena, l, where);
  return arena.params.map((p) => {
    if (!isSelected(selection, p, arena, where)) return 0;
    const c =
      typeof coefficient === 'number'
        ? coefficient
        : typeof coefficient === 'function'
          ? coefficient(p)
          : ((Object.hasOwn(coefficient.byLayer, String(p.layer)) ? coefficient.byLayer[String(p.layer)] : undefined) ?? coefficient.default ?? 0);
    return checkCoefficient(where, `${what} of ${p.name}`, c);
  });
}
