/**
 * Dispatch grids for flat (1-D) work of any length. A dispatch has at most 65,535 workgroups per
 * dimension, so long arrays spill into y. Kernels recover the flat index as
 * `gid.x + gid.y * (num_workgroups.x * WG)` (see shaders/elementwise.wgsl).
 */
import { ArgumentError } from './errors';

/** Workgroup counts covering `count` items with `workgroupSize` items per workgroup. */
export function grid1d(count: number, workgroupSize: number, maxPerDim = 65535): [number, number, number] {
  if (!Number.isInteger(count) || count < 0) throw new ArgumentError(`grid1d: count must be a non-negative integer, got ${count}`);
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new ArgumentError(`grid1d: ${count} items need ${groups} workgroups, more than ${maxPerDim}² `);
  // Spread evenly so the wasted tail is less than one row.
  const x = Math.ceil(groups / y);
  return [x, y, 1];
}
