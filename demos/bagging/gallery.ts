/**
 * Held-out digits the members disagree on: each digit drawn at its 28×28 pixels on a canvas (CSS
 * scales it up, pixelated), the label, every member's vote (green where right, red where wrong) and
 * the whole ensemble's vote.
 */
import type { Disagreement } from './stats';

const SIDE = 28;

/** Draws one digit (784 values in [0, 1], ink white-on-black in MNIST) as black ink on white. */
export function digitCanvas(pixels: Float32Array): HTMLCanvasElement {
  if (pixels.length !== SIDE * SIDE) throw new Error(`digitCanvas: ${pixels.length} pixel values for a ${SIDE}×${SIDE} digit`);
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  canvas.className = 'pixels digit';
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('digitCanvas: the browser gave no 2D canvas context');
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[i]))));
    img.data[4 * i] = g;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = g;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** Fills `parent` with one card per disagreement; `images` holds the held-out digits' pixels, row-major. */
export function renderGallery(parent: HTMLElement, items: readonly Disagreement[], images: Float32Array, memberLetter: string): void {
  parent.replaceChildren();
  for (const d of items) {
    const card = document.createElement('figure');
    card.className = 'digit-card';
    card.dataset.row = String(d.row);
    card.append(digitCanvas(images.subarray(d.row * SIDE * SIDE, (d.row + 1) * SIDE * SIDE)));
    const cap = document.createElement('figcaption');
    const votes = d.votes
      .map((v, i) => `<span class="vote ${v === d.label ? 'right' : 'wrong'}" title="${memberLetter}${i + 1} votes ${v}">${v}</span>`)
      .join('');
    cap.innerHTML = `<div class="votes">${votes}</div><div class="label">label <b>${d.label}</b> · all: <b class="${d.ensemble === d.label ? 'right' : 'wrong'}">${d.ensemble}</b></div>`;
    card.append(cap);
    parent.append(card);
  }
}
