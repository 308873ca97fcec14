/**
 * Headless Chromium with WebGPU, for the end-to-end test and the benchmark harness: on SwiftShader
 * by default ({@link WEBGPU_FLAGS}), on the machine's own GPU when the caller passes other flags
 * (`npm run bench -- --gpu-flags=...`); nothing here requires a software adapter. Uses Debian's
 * /usr/bin/chromium (never a downloaded browser; see .puppeteerrc.cjs) unless told otherwise. Node only.
 */
import puppeteer, { type Browser } from 'puppeteer';

/** The flags that give headless Chromium WebGPU on a machine without a GPU. */
export const WEBGPU_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

/** Flags that stop Chromium from calling the (closed) network. */
export const QUIET_FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** The browser binary; default `CHROMIUM_PATH` or /usr/bin/chromium. */
  executablePath?: string;
  /**
   * Flags replacing the SwiftShader WebGPU flags (e.g. `--enable-unsafe-webgpu` alone on a machine
   * with a real GPU). The quiet-network flags are always added.
   */
  gpuFlags?: string[];
  /** More flags. */
  extraFlags?: string[];
}

/** Starts headless Chromium with WebGPU. */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const executablePath = opts.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [...(opts.gpuFlags ?? WEBGPU_FLAGS), ...QUIET_FLAGS, ...(opts.extraFlags ?? [])],
  });
}
