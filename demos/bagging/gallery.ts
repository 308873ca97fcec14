/**
 * Held-out digits the members disagree on: each digit drawn at its 28×28 pixels on a canvas (CSS
 * scales it up, pixelated), the label, every member's vote (green where right, red where wrong) and
 * the whole ensemble's vote.
 */
import { digitCanvas, drawDigit } from '../shared/digit-canvas';
import { el, html } from '../shared/dom';
import type { Disagreement } from './stats';

const SIDE = 28;
/** Shown at 70 CSS pixels. */
const ZOOM = 2.5;

/** Fills `parent` with one card per disagreement; `images` holds the held-out digits' pixels, row-major. */
export function renderGallery(parent: HTMLElement, items: readonly Disagreement[], images: Float32Array, memberLetter: string): void {
  parent.replaceChildren();
  for (const d of items) {
    const card = el('figure', 'digit-card');
    card.dataset.row = String(d.row);
    const canvas = digitCanvas(SIDE, SIDE, ZOOM);
    drawDigit(canvas, images, d.row * SIDE * SIDE);
    const votes = d.votes
      .map((v, i) => `<span class="vote ${v === d.label ? 'right' : 'wrong'}" title="${memberLetter}${i + 1} votes ${v}">${v}</span>`)
      .join('');
    const cap = html(
      'figcaption',
      undefined,
      `<div class="votes">${votes}</div><div class="label">label <b>${d.label}</b> · all: <b class="${d.ensemble === d.label ? 'right' : 'wrong'}">${d.ensemble}</b></div>`,
    );
    card.append(canvas, cap);
    parent.append(card);
  }
}
