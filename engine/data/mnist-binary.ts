/**
 * A compact binary form of the `mnist` package's digits, for pages: the package ships them as 21 MB
 * of JSON floats; this form stores each pixel as one byte and is built once at build time
 * (vite.config.ts). It is lossless: the package's values are k/255 rounded to three decimals
 * (256 distinct values), so the byte k = round(255·v) decodes to exactly the package's value, and
 * a page trains on the same numbers as Node.
 *
 * Layout (little-endian): the magic "MNB1", then ten u32 counts (images of each digit 0-9), then the
 * images of digit 0, of digit 1, …, 784 bytes each (row-major 28×28, 0-255).
 */
// No imports: vite.config.ts loads this file to build the binary, and the config loader handles a
// module without relative imports best. The two sizes equal MNIST_FEATURES and MNIST_CLASSES of
// ./mnist.ts (tests/data/mnist.test.ts checks).
const MNIST_FEATURES = 784;
const MNIST_CLASSES = 10;

const MAGIC = 0x3142_4e4d; // "MNB1" read as a little-endian u32

/** Encodes per-digit image arrays (784 floats in [0, 1] per image) as the compact binary. */
export function encodeMnistBinary(perDigit: readonly Float32Array[]): Uint8Array {
  if (perDigit.length !== MNIST_CLASSES) throw new RangeError(`encodeMnistBinary: ${perDigit.length} digit arrays, expected ${MNIST_CLASSES}`);
  const counts = perDigit.map((d) => d.length / MNIST_FEATURES);
  const total = counts.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(4 + 4 * MNIST_CLASSES + total * MNIST_FEATURES);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  counts.forEach((c, d) => view.setUint32(4 + 4 * d, c, true));
  let at = 4 + 4 * MNIST_CLASSES;
  for (const d of perDigit) {
    for (let i = 0; i < d.length; i++) out[at++] = Math.max(0, Math.min(255, Math.round(d[i] * 255)));
  }
  return out;
}

/** Decodes the compact binary into per-digit image arrays (the package's values), the input of `splitDigits`. */
export function decodeMnistBinary(bytes: ArrayBuffer | Uint8Array): Float32Array[] {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < 4 + 4 * MNIST_CLASSES || view.getUint32(0, true) !== MAGIC) throw new RangeError('decodeMnistBinary: not an MNB1 digit file');
  const counts = Array.from({ length: MNIST_CLASSES }, (_, d) => view.getUint32(4 + 4 * d, true));
  const total = counts.reduce((a, b) => a + b, 0);
  if (u8.byteLength !== 4 + 4 * MNIST_CLASSES + total * MNIST_FEATURES)
    throw new RangeError(`decodeMnistBinary: ${u8.byteLength} bytes do not hold ${total} images`);
  const value = Float32Array.from({ length: 256 }, (_, k) => Math.round((k / 255) * 1000) / 1000);
  let at = 4 + 4 * MNIST_CLASSES;
  return counts.map((c) => {
    const d = new Float32Array(c * MNIST_FEATURES);
    for (let i = 0; i < d.length; i++) d[i] = value[u8[at++]];
    return d;
  });
}
