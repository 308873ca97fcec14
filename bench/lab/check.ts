/**
 * The lab's correctness check: the buffers a kernel wrote against its CPU reference, element by
 * element, with the spec's tolerance `|got − want| ≤ abs + rel·|want|`. A wrong result is reported
 * by its first differing element (buffer, index, both values), which is where a person starts
 * looking. Pure: shared by the CLI and the page.
 */
import type { LabTolerance } from './spec';

/** The first element outside the tolerance. */
export interface FirstBad {
  buffer: string;
  index: number;
  got: number;
  want: number;
}

/** The outcome of one check. */
export interface LabCheck {
  correct: boolean;
  /** The largest |got − want| over every checked element (NaN where a NaN was not expected). */
  maxError: number;
  tolerance: LabTolerance;
  /** Elements compared, all buffers together. */
  checked: number;
  /** Elements outside the tolerance. */
  mismatches: number;
  firstBad?: FirstBad;
}

/**
 * Compares `got` with `want`, buffer by buffer (the reference's buffers; each must have been read
 * back, and have the reference's length).
 */
export function compareOutputs(
  got: Readonly<Record<string, ArrayLike<number>>>,
  want: Readonly<Record<string, ArrayLike<number>>>,
  tolerance: LabTolerance,
): LabCheck {
  let maxError = 0;
  let checked = 0;
  let mismatches = 0;
  let firstBad: FirstBad | undefined;
  const rel = tolerance.rel ?? 0;
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g) throw new Error(`the reference gives buffer "${name}", which the kernel run did not read back`);
    if (g.length < w.length) throw new Error(`buffer "${name}" holds ${g.length} elements, the reference ${w.length}`);
    for (let i = 0; i < w.length; i++) {
      const a = g[i];
      const b = w[i];
      checked++;
      if (Number.isNaN(a) && Number.isNaN(b)) continue;
      const err = a === b ? 0 : Math.abs(a - b);
      // A NaN error (an unexpected NaN, or infinities that differ) is always a mismatch.
      if (Number.isNaN(err) || err > maxError) maxError = Number.isNaN(maxError) ? maxError : err;
      if (!(err <= tolerance.abs + rel * Math.abs(b))) {
        mismatches++;
        firstBad ??= { buffer: name, index: i, got: a, want: b };
      }
    }
  }
  return { correct: mismatches === 0, maxError, tolerance, checked, mismatches, ...(firstBad ? { firstBad } : {}) };
}

/** One line: `correct: max error 1.2e-7 ≤ 1e-5` or `WRONG: y[37] = 0 (want 1.5), 12 of 4096 elements`. */
export function describeCheck(c: LabCheck): string {
  const tol = `${c.tolerance.abs}${c.tolerance.rel ? ` + ${c.tolerance.rel}·|want|` : ''}`;
  if (c.correct) return `correct: max error ${c.maxError.toPrecision(3)} within ${tol} (${c.checked} elements)`;
  const b = c.firstBad;
  const at = b ? `first differing element ${b.buffer}[${b.index}] = ${b.got} (want ${b.want}); ` : '';
  return `WRONG: ${at}${c.mismatches} of ${c.checked} elements outside ${tol}, max error ${c.maxError.toPrecision(3)}`;
}
