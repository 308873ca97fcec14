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
import { number, option, parseProcessArgs, repeatable, text } from './args';
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

/** The probe's options. */
export const PROBE_COMMAND = {
  program: 'gpu-probe',
  usage: 'tsx bench/gpu-probe.ts [options]\n\nWhich WebGPU adapter headless Chromium finds with the given flags, as one JSON line.',
  options: {
    'gpu-flags': repeatable('"F G"', "flags replacing Chromium's SwiftShader flags (each value split on spaces)", (t) => t.split(' ').filter(Boolean), {
      allowEmpty: true,
    }),
    browser: option('PATH', 'browser binary (default: $CHROMIUM_PATH or /usr/bin/chromium)', text),
    timeout: option('SECONDS', 'how long to wait for the page', number(0, true), { default: 60 }),
  },
};

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
  const { values } = parseProcessArgs(PROBE_COMMAND);
  const gpuFlags = values['gpu-flags'].flat();
  const { browser } = values;
  const timeoutMs = 1000 * values.timeout;
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
