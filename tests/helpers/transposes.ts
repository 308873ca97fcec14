/**
 * The transpose combinations (transA, transB) the matmul tests run: all four, or the two that reach
 * every addressing of A and B with two pipelines (A·B and Aᵀ·Bᵀ), for tests where compiling is what
 * costs on the software adapters.
 */
export const ALL_TRANSPOSES: readonly (readonly [boolean, boolean])[] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

export const PLAIN_AND_BOTH_TRANSPOSED: readonly (readonly [boolean, boolean])[] = [
  [false, false],
  [true, true],
];
