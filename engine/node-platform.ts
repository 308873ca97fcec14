/**
 * Installs Node's implementations of the engine's platform services: WebGPU from Dawn (the `webgpu`
 * package, ./runtime/dawn.ts) and the MNIST digits from the `mnist` package. Both packages are
 * optional peer dependencies, loaded on first use. Importing this module is its whole effect; the
 * Node entry (./node.ts) imports it, and so do the repository's Node test set-up and CLIs.
 */
import { mnistPackageDigits } from './data/mnist-node';
import { setMnistSource } from './data/mnist';
import { dawnGpu } from './runtime/dawn';
import { setNodeGpuLoader } from './runtime/device';

setNodeGpuLoader(dawnGpu);
setMnistSource(mnistPackageDigits);
