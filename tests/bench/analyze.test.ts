/**
 * The harness's derived figures on hand-made rows (no GPU): every expected number below follows in
 * closed form from the rows' samples, so the comparisons are exact up to float rounding (1e-12
 * relative, far below any figure's printed precision).
 */
import { describe, expect, it } from 'vitest';
import { analyzeRows, peerImpls, sizeOf } from '../../bench/report/analyze';
import type { BenchRow } from '../../bench/types';

const close = (a: number | undefined, b: number) => expect(Math.abs((a ?? NaN) - b)).toBeLessThanOrEqual(1e-12 * Math.abs(b));

/** A throughput row doing `work` units per iteration, with the given ms samples. */
function row(impl: string, caseName: string, work: number, samplesMs: number[], gpuSamplesMs?: number[], unit: BenchRow['unit'] = 'GFLOP/s'): BenchRow {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const med = sorted[sorted.length >> 1];
  return { suite: 's', case: caseName, impl, unit, value: unit === 'ms' ? med : work / med, samplesMs, ...(gpuSamplesMs ? { gpuSamplesMs } : {}) };
}

describe('analyzeRows', () => {
  it('uses GPU samples for the figure when present, and the wall samples otherwise', () => {
    const { rows } = analyzeRows([row('engine', 'c', 10, [2, 4, 3, 5, 1], [1, 2, 4, 2, 2]), row('peer', 'c', 10, [5, 5, 4, 6, 5])]);
    expect(rows[0].figure.clock).toBe('gpu');
    close(rows[0].figure.median, 10 / 2);
    close(rows[0].figure.worst, 10 / 4);
    close(rows[0].figure.best, 10 / 1);
    close(rows[0].wall.median, 10 / 3);
    expect(rows[1].figure.clock).toBe('wall');
    close(rows[1].figure.median, 10 / 5);
  });

  it('compares on the wall clock unless both rows have GPU time, and inverts for ms rows', () => {
    const { rows } = analyzeRows([
      row('engine', 'c', 10, [2, 2, 2, 2, 2], [1, 1, 1, 1, 1]),
      row('peer', 'c', 10, [8, 8, 8, 8, 8]),
      row('naive', 'c', 10, [4, 4, 4, 4, 4], [4, 4, 4, 4, 4]),
      row('engine', 't', 0, [3, 3, 3, 3, 3], undefined, 'ms'),
      row('peer', 't', 0, [12, 12, 12, 12, 12], undefined, 'ms'),
    ]);
    close(rows[0].speedup.peer, 8 / 2); // wall: the peer has no GPU time
    close(rows[0].speedup.naive, 4 / 1); // GPU time on both
    close(rows[1].speedup.engine, 2 / 8);
    close(rows[3].speedup.peer, 12 / 3); // ms: the shorter time is faster
    expect(rows[0].speedup.engine).toBeUndefined();
  });

  it('takes each ceiling as the best ceiling row of its unit and divides by it', () => {
    const { rows, ceilings } = analyzeRows([
      row('ceiling-fma', 'small', 20, [2, 2, 2, 2, 2]),
      row('ceiling-fma', 'big', 40, [2, 2, 2, 2, 2]),
      row('ceiling-copy', 'c', 8, [1, 1, 1, 1, 1], undefined, 'GB/s'),
      row('ceiling-axpy', 'd', 6, [1, 1, 1, 1, 1], undefined, 'GB/s'),
      row('engine', 'm', 5, [1, 1, 1, 1, 1]),
      row('engine', 'd', 2, [1, 1, 1, 1, 1], undefined, 'GB/s'),
      row('engine', 't', 0, [1, 1, 1, 1, 1], undefined, 'ms'),
    ]);
    close(ceilings['GFLOP/s'], 20);
    close(ceilings['GB/s'], 8);
    close(rows[4].ofCeiling, 5 / 20);
    close(rows[5].ofCeiling, 2 / 8);
    expect(rows[6].ofCeiling).toBeUndefined();
    // Ceilings are not peers: no row is compared with them (ceiling-axpy shares case d with an engine row).
    expect(Object.keys(rows[5].speedup)).toEqual([]);
  });

  it('lists peers in order of appearance without engine or ceilings, and finds sizes in case names', () => {
    const { rows } = analyzeRows([row('ceiling-fma', 'a', 1, [1]), row('engine', 'a', 1, [1]), row('tfjs-webgpu', 'a', 1, [1]), row('naive', 'a', 1, [1])]);
    expect(peerImpls(rows)).toEqual(['tfjs-webgpu', 'naive']);
    expect(sizeOf({ ...rows[0], case: '1024x1024x1024' })).toBe(1024);
    expect(sizeOf({ ...rows[0], case: 'odd', size: 7 })).toBe(7);
    expect(sizeOf({ ...rows[0], case: 'odd' })).toBeUndefined();
  });
});
