/**
 * "Diff against the preset": a line diff (longest common subsequence) of the edited kernel and
 * the preset's, drawn as a unified listing with line numbers of the edited text. Texts are set
 * with textContent only.
 */

/** One line of a diff. */
export interface DiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  /** Line number in the edited text (add, same), or in the preset's (del). */
  line: number;
}

/** The line diff of `before` → `after`. Quadratic in lines, which kernels keep in the hundreds. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ kind: 'same', text: b[j], line: j + 1 });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push({ kind: 'add', text: b[j], line: j + 1 });
      j++;
    } else {
      out.push({ kind: 'del', text: a[i], line: i + 1 });
      i++;
    }
  }
  return out;
}

/** Renders the changed lines with two lines of context into `parent` (emptied first). */
export function renderDiff(parent: HTMLElement, diff: readonly DiffLine[]): number {
  parent.replaceChildren();
  const changed = diff.map((d) => d.kind !== 'same');
  const near = (k: number): boolean => changed.slice(Math.max(0, k - 2), k + 3).some(Boolean);
  let shown = 0;
  let gap = false;
  for (const [k, d] of diff.entries()) {
    if (!near(k)) {
      gap = true;
      continue;
    }
    if (gap && shown > 0) parent.append(Object.assign(document.createElement('div'), { className: 'gap', textContent: '⋯' }));
    gap = false;
    const row = document.createElement('div');
    row.className = `diff-${d.kind}`;
    row.textContent = `${d.kind === 'add' ? '+' : d.kind === 'del' ? '−' : ' '} ${String(d.line).padStart(4)} ${d.text}`;
    parent.append(row);
    shown++;
  }
  if (shown === 0) parent.textContent = 'No change: the kernel is the preset’s.';
  return changed.filter(Boolean).length;
}
