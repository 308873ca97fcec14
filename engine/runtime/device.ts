/**
 * One function that gives a GPUDevice in the browser (`navigator.gpu`) and in Node (npm `webgpu`,
 * Dawn's binding), with a description of the adapter.
 *
 * This file is platform-neutral: it never imports `webgpu` or `node:*`, so a browser bundle of the
 * engine does not see them. Node's side (choosing a Vulkan driver, loading Dawn) lives in
 * ./dawn.ts, which the Node entry (engine/node.ts) installs with {@link setNodeGpuLoader}.
 */
import { NoAdapterError } from './errors';

/**
 * The kinds of adapter the engine's per-adapter tuning tables know: the two software adapters it
 * is developed on, and everything else (real GPUs).
 */
export type AdapterKind = 'lavapipe' | 'swiftshader' | 'other';

/** What the engine knows about the adapter it runs on. */
export interface AdapterDescription {
  /** Which row of the tuning tables (matmul blocking, update and prox `VPI`) this adapter uses. */
  kind: AdapterKind;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters (lavapipe, SwiftShader) and anything the browser calls a fallback. */
  isFallbackAdapter: boolean;
  /** `node` (Dawn) or `browser` (navigator.gpu). */
  host: 'node' | 'browser';
  /** The features the device was created with. */
  features: string[];
}

/**
 * Which adapter to use in Node: `auto` takes the one Dawn picks (the machine's GPU when it has
 * one) and falls back to a software Vulkan driver when Dawn finds none; `lavapipe` and
 * `swiftshader` force that software driver.
 */
export type NodeAdapterChoice = 'auto' | 'lavapipe' | 'swiftshader';

/** Options of {@link requestGpu}. */
export interface RequestGpuOptions {
  /** Node only: which adapter. Default: `WEBGPU_ADAPTER` from the environment, else `auto`. */
  adapter?: NodeAdapterChoice;
  powerPreference?: GPUPowerPreference;
}

/** A device and the adapter it came from. */
export interface GpuHandle {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterDescription;
}

/**
 * Gives Node's `GPU` object for an adapter choice (loading Dawn on first use). Installed by the
 * engine's Node entry; the browser never has one.
 */
export type NodeGpuLoader = (choice: NodeAdapterChoice) => Promise<GPU>;

let nodeGpuLoader: NodeGpuLoader | undefined;

/**
 * Installs Node's GPU loader (engine/node.ts does this with Dawn's, ./dawn.ts). Without one,
 * {@link requestGpu} in Node throws {@link NoAdapterError}.
 */
export function setNodeGpuLoader(loader: NodeGpuLoader): void {
  nodeGpuLoader = loader;
}

async function nodeGpuObject(choice: NodeAdapterChoice): Promise<GPU> {
  if (!nodeGpuLoader) {
    throw new NoAdapterError(
      "no WebGPU in this Node process: import the engine through its Node entry (`import ... from 'webgpu-regularization'` picks it by the `node` export condition), which loads Dawn's binding from the `webgpu` package",
    );
  }
  return nodeGpuLoader(choice);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

function choiceFromEnv(): NodeAdapterChoice {
  const v = (typeof process !== 'undefined' ? process.env.WEBGPU_ADAPTER : undefined)?.toLowerCase();
  if (v === undefined || v === '') return 'auto';
  if (v === 'auto' || v === 'lavapipe' || v === 'swiftshader') return v;
  throw new NoAdapterError(`WEBGPU_ADAPTER=${v} is not one of auto, lavapipe, swiftshader`);
}

/**
 * The `GPU` object the engine uses on this host: `navigator.gpu` in the browser, Dawn's in Node
 * (created on first use, with the same driver choice as {@link requestGpu}). Benchmarks hand it to
 * peer libraries (tfjs-webgpu, jax-js) so that they run on the same adapter.
 */
export async function getGpu(adapter?: NodeAdapterChoice): Promise<GPU> {
  if (isNode()) return nodeGpuObject(adapter ?? choiceFromEnv());
  if (typeof navigator === 'undefined' || !navigator.gpu) throw new NoAdapterError('navigator.gpu is missing');
  return navigator.gpu;
}

/** Features the engine uses when the adapter has them. */
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

/**
 * Limits worth raising above the defaults when the adapter allows. Only these are asked for:
 * asking SwiftShader for arbitrary limits once aborted the process.
 */
const WANTED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize'] as const;

/** Returns a GPUDevice on this host (browser or Node), or throws {@link NoAdapterError}. */
export async function requestGpu(options: RequestGpuOptions = {}): Promise<GpuHandle> {
  const node = isNode();
  let gpu: GPU | undefined;
  if (node) gpu = await nodeGpuObject(options.adapter ?? choiceFromEnv());
  else gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) {
    throw new NoAdapterError('navigator.gpu is missing: WebGPU needs a secure context (https or http://127.0.0.1) and a browser with WebGPU enabled');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(
      node
        ? `Dawn found no adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}): install a GPU's Vulkan driver, or a software one (Mesa's lavapipe, e.g. Debian's mesa-vulkan-drivers)`
        : 'navigator.gpu.requestAdapter() returned null: WebGPU is disabled or no adapter is available',
    );
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const ai = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const text = `${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`.toLowerCase();
  const info: AdapterDescription = {
    kind: classifyAdapter(text),
    vendor: ai.vendor,
    architecture: ai.architecture,
    device: ai.device,
    description: ai.description,
    isFallbackAdapter:
      !!ai.isFallbackAdapter || !!(adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/.test(text),
    host: node ? 'node' : 'browser',
    features: [...device.features].map(String).sort(),
  };
  return { device, adapter, info };
}

/** The kind of an adapter from its lower-cased vendor, architecture, device and description. */
export function classifyAdapter(text: string): AdapterKind {
  if (/llvmpipe|lavapipe/.test(text)) return 'lavapipe';
  if (text.includes('swiftshader')) return 'swiftshader';
  return 'other';
}

/** A one-line name of the adapter, e.g. `mesa software llvmpipe (fallback)`. */
export function adapterName(info: AdapterDescription): string {
  const parts = [info.vendor, info.architecture, info.device || info.description].filter((s) => s);
  return `${parts.join(' ')}${info.isFallbackAdapter ? ' (software)' : ''}`;
}
