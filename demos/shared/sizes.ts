/**
 * Which layout a page uses. Software adapters (SwiftShader in headless Chromium, lavapipe) get the
 * small sizes, so a step takes tens of milliseconds; a GPU gets the large ones. `?sizes=small` or
 * `?sizes=large` in the address overrides the choice, to see one layout on the other kind of adapter.
 */
import type { Runtime } from '../../engine/index';

export type SizeChoice = 'small' | 'large';

/** 'small' on a software adapter unless `?sizes=large`, 'large' on a GPU unless `?sizes=small`. */
export function pageSizes(rt: Runtime, search: string = typeof location === 'undefined' ? '' : location.search): SizeChoice {
  const forced = new URLSearchParams(search).get('sizes');
  if (forced === 'small' || forced === 'large') return forced;
  return rt.info.isFallbackAdapter ? 'small' : 'large';
}

/** Picks `small` or `large` by the page's size choice. */
export function bySize<T>(choice: SizeChoice, small: T, large: T): T {
  return choice === 'small' ? small : large;
}
