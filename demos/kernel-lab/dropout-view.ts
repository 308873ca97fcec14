/**
 * The dropout preset's teaching view: which lines of the kernel decide keep or drop (marked in
 * the editor), and after each run the mask the kernel wrote, its kept fraction, and two tests of
 * it: the kept count against Binomial(n, p), and adjacent pairs (the two 16-bit halves of one
 * Philox word) agreeing as often as independent draws would, p² + (1 − p)². An edit of the
 * threshold comparison or of the Philox rounds shows up in the mask and in these tests.
 */
import { el } from '../shared/dom';

/** The 1-based lines of `text` that decide keep or drop: the threshold comparisons and the Philox rounds. */
export function decidingLines(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim().startsWith('//')) return;
    if (/params\.threshold|PHILOX_ROUNDS|philox4x32_r_from/.test(l)) out.push(i + 1);
  });
  return out;
}

/** The statistics of a 0/1 mask for keep probability p. */
export interface MaskStats {
  n: number;
  kept: number;
  fraction: number;
  /** (kept − np) / √(np(1 − p)). */
  z: number;
  /** Fraction of adjacent pairs (2k, 2k+1) that agree, and its z against p² + (1 − p)². */
  pairAgree: number;
  pairZ: number;
  pass: boolean;
}

/** |z| beyond this fails a test (a false alarm about once in 16,000 runs per test). */
const Z_LIMIT = 4;

/** Tests `mask` against keep probability `p`. */
export function maskStats(mask: ArrayLike<number>, p: number): MaskStats {
  const n = mask.length;
  let kept = 0;
  for (let i = 0; i < n; i++) kept += mask[i] ? 1 : 0;
  const z = (kept - n * p) / Math.sqrt(n * p * (1 - p) || 1);
  const pairs = Math.floor(n / 2);
  let agree = 0;
  for (let k = 0; k < pairs; k++) agree += (mask[2 * k] ? 1 : 0) === (mask[2 * k + 1] ? 1 : 0) ? 1 : 0;
  const q = p * p + (1 - p) * (1 - p);
  const pairZ = (agree - pairs * q) / Math.sqrt(pairs * q * (1 - q) || 1);
  return { n, kept, fraction: kept / n, z, pairAgree: agree / Math.max(pairs, 1), pairZ, pass: Math.abs(z) < Z_LIMIT && Math.abs(pairZ) < Z_LIMIT };
}

/** Draws the first 64 × 64 elements of the mask and the tests into `parent`. */
export function renderMask(parent: HTMLElement, mask: ArrayLike<number>, p: number): MaskStats {
  parent.replaceChildren();
  const s = maskStats(mask, p);
  const side = 64;
  const canvas = el('canvas', 'mask');
  canvas.width = side;
  canvas.height = side;
  const g = canvas.getContext('2d');
  if (g) {
    const img = g.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const v = i < mask.length && mask[i] ? 255 : 30;
      img.data.set([v, v, v, 255], 4 * i);
    }
    g.putImageData(img, 0, 0);
  }
  const text = el('div', 'mask-stats');
  text.append(
    el('p', undefined, `kept ${s.kept} of ${s.n} = ${(100 * s.fraction).toFixed(2)}% (keep probability ${p}); z = ${s.z.toFixed(2)} against Binomial(n, p)`),
    el(
      'p',
      undefined,
      `adjacent pairs agreeing: ${(100 * s.pairAgree).toFixed(2)}% (independent draws: ${(100 * (p * p + (1 - p) * (1 - p))).toFixed(2)}%); z = ${s.pairZ.toFixed(2)}`,
    ),
    el(
      'p',
      `verdict ${s.pass ? 'good' : 'bad'}`,
      s.pass ? `Both tests pass (|z| < ${Z_LIMIT}).` : `A test fails (|z| ≥ ${Z_LIMIT}): the mask is not Bernoulli(p) with independent halves.`,
    ),
  );
  parent.append(el('p', 'muted', 'The mask (first 64 × 64 elements; white = kept):'), canvas, text);
  return s;
}
