/**
 * MNIST digits for pages: the compact binary (one byte per pixel, 7.8 MB; engine/data/mnist-binary.ts)
 * that the build emits (vite.config.ts, `virtual:mnist-bin`), split with the same seeded split as Node
 * (engine/data/mnist.ts), so a page trains on the same digits as the CLI with the same seed.
 */
import mnistUrl from 'virtual:mnist-bin';
import { decodeMnistBinary, splitDigits, type MnistSplit, type SplitOptions } from '../../engine/index';

let cached: Promise<Float32Array[]> | null = null;

/** The ten digit arrays, fetched once per page. */
export function loadDigitArrays(): Promise<Float32Array[]> {
  cached ??= fetch(mnistUrl).then(async (r) => {
    if (!r.ok) throw new Error(`${mnistUrl}: HTTP ${r.status}`);
    return decodeMnistBinary(await r.arrayBuffer());
  });
  return cached;
}

/** A seeded train/val/test split of the digits. */
export async function loadDigits(opts: SplitOptions): Promise<MnistSplit> {
  return splitDigits(await loadDigitArrays(), opts);
}
