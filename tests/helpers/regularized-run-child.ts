/**
 * Runs ./regularized-run.ts once on the adapter WEBGPU_ADAPTER names and writes the parameters to a
 * file, for tests that compare adapters (one Node process holds one Vulkan driver, chosen when Dawn
 * starts, so another adapter needs another process). Not a test file.
 *
 *   tsx --import ./scripts/wgsl-loader.mjs tests/helpers/regularized-run-child.ts <out.json> <seed> [member] [steps]
 *
 * Output: JSON { adapter, names, sizes, base64 } with the parameters packed as by `packParams`.
 */
import { writeFileSync } from 'node:fs';
import { Runtime } from '../../engine/index';
import { packParams, regularizedRun, uploadRunData } from './regularized-run';

async function main(): Promise<void> {
  const [out, seed, member = '0', steps = '100'] = process.argv.slice(2);
  if (!out || seed === undefined) throw new Error('usage: regularized-run-child.ts <out.json> <seed> [member] [steps]');
  const rt = await Runtime.create();
  try {
    const data = await uploadRunData(rt);
    const params = await regularizedRun(rt, data, { seed: Number(seed), member: Number(member), steps: Number(steps) });
    data.dispose();
    const { names, sizes, bytes } = packParams(params);
    writeFileSync(out, JSON.stringify({ adapter: rt.adapterName, names, sizes, base64: Buffer.from(bytes).toString('base64') }));
  } finally {
    rt.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
