/**
 * Autotuning of per-adapter kernel knobs: {@link configureTuner} sets a runtime's mode (`fixed`,
 * `cache`, `auto`; see ./tuner.ts), {@link tuneMatmul} chooses the matmul kernel of a shape ahead
 * of use, and the cache stores of ./cache.ts say where choices are kept.
 */
export { configureTuner, createTuner, tunerOf, registerTunable, adapterId, tunableHash, pickBest, TUNE_MARGIN, Tuner } from './tuner';
export type { TuneMode, TunerOptions, TuneResult, TunerStats, Tunable, PreparedCase } from './tuner';
export { fileStore, localStorageStore, memoryStore, defaultStore, defaultCacheDir } from './cache';
export type { TuneStore, TuneFile, TuneKernelEntry } from './cache';
export { tuneMatmul, matmulTunable, MATMUL_CANDIDATES } from './matmul';
