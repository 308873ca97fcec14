/**
 * Which WebGPU adapter headless Chromium finds with the given flags, as one JSON line on stdout:
 * `{ "found": true, "software": false, "vendor": ..., "architecture": ..., "description": ... }`.
 * bench/gpu-check.sh runs it before the browser bench, which it runs only when Chromium has a
 * hardware adapter (not SwiftShader, not a fallback adapter). Exit status 0 when a hardware adapter
 * was found, 2 when only a software one or none, 1 when the browser failed.
 *
 *   tsx bench/gpu-probe.ts [--gpu-flags="F G"] [--browser=PATH] [--timeout=SECONDS]
 *
 * The page is served from 127.0.0.1: `navigator.gpu` exists only in a secure context.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from './browser';

/** What the probe reports. */
export interface ProbeResult {
  found: boolean;
  software: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  error?: string;
}

/** Whether an adapter's description is a software rasterizer (SwiftShader, llvmpipe/lavapipe) or a fallback adapter. */
export function isSoftwareAdapter(info: Pick<ProbeResult, 'vendor' | 'architecture' | 'description' | 'isFallbackAdapter'>): boolean {
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return !!info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/.test(text);
}

function parseArgs(argv: readonly string[]): { gpuFlags: string[]; browser?: string; timeoutMs: number } {
  const gpuFlags: string[] = [];
  let browser: string | undefined;
  let timeoutMs = 60_000;
  for (const a of argv) {
    if (a.startsWith('--gpu-flags=')) gpuFlags.push(...a.slice('--gpu-flags='.length).split(' ').filter(Boolean));
    else if (a.startsWith('--browser=')) browser = a.slice('--browser='.length);
    else if (a.startsWith('--timeout=')) timeoutMs = 1000 * Number(a.slice('--timeout='.length));
    else throw new Error(`gpu-probe: unknown option ${a}`);
  }
  return { gpuFlags, browser, timeoutMs };
}

/** Launches Chromium with `gpuFlags` (its SwiftShader flags when empty) and describes the adapter it gives a page. */
export async function probeChromium(gpuFlags: string[], browserPath?: string, timeoutMs = 60_000): Promise<ProbeResult> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>gpu probe</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchChromium({ executablePath: browserPath, gpuFlags: gpuFlags.length > 0 ? gpuFlags : undefined });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: timeoutMs });
    const info = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      if (!gpu) return { found: false, error: 'no navigator.gpu' };
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { found: false, error: 'requestAdapter() returned null' };
      const i = adapter.info;
      const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
      return { found: true, vendor: i.vendor, architecture: i.architecture, description: i.description, isFallbackAdapter: fallback };
    });
    return { ...info, software: !info.found || isSoftwareAdapter(info) };
  } finally {
    await browser.close();
    server.close();
  }
}

async function main(): Promise<void> {
  const { gpuFlags, browser, timeoutMs } = parseArgs(process.argv.slice(2));
  let result: ProbeResult;
  try {
    result = await probeChromium(gpuFlags, browser, timeoutMs);
  } catch (e) {
    console.log(JSON.stringify({ found: false, software: true, error: e instanceof Error ? e.message : String(e) }));
    process.exit(1);
  }
  console.log(JSON.stringify(result));
  process.exit(result.found && !result.software ? 0 : 2);
}

if (process.argv[1]?.endsWith('gpu-probe.ts')) void main();
