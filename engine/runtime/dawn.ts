/**
 * Node's WebGPU: Dawn's binding from the npm package `webgpu` (an optional peer dependency), and the
 * choice of Vulkan driver. Node-only (it imports `node:fs` and `webgpu`): engine/node.ts installs
 * it into ./device.ts, so browser bundles never see it.
 *
 * `auto` lets Dawn pick (the machine's GPU when it has one). When Dawn finds no adapter at all, a
 * software driver is tried: Mesa lavapipe if installed, else the SwiftShader that Debian's
 * chromium package ships. `lavapipe` and `swiftshader` force that driver. An explicit
 * `VK_ICD_FILENAMES` is always respected.
 */
import { existsSync } from 'node:fs';
import type { NodeAdapterChoice } from './device';
import { MissingPackageError, NoAdapterError } from './errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LAVAPIPE_ICDS = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'];

/** The part of the `webgpu` package the engine uses. */
interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

/**
 * Every `GPU` object created, kept reachable for the process's life: if one is garbage-collected,
 * the process segfaults later. The last one is the one in use.
 */
const created: GPU[] = [];
let inUse: GPU | undefined;

async function loadDawn(): Promise<DawnModule> {
  try {
    return (await import('webgpu')) as DawnModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(e).includes("'webgpu'")) {
      throw new MissingPackageError('webgpu', 'WebGPU in Node (Dawn)');
    }
    throw e;
  }
}

/** What choosing a driver reads and writes: the environment, and which ICD files exist. */
export interface DriverHost {
  env: Record<string, string | undefined>;
  exists: (path: string) => boolean;
}

/** The ICD file of a software driver, or a {@link NoAdapterError} saying what to install. */
function softwareIcd(choice: NodeAdapterChoice, host: DriverHost): string {
  const lavapipe = LAVAPIPE_ICDS.find((p) => host.exists(p));
  const swiftshader = host.exists(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined;
  const icd = choice === 'swiftshader' ? swiftshader : choice === 'lavapipe' ? lavapipe : (lavapipe ?? swiftshader);
  if (icd) return icd;
  if (choice === 'swiftshader')
    throw new NoAdapterError(`WEBGPU_ADAPTER=swiftshader but ${SWIFTSHADER_ICD} is missing: it ships with Debian's chromium package`);
  if (choice === 'lavapipe')
    throw new NoAdapterError(`WEBGPU_ADAPTER=lavapipe but Mesa's lavapipe (${LAVAPIPE_ICDS[0]}) is missing: install mesa-vulkan-drivers`);
  throw new NoAdapterError(
    `Dawn found no adapter and no software Vulkan driver is installed: neither Mesa's lavapipe (${LAVAPIPE_ICDS[0]}, Debian's mesa-vulkan-drivers) nor SwiftShader (${SWIFTSHADER_ICD})`,
  );
}

/**
 * Creates the `GPU` object for a choice with `create` (Dawn's): `auto` takes Dawn's own pick when it
 * has an adapter, else sets `VK_ICD_FILENAMES` to a software driver and creates another; a forced
 * driver is set before the first `create()`, since the Vulkan loader reads the variable when Dawn
 * creates its instance. An explicit `VK_ICD_FILENAMES` is left as it is. Every object created is
 * passed to `keep` (see `created`).
 */
export async function chooseNodeGpu(create: () => GPU, choice: NodeAdapterChoice, host: DriverHost, keep: (gpu: GPU) => void = () => {}): Promise<GPU> {
  const make = (): GPU => {
    const gpu = create();
    keep(gpu);
    return gpu;
  };
  if (host.env.VK_ICD_FILENAMES || choice !== 'auto') {
    if (!host.env.VK_ICD_FILENAMES) host.env.VK_ICD_FILENAMES = softwareIcd(choice, host);
    return make();
  }
  const gpu = make();
  if (await gpu.requestAdapter({ powerPreference: 'high-performance' })) return gpu;
  host.env.VK_ICD_FILENAMES = softwareIcd(choice, host);
  return make();
}

/** Node's `GPU` object for an adapter choice, created on first use (later calls return the same one). */
export async function dawnGpu(choice: NodeAdapterChoice): Promise<GPU> {
  if (inUse) return inUse;
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  inUse = await chooseNodeGpu(
    () => dawn.create([]),
    choice,
    { env: process.env, exists: existsSync },
    (gpu) => created.push(gpu),
  );
  return inUse;
}
