/**
 * The pages' one DOM helper. `el` sets text, never markup; the one way to put markup in the page is
 * `html`, whose name says so at every call. `npm run lint`'s page rules (tests/lint/pages.test.ts) fail
 * on `innerHTML` anywhere else in demos/.
 */

/** A new element with an optional class and text (set as text, so `<` shows as `<`). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A new element whose content is `markup`, parsed as HTML. Only for markup the page itself wrote
 * (formulas with <sub>, <code> spans): never for text that came from a user, a hash or a file.
 */
export function html<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string | undefined, markup: string): HTMLElementTagNameMap[K] {
  const e = el(tag, cls);
  setHtml(e, markup);
  return e;
}

/** Replaces an existing element's content by `markup` (same rule as `html`). */
export function setHtml(e: Element, markup: string): void {
  e.innerHTML = markup;
}

/** A fraction as a percentage with `digits` decimals: 0.9123 → "91.2%". */
export function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}
