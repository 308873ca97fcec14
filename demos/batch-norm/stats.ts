/**
 * Statistics the page computes on the CPU from activations read back from the GPU ([rows, units]
 * row-major): per-unit mean and variance, histograms, and how batch statistics scatter from one
 * random batch to the next (the noise batch norm injects).
 */

/** Mean and (biased, as batch norm uses it) variance of column `unit` of a [rows, units] array. */
export function columnStats(a: Float32Array, units: number, unit: number): { mean: number; variance: number } {
  const rows = a.length / units;
  let s = 0;
  for (let r = 0; r < rows; r++) s += a[r * units + unit];
  const mean = s / rows;
  let v = 0;
  for (let r = 0; r < rows; r++) v += (a[r * units + unit] - mean) ** 2;
  return { mean, variance: v / rows };
}

/** Counts of column `unit`'s values in `bins` equal bins over [lo, hi] (values outside go to the end bins). */
export function histogram(a: Float32Array, units: number, unit: number, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const rows = a.length / units;
  for (let r = 0; r < rows; r++) {
    const k = Math.floor(((a[r * units + unit] - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, k))]++;
  }
  return counts;
}

/** A small deterministic generator (mulberry32), so that the page's random batches repeat with its seed. */
export function mulberry32(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` distinct rows of `rows`, always including row `must`. */
function randomBatch(rows: number, size: number, must: number, rand: () => number): number[] {
  const picked = new Set<number>([must]);
  while (picked.size < size) picked.add(Math.floor(rand() * rows));
  return [...picked];
}

/** How batch statistics scatter at one batch size. */
export interface BatchSpread {
  batch: number;
  /** Std of μ_B across batches over the population σ, averaged over units (theory for i.i.d. rows: 1/√B). */
  meanSpread: number;
  /** Std of σ_B across batches over σ, averaged over units. */
  stdSpread: number;
  /**
   * The normalized value (x − μ_B)/√(σ²_B + ε) of ONE example (row 0) at unit `unit`, in each
   * batch drawn: what the next layer sees of that example changes with its batchmates.
   */
  normalized: number[];
  /** The same example normalized with the population statistics (what the running ones approach). */
  normalizedPopulation: number;
}

/**
 * Draws `draws` random batches of `batch` rows (each containing row 0) from `a` ([rows, units]) and
 * measures the spread of the batch statistics of every unit against the whole set's.
 */
export function batchSpread(a: Float32Array, units: number, batch: number, draws: number, unit: number, eps: number, seed: number): BatchSpread {
  const rows = a.length / units;
  const rand = mulberry32(seed * 7919 + batch);
  const pop = Array.from({ length: units }, (_, u) => columnStats(a, units, u));
  const sumM = new Float64Array(units);
  const sumM2 = new Float64Array(units);
  const sumS = new Float64Array(units);
  const sumS2 = new Float64Array(units);
  const normalized: number[] = [];
  for (let d = 0; d < draws; d++) {
    const idx = randomBatch(rows, batch, 0, rand);
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (const r of idx) s += a[r * units + u];
      const m = s / batch;
      let v = 0;
      for (const r of idx) v += (a[r * units + u] - m) ** 2;
      const sd = Math.sqrt(v / batch);
      sumM[u] += m;
      sumM2[u] += m * m;
      sumS[u] += sd;
      sumS2[u] += sd * sd;
      if (u === unit) normalized.push((a[unit] - m) / Math.sqrt(v / batch + eps));
    }
  }
  let meanSpread = 0;
  let stdSpread = 0;
  let counted = 0;
  for (let u = 0; u < units; u++) {
    const sigma = Math.sqrt(pop[u].variance);
    if (sigma < 1e-6) continue; // a unit that never varies (dead) has no spread to compare
    const sdM = Math.sqrt(Math.max(0, sumM2[u] / draws - (sumM[u] / draws) ** 2));
    const sdS = Math.sqrt(Math.max(0, sumS2[u] / draws - (sumS[u] / draws) ** 2));
    meanSpread += sdM / sigma;
    stdSpread += sdS / sigma;
    counted++;
  }
  const p = pop[unit];
  return {
    batch,
    meanSpread: counted ? meanSpread / counted : NaN,
    stdSpread: counted ? stdSpread / counted : NaN,
    normalized,
    normalizedPopulation: (a[unit] - p.mean) / Math.sqrt(p.variance + eps),
  };
}
