/**
 * The engine's Node entry: everything of ./index.ts, with WebGPU from Dawn (the `webgpu` package)
 * and the MNIST digits from the `mnist` package installed. The package's `node` export condition
 * picks this file, so `import { Runtime } from 'webgpu-regularization'` works in Node and in a
 * browser alike.
 */
import './node-platform';

export * from './index';
