/**
 * The CPU side shared by every matmul preset: row-major inputs, an f64 reference, the tolerance
 * and the work. Row-major M × K times K × N, no transposes.
 */
import type { LabArray, LabParams, LabRandom, LabTolerance } from '../spec';

/** A (M × K) and B (K × N), uniform in [−1, 1). */
export function matmulInputs(p: LabParams, random: LabRandom): Record<string, LabArray> {
  return { a: random.floats(p.m * p.k), b: random.floats(p.k * p.n) };
}

/** C = A·B in f64. */
export function matmulReference(inputs: Readonly<Record<string, LabArray>>, p: LabParams): Record<string, Float64Array> {
  const { a, b } = inputs;
  const c = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++) {
    for (let l = 0; l < p.k; l++) {
      const x = a[i * p.k + l];
      for (let j = 0; j < p.n; j++) c[i * p.n + j] += x * b[l * p.n + j];
    }
  }
  return { c };
}

/**
 * An f32 dot product of length K accumulated in any order is within γ_K·Σ|aᵢbᵢ| of the exact one
 * (γ_K ≈ K·2⁻²⁴), and Σ|aᵢbᵢ| ≤ K for inputs in [−1, 1]; twice that covers the inputs' own rounding.
 * A wrong index gives errors of order 1, far above it at the lab's sizes.
 */
export function matmulTolerance(p: LabParams): LabTolerance {
  return { abs: 2 * p.k * p.k * 2 ** -24 };
}

/** 2MNK FLOPs; A, B read once and C written once (the least traffic any kernel can have). */
export function matmulWork(p: LabParams): { flops: number; bytes: number } {
  return { flops: 2 * p.m * p.n * p.k, bytes: 4 * (p.m * p.k + p.k * p.n + p.m * p.n) };
}

/** C, zeroed. */
export function matmulOutputs(p: LabParams): Record<string, number> {
  return { c: p.m * p.n };
}
