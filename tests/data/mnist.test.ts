/**
 * The MNIST split and GPU minibatches. Checked against the package's own per-digit arrays (every
 * image of the split must be one of them, with its digit as label, none twice), and minibatches
 * against the CPU rows they were gathered from (a copy: exact).
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../engine/data/dataset';
import { MNIST_FEATURES, loadMnistDigits, splitDigits } from '../../engine/data/mnist';
import { decodeMnistBinary, encodeMnistBinary } from '../../engine/data/mnist-binary';
import { ArgumentError } from '../../engine/runtime/errors';
import { useRuntime } from '../helpers/gpu';

const digits = await loadMnistDigits();

/** A key per image: its bytes as a string (identical images would collide; MNIST has none here). */
function key(images: Float32Array, i: number): string {
  return Buffer.from(images.buffer, images.byteOffset + i * MNIST_FEATURES * 4, MNIST_FEATURES * 4).toString('base64');
}

describe('MNIST split', () => {
  it('has the package digits: 10,000 images, 784 values in [0, 1] each', () => {
    expect(digits.map((d) => d.length / MNIST_FEATURES)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    for (const d of digits) for (const v of d) if (!(v >= 0 && v <= 1)) expect.fail(`pixel ${v}`);
  });

  it('is deterministic for a seed, different for another, and draws every image at most once with its own label', () => {
    const a = splitDigits(digits, { seed: 3 });
    const b = splitDigits(digits, { seed: 3 });
    const c = splitDigits(digits, { seed: 4 });
    expect(b.train.labels).toEqual(a.train.labels);
    expect(b.test.images).toEqual(a.test.images);
    expect(c.train.labels).not.toEqual(a.train.labels);
    expect([a.train.count, a.val.count, a.test.count]).toEqual([8000, 1000, 1000]);
    const source = new Map<string, number>();
    digits.forEach((imgs, d) => {
      for (let i = 0; i < imgs.length / MNIST_FEATURES; i++) source.set(key(imgs, i), d);
    });
    expect(source.size).toBe(10000);
    const used = new Set<string>();
    for (const part of [a.train, a.val, a.test]) {
      for (let i = 0; i < part.count; i++) {
        const k = key(part.images, i);
        expect(source.get(k)).toBe(part.labels[i]);
        expect(used.has(k)).toBe(false);
        used.add(k);
      }
    }
    // A random split keeps every class: each digit is 8.6-11.3% of the data; of 1,000 test images
    // each class gets at least 50 (more than 5 standard deviations below its expected 86-113).
    const counts = new Array<number>(10).fill(0);
    for (const l of a.test.labels) counts[l]++;
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(50);
  });

  it('refuses a split larger than the data', () => {
    expect(() => splitDigits(digits, { train: 9000, val: 1000, test: 1000 })).toThrow(ArgumentError);
  });
});

describe('GPU minibatches', () => {
  const rt = useRuntime();
  it('gathers images and one-hot targets by a window of a shuffled order', async () => {
    const { val } = splitDigits(digits, { train: 100, val: 300, test: 0, seed: 5 });
    const ds = GpuDataset.upload(rt(), val.images, val.labels, 10);
    const order = ds.shuffledOrder(9, 1);
    const perm = await order.toArray();
    expect([...perm].sort((p, q) => p - q)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const windows = GpuDataset.windows(ds.count, 128);
    expect(windows).toEqual([
      { start: 0, count: 128 },
      { start: 128, count: 128 },
      { start: 256, count: 44 },
    ]);
    const b = ds.batch(order, windows[2]);
    const x = await b.x.toArray();
    const t = await b.targets.toArray();
    for (let r = 0; r < b.size; r++) {
      const src = perm[256 + r];
      expect(x.subarray(r * 784, (r + 1) * 784)).toEqual(val.images.subarray(src * 784, (src + 1) * 784));
      expect(Array.from(t.subarray(r * 10, (r + 1) * 10))).toEqual(Array.from({ length: 10 }, (_, c) => (c === val.labels[src] ? 1 : 0)));
    }
    b.x.dispose();
    b.targets.dispose();
    order.dispose();
    ds.dispose();
  });
});

describe('compact MNIST binary', () => {
  it('round-trips the package digits exactly (one byte per pixel)', async () => {
    const digits = await loadMnistDigits();
    const bin = encodeMnistBinary(digits);
    expect(bin.byteLength).toBe(44 + 10000 * 784);
    const back = decodeMnistBinary(bin);
    back.forEach((d, i) => expect(d).toEqual(digits[i]));
    expect(() => decodeMnistBinary(new Uint8Array(8))).toThrow(/not an MNB1 digit file/);
    // The binary's sizes are the data set's.
    expect(MNIST_FEATURES).toBe(784);
    expect(back.length).toBe(10);
  });
});
