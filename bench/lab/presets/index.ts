/**
 * The lab's presets: the engine's own kernels as specs (matmul per layout, dropout, the
 * soft-threshold, the chained update, the convolution's im2col) and the teaching sequences (naive → tiled matmul, dropout
 * with its mask). The page lists them in this order; the CLI runs one by name (`--preset`).
 */
import type { KernelSpec } from '../spec';
import { IM2COL } from './conv';
import { DROPOUT_ENGINE, DROPOUT_TEACHING } from './dropout';
import { SOFT_THRESHOLD, UPDATE_CHAIN } from './elementwise';
import { ENGINE_MATMULS } from './matmul-engine';
import { MATMUL_STEPS } from './matmul-steps';

/** Every preset, teaching sequence first. */
export const PRESETS: readonly KernelSpec[] = [...MATMUL_STEPS, ...ENGINE_MATMULS, DROPOUT_TEACHING, DROPOUT_ENGINE, SOFT_THRESHOLD, UPDATE_CHAIN, IM2COL];

/** The preset named `name`, or an error listing them. */
export function presetByName(name: string): KernelSpec {
  const p = PRESETS.find((s) => s.name === name);
  if (!p) throw new Error(`no preset "${name}" (presets: ${PRESETS.map((s) => s.name).join('; ')})`);
  return p;
}
