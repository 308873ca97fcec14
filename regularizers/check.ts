/**
 * Argument checks shared by the regularizers: each throws the engine's ArgumentError with the
 * regularizer's name, the option and the bad value.
 */
import { ArgumentError } from '../engine/index';

/** A finite number ≥ 0. */
export function nonNegative(where: string, what: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0)) throw new ArgumentError(`${where}: ${what} must be a finite number ≥ 0, got ${String(x)}`);
  return x;
}

/** A finite number > 0. */
export function positive(where: string, what: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new ArgumentError(`${where}: ${what} must be a finite number > 0, got ${String(x)}`);
  return x;
}

/** An integer ≥ `min`. */
export function integerAtLeast(where: string, what: string, x: unknown, min: number): number {
  if (!(typeof x === 'number' && Number.isInteger(x) && x >= min)) throw new ArgumentError(`${where}: ${what} must be an integer ≥ ${min}, got ${String(x)}`);
  return x;
}

/** A number in [0, 1). */
export function unitInterval(where: string, what: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < 1)) throw new ArgumentError(`${where}: ${what} must be in [0, 1), got ${String(x)}`);
  return x;
}

/** A seed of the random generators: an integer in [0, 2⁵³) (the Philox key of engine/random/key.ts). */
export function seed53(where: string, what: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isSafeInteger(x) && x >= 0))
    throw new ArgumentError(`${where}: ${what} must be an integer in [0, 2^53), got ${String(x)}`);
  return x;
}
