/**
 * Test-hook fields that are read live: a page whose sections own a changing value (a version
 * counter, the results so far) exposes a getter instead of copying the value after every change.
 * `expose` (page.ts) copies values once; this defines fields that are read again at every access.
 */

/** Defines each of `getters` on `hook` as an enumerable field whose value is the getter's at every read. */
export function exposeLive<H extends object>(hook: Partial<H>, getters: { [K in keyof H]?: () => H[K] }): void {
  for (const [name, get] of Object.entries(getters)) {
    Object.defineProperty(hook, name, { get: get as () => unknown, enumerable: true, configurable: true });
  }
}
