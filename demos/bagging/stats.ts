/**
 * The numbers of eq. 7.50, measured on held-out digits, in f64 on the CPU from the members'
 * predicted probabilities (read back from the GPU).
 *
 * A member's error on a digit x with label y is the vector εᵢ(x) = p⁽ⁱ⁾(·|x) − onehot(y) (10 numbers);
 * its squared error ‖εᵢ‖² is the Brier score. Over the held-out digits:
 *   v = mean over members i of E‖εᵢ‖²            (one member's mean squared error)
 *   c = mean over pairs i ≠ j of E⟨εᵢ, εⱼ⟩        (the mean pairwise error product)
 * The ensemble predicts p̄ = (1/k)Σᵢ p⁽ⁱ⁾ (eq. 7.52), so its error is (1/k)Σᵢ εᵢ and
 *   E‖(1/k)Σᵢ εᵢ‖² = (1/k²)Σᵢⱼ E⟨εᵢ, εⱼ⟩ = v/k + (k − 1)c/k        (eq. 7.50)
 * exactly — an identity of these measured quantities, not an approximation. The page measures the
 * left side directly (from p̄, not from v and c) and puts the right side beside it.
 */

/** Classes of MNIST. */
export const CLASSES = 10;

/** Exact mean and standard deviation of the distinct fraction of a bootstrap resample of n. */
export function distinctMoments(n: number): { mean: number; sd: number } {
  // Missing examples: a sum of n dependent indicators, each 1 with q = (1 − 1/n)ⁿ, pairs with r = (1 − 2/n)ⁿ.
  const q = (1 - 1 / n) ** n;
  const r = (1 - 2 / n) ** n;
  const varMissing = n * q + n * (n - 1) * r - n * n * q * q;
  return { mean: 1 - q, sd: Math.sqrt(Math.max(varMissing, 0)) / n };
}

/** How many times each of n examples was drawn into a resample. */
export function drawCounts(indices: ArrayLike<number>, n: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < indices.length; i++) out[indices[i]]++;
  return out;
}

/** Index of the largest entry of row r. */
function argmaxRow(p: ArrayLike<number>, r: number): number {
  let best = 0;
  for (let c = 1; c < CLASSES; c++) if (p[r * CLASSES + c] > p[r * CLASSES + best]) best = c;
  return best;
}

/** The Gram matrix G[i][j] = E⟨εᵢ, εⱼ⟩ over the rows (f64). */
export function errorGram(probs: readonly Float32Array[], labels: ArrayLike<number>): Float64Array[] {
  const k = probs.length;
  const rows = labels.length;
  const g = Array.from({ length: k }, () => new Float64Array(k));
  const e = Array.from({ length: k }, () => new Float64Array(CLASSES));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) for (let c = 0; c < CLASSES; c++) e[i][c] = probs[i][r * CLASSES + c] - (labels[r] === c ? 1 : 0);
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        let s = 0;
        for (let c = 0; c < CLASSES; c++) s += e[i][c] * e[j][c];
        g[i][j] += s;
      }
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      g[i][j] /= rows;
      g[j][i] = g[i][j];
    }
  }
  return g;
}

/** v and c of the members in `set` (c is NaN for one member: there is no pair). */
export function vAndC(g: readonly Float64Array[], set: readonly number[]): { v: number; c: number } {
  let v = 0;
  let c = 0;
  for (const i of set) {
    v += g[i][i];
    for (const j of set) if (j !== i) c += g[i][j];
  }
  const k = set.length;
  return { v: v / k, c: k > 1 ? c / (k * (k - 1)) : NaN };
}

/** Eq. 7.50's right side. */
export function eq750(v: number, c: number, k: number): number {
  return v / k + (k > 1 ? ((k - 1) * c) / k : 0);
}

/** The ensemble of the members in `set`, measured directly: mean squared error of p̄ and the fraction misclassified. */
export function ensembleError(probs: readonly Float32Array[], labels: ArrayLike<number>, set: readonly number[]): { brier: number; wrong: number } {
  const rows = labels.length;
  const avg = new Float64Array(CLASSES);
  let brier = 0;
  let wrong = 0;
  for (let r = 0; r < rows; r++) {
    avg.fill(0);
    for (const i of set) for (let c = 0; c < CLASSES; c++) avg[c] += probs[i][r * CLASSES + c];
    let s = 0;
    let best = 0;
    for (let c = 0; c < CLASSES; c++) {
      avg[c] /= set.length;
      const d = avg[c] - (labels[r] === c ? 1 : 0);
      s += d * d;
      if (avg[c] > avg[best]) best = c;
    }
    brier += s;
    if (best !== labels[r]) wrong++;
  }
  return { brier: brier / rows, wrong: wrong / rows };
}

/** Every k-element subset of 0..n−1. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i <= n - (k - acc.length); i++) {
      acc.push(i);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

/** One k of the table and chart. */
export interface KRow {
  k: number;
  /** Ensemble error averaged over all C(K, k) k-member ensembles, measured from p̄. */
  subsetMean: number;
  /** v/k + (k − 1)c/k with v, c of all K members: equal to subsetMean (every member and pair counts equally). */
  predicted: number;
  /** The first k members' ensemble, measured from p̄. */
  firstK: number;
  /** v/k + (k − 1)c/k with v, c of the first k members: equal to firstK. */
  firstKPredicted: number;
  /** Fraction of digits the first k members' ensemble misclassifies. */
  firstKWrong: number;
  /** How many k-member ensembles were averaged. */
  ensembles: number;
}

/** One member's own numbers. */
export interface MemberRow {
  /** ‖εᵢ‖² averaged over the held-out digits (G[i][i]). */
  brier: number;
  wrong: number;
}

/** A held-out digit the members disagree on. */
export interface Disagreement {
  row: number;
  label: number;
  votes: number[];
  /** The whole ensemble's vote (argmax of p̄). */
  ensemble: number;
}

/** Everything the panels show for K members. */
export interface EnsembleStats {
  members: MemberRow[];
  v: number;
  c: number;
  rows: KRow[];
  /** Largest |measured − eq. 7.50| over both identities and every k. */
  maxIdentityGap: number;
  disagreements: Disagreement[];
  /** Digits on which not every member votes the same. */
  disagreeCount: number;
}

/** The statistics of the members' probabilities on the held-out digits. */
export function ensembleStats(probs: readonly Float32Array[], labels: ArrayLike<number>, galleryMax = 10): EnsembleStats {
  const K = probs.length;
  const g = errorGram(probs, labels);
  const all = Array.from({ length: K }, (_, i) => i);
  const { v, c } = vAndC(g, all);
  const members = all.map((i) => ({ brier: g[i][i], wrong: ensembleError(probs, labels, [i]).wrong }));
  const rows: KRow[] = [];
  let maxIdentityGap = 0;
  for (let k = 1; k <= K; k++) {
    const sets = subsets(K, k);
    let sum = 0;
    for (const s of sets) sum += ensembleError(probs, labels, s).brier;
    const first = all.slice(0, k);
    const fk = ensembleError(probs, labels, first);
    const vc = vAndC(g, first);
    const row: KRow = {
      k,
      subsetMean: sum / sets.length,
      predicted: eq750(v, c, k),
      firstK: fk.brier,
      firstKPredicted: eq750(vc.v, vc.c, k),
      firstKWrong: fk.wrong,
      ensembles: sets.length,
    };
    maxIdentityGap = Math.max(maxIdentityGap, Math.abs(row.subsetMean - row.predicted), Math.abs(row.firstK - row.firstKPredicted));
    rows.push(row);
  }
  // Digits the members split on: fewest votes for the majority first, then most distinct answers.
  const found: (Disagreement & { majority: number; distinct: number })[] = [];
  for (let r = 0; r < labels.length; r++) {
    const votes = probs.map((p) => argmaxRow(p, r));
    const tally = new Map<number, number>();
    for (const x of votes) tally.set(x, (tally.get(x) ?? 0) + 1);
    if (tally.size < 2) continue;
    const avg = new Float64Array(CLASSES);
    for (const p of probs) for (let cl = 0; cl < CLASSES; cl++) avg[cl] += p[r * CLASSES + cl];
    found.push({ row: r, label: Number(labels[r]), votes, ensemble: argmaxRow(avg, 0), majority: Math.max(...tally.values()), distinct: tally.size });
  }
  found.sort((a, b) => a.majority - b.majority || b.distinct - a.distinct || a.row - b.row);
  const disagreements = found.slice(0, galleryMax).map(({ row, label, votes, ensemble }) => ({ row, label, votes, ensemble }));
  return { members, v, c, rows, maxIdentityGap, disagreements, disagreeCount: found.length };
}
