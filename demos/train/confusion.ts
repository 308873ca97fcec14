/**
 * The held-out confusion matrix: rows are the true digits, columns the predicted ones (argmax of
 * one deterministic pass), drawn as a table whose cells are shaded by the fraction of their row.
 */

/** counts[true][predicted] from `rows` rows of 10 probabilities and their labels. */
export function confusionCounts(probs: Float32Array, labels: Uint32Array): number[][] {
  const counts = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[r * 10 + c] > probs[r * 10 + best]) best = c;
    counts[labels[r]][best]++;
  }
  return counts;
}

/** A 10 × 10 heat-map table; `set` fills it. */
export interface ConfusionTable {
  readonly element: HTMLTableElement;
  set(counts: number[][] | null): void;
}

/** An empty confusion table. */
export function confusionTable(): ConfusionTable {
  const table = document.createElement('table');
  table.className = 'confusion';
  const head = table.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.textContent = 'true ↓ / predicted →';
  corner.className = 'corner';
  head.append(corner);
  for (let c = 0; c < 10; c++) {
    const th = document.createElement('th');
    th.textContent = String(c);
    head.append(th);
  }
  const body = table.createTBody();
  const cells: HTMLTableCellElement[][] = [];
  for (let r = 0; r < 10; r++) {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.textContent = String(r);
    row.append(th);
    cells.push(Array.from({ length: 10 }, () => row.insertCell()));
  }
  return {
    element: table,
    set(counts) {
      for (let r = 0; r < 10; r++) {
        const total = counts ? counts[r].reduce((a, b) => a + b, 0) : 0;
        for (let c = 0; c < 10; c++) {
          const n = counts ? counts[r][c] : 0;
          const f = total > 0 ? n / total : 0;
          const cell = cells[r][c];
          cell.textContent = n > 0 ? String(n) : '';
          cell.title = counts ? `true ${r}, predicted ${c}: ${n} of ${total}` : '';
          // Correct (diagonal) in blue, confusions in red; the shade is the row fraction.
          cell.style.background = n === 0 ? '' : r === c ? `rgba(31,111,235,${0.12 + 0.7 * f})` : `rgba(207,34,46,${0.12 + 0.8 * Math.min(1, f * 4)})`;
          cell.style.color = (r === c && f > 0.55) || (r !== c && f > 0.15) ? 'white' : '';
        }
      }
    },
  };
}
