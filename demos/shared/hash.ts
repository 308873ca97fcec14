/**
 * Page state in the URL hash (`#seed=3&p=0.5&rule=inverted`), so that a view can be shared and
 * reproduced. Values keep the type of their default: numbers, booleans or strings.
 */

/** A state object with defaults; `set` writes the hash (replaceState: no history entry per slider move). */
export interface HashState<T extends Record<string, number | string | boolean>> {
  readonly value: T;
  set(patch: Partial<T>): void;
}

function parse<T extends Record<string, number | string | boolean>>(defaults: T, hash: string): T {
  const out = { ...defaults };
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const raw = params.get(key);
    if (raw === null) continue;
    const d = defaults[key];
    if (typeof d === 'number') {
      const n = Number(raw);
      if (Number.isFinite(n)) out[key] = n as T[typeof key];
    } else if (typeof d === 'boolean') {
      out[key] = (raw === '1' || raw === 'true') as T[typeof key];
    } else {
      out[key] = raw as T[typeof key];
    }
  }
  return out;
}

/** Reads the hash over `defaults` and returns a state that writes itself back. */
export function hashState<T extends Record<string, number | string | boolean>>(defaults: T): HashState<T> {
  let value = parse(defaults, location.hash);
  return {
    get value(): T {
      return value;
    },
    set(patch: Partial<T>): void {
      value = { ...value, ...patch };
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(value)) params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
      history.replaceState(null, '', `#${params.toString()}`);
    },
  };
}
