/**
 * Small f64 linear algebra for the chapter-7 closed forms the regularizer tests compare the GPU to:
 * products, a linear solve, a cyclic Jacobi eigen-solver for symmetric matrices and a deterministic
 * orthogonal matrix. Dense row-major `number[][]`; sizes here are at most a few dozen, so clarity
 * beats speed. These are the oracle, not a backend: plain loops, f64 throughout.
 */
import { randomArray } from '../helpers/random';

/** A dense matrix, row-major: `m[row][col]`. */
export type Matrix = number[][];

/** f32 unit roundoff u = 2⁻²⁴ (half an ulp of 1). */
export const U32 = 2 ** -24;

/** γₖ = k·u/(1 − k·u): Higham's bound on the relative error of k chained f32 roundings. */
export function gamma(k: number): number {
  return (k * U32) / (1 - k * U32);
}

/** `rows × cols` matrix from row-major data. */
export function fromRows(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => data[r * cols + c]));
}

/** Row-major flattening (for uploads). */
export function flatten(a: Matrix): number[] {
  return a.flat();
}

/** Aᵀ. */
export function transpose(a: Matrix): Matrix {
  return a[0].map((_, c) => a.map((row) => row[c]));
}

/** A·B. */
export function matMul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, c) => row.reduce((s, x, k) => s + x * b[k][c], 0)));
}

/** A·v. */
export function matVec(a: Matrix, v: readonly number[]): number[] {
  return a.map((row) => row.reduce((s, x, k) => s + x * v[k], 0));
}

/** Aᵀ·v. */
export function matTVec(a: Matrix, v: readonly number[]): number[] {
  return a[0].map((_, c) => a.reduce((s, row, r) => s + row[c] * v[r], 0));
}

/** The n × n identity. */
export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? 1 : 0)));
}

/** Largest |aᵢ − bᵢ|. */
export function maxAbs(a: readonly number[], b: readonly number[]): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

/** ‖v‖₂. */
export function norm2(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** Solves A·x = b by Gaussian elimination with partial pivoting (A square, non-singular). */
export function solve(a: Matrix, b: readonly number[]): number[] {
  const n = a.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (m[p][k] === 0) throw new Error('solve: singular matrix');
    [m[k], m[p]] = [m[p], m[k]];
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j <= n; j++) m[i][j] -= f * m[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = m[i][n];
    for (let j = i + 1; j < n; j++) s -= m[i][j] * x[j];
    x[i] = s / m[i][i];
  }
  return x;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = Q·diag(λ)·Qᵀ with the
 * eigenvalues in decreasing order and eigenvector i in column i of Q. Sweeps until the off-diagonal
 * mass is below 1e-30 of the total (f64 Jacobi is accurate to a few ulps of ‖A‖ for these sizes).
 */
export function symmetricEigen(a: Matrix): { values: number[]; vectors: Matrix } {
  const n = a.length;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (Math.abs(a[i][j] - a[j][i]) > 1e-12 * (Math.abs(a[i][j]) + 1)) throw new Error('symmetricEigen: not symmetric');
  const m = a.map((row) => [...row]);
  const v = identity(n);
  const total = m.flat().reduce((s, x) => s + x * x, 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * m[p][q] ** 2;
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        // The rotation that zeroes m[p][q] (Golub & Van Loan, Algorithm 8.5.1).
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p];
          const mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k];
          const mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j][j] - m[i][i]);
  return { values: order.map((i) => m[i][i]), vectors: v.map((row) => order.map((i) => row[i])) };
}

/** A deterministic n × n orthogonal matrix: Gram–Schmidt (twice, for f64 orthogonality) of a seeded random matrix. */
export function orthogonal(n: number, seed: number): Matrix {
  const cols: number[][] = [];
  for (let c = 0; c < n; c++) {
    let v = Array.from(randomArray(n, seed * 31 + c));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        const d = v.reduce((s, x, i) => s + x * q[i], 0);
        v = v.map((x, i) => x - d * q[i]);
      }
    }
    const len = norm2(v);
    cols.push(v.map((x) => x / len));
  }
  return transpose(cols);
}

/** Q·diag(d)·Qᵀ. */
export function fromEigen(q: Matrix, d: readonly number[]): Matrix {
  return matMul(
    q.map((row) => row.map((x, j) => x * d[j])),
    transpose(q),
  );
}
