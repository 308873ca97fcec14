/**
 * Reads one safetensors file and decodes it, in a process of its own so that its memory can be
 * measured and a crash cannot take the test runner with it (./budget.test.ts runs it with a 1 GB
 * heap). Not a test file.
 *
 *   tsx --max-old-space-size=1024 tests/io/hostile-child.ts <file>
 *
 * A file that cannot be read is reported the same way, as refused. Prints one line of JSON: { fileBytes, result: 'accepted' | 'refused', error?: { name, code,
 * message }, wallMs, cpuMs, peakRssGrowth }, where peakRssGrowth is how far the decode raised the
 * process's peak resident memory (bytes) above what it was with the file read and the code warm.
 */
import { decodeSafetensors, encodeSafetensors } from '../../engine/io/safetensors';
import { readCheckpointBytes } from '../../engine/io/node';
import { EngineError } from '../../engine/runtime/errors';

function main(): void {
  const [path] = process.argv.slice(2);
  if (!path) throw new Error('usage: hostile-child.ts <file>');
  let bytes: Uint8Array;
  const t = performance.now();
  try {
    bytes = readCheckpointBytes(path);
  } catch (e) {
    // A file that cannot be read (a FIFO, tests/reliability/misuse.test.ts): reported, not thrown.
    const error = { name: (e as Error).name, code: e instanceof EngineError ? e.code : '', message: (e as Error).message.slice(0, 500) };
    process.stdout.write(`${JSON.stringify({ fileBytes: 0, result: 'refused', error, wallMs: performance.now() - t, cpuMs: 0, peakRssGrowth: 0 })}\n`);
    return;
  }
  // Warm the reader (compiled code, the decoder objects) on a small file first.
  decodeSafetensors(encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }], { k: 'v' }));
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let error: { name: string; code: string; message: string } | undefined;
  let kept: unknown;
  try {
    kept = decodeSafetensors(bytes);
  } catch (e) {
    error = { name: (e as Error).name, code: e instanceof EngineError ? e.code : '', message: (e as Error).message.slice(0, 500) };
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const peakRssGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
  process.stdout.write(
    `${JSON.stringify({ fileBytes: bytes.length, result: error ? 'refused' : 'accepted', error, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssGrowth })}\n`,
  );
  void kept;
}

main();
