/**
 * The checks and conversions of option values that bench/args.ts declares options with (integers,
 * numbers, lists, choices), in a module of their own with nothing Node-only, so that the browser
 * pages can check the same values (e.g. the bench page's `?sizes=`) with the same messages.
 */
import { ArgumentError } from '../engine/runtime/errors';

/** Turns an option's text into its value; throws {@link ArgumentError} (see {@link fail}) when the text is bad. */
export type Parse<T> = (text: string, name: string) => T;

/** Throws the error of a bad value: `--name: expected <expected>, got "<text>"`. */
export function fail(name: string, expected: string, text: string): never {
  throw new ArgumentError(`--${name}: expected ${expected}, got "${text}"`);
}

const integers = (min: number, many: boolean): string =>
  min === 1 ? (many ? 'positive integers' : 'a positive integer') : `${many ? 'integers' : 'an integer'} of at least ${min}`;

/** The text as it is. */
export const text: Parse<string> = (t) => t;

/** An integer of at least `min`. */
export function integer(min: number): Parse<number> {
  return (t, name) => {
    const x = Number(t);
    if (t.trim() === '' || !Number.isInteger(x) || x < min) fail(name, integers(min, false), t);
    return x;
  };
}

/** A finite number of at least `min`, or above it when `exclusive`. */
export function number(min: number, exclusive = false): Parse<number> {
  return (t, name) => {
    const x = Number(t);
    if (t.trim() === '' || !Number.isFinite(x) || x < min || (exclusive && x === min))
      fail(name, exclusive && min === 0 ? 'a positive number' : `a number ${exclusive ? 'above' : 'of at least'} ${min}`, t);
    return x;
  };
}

/** Integers of at least `min` separated by commas (at least one). */
export function integerList(min: number): Parse<number[]> {
  return (t, name) => {
    const parts = t
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s);
    const xs = parts.map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < min)) fail(name, `${integers(min, true)} separated by commas`, t);
    return xs;
  };
}

/** Names separated by commas (at least one; blanks dropped). */
export const nameList: Parse<string[]> = (t, name) => {
  const xs = t
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  if (xs.length === 0) fail(name, 'names separated by commas', t);
  return xs;
};

/** One of `choices`. */
export function oneOf<const T extends string>(choices: readonly T[]): Parse<T> {
  return (t, name) => {
    if (!(choices as readonly string[]).includes(t)) fail(name, `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`, t);
    return t as T;
  };
}

/** The adapters of `Runtime.create({ adapter })`, the choice of `--adapter` in every CLI. */
export const ADAPTERS = ['auto', 'lavapipe', 'swiftshader'] as const;
