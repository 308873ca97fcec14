/**
 * How Node chooses its Vulkan driver (engine/runtime/dawn.ts), against a stand-in for Dawn's
 * `create()` whose adapter is present or not, and a stand-in file system: the real machine has one
 * fixed set of drivers, so the branches (a GPU found, none found with lavapipe or only SwiftShader
 * installed, nothing installed, a forced driver, an explicit VK_ICD_FILENAMES) are driven here. Each
 * fake records VK_ICD_FILENAMES at the moment it was created, which is when the Vulkan loader reads it.
 */
import { describe, expect, it } from 'vitest';
import { chooseNodeGpu, type DriverHost } from '../../engine/runtime/dawn';
import type { NodeAdapterChoice } from '../../engine/runtime/device';
import { NoAdapterError } from '../../engine/runtime/errors';

const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A fake GPU: the driver variable when it was created, and whether it has an adapter. */
interface FakeGpu {
  icd: string | undefined;
  requestAdapter(): Promise<object | null>;
}

/** Runs the choice with a Dawn whose first instance (the machine's own pick) has an adapter or not. */
async function choose(choice: NodeAdapterChoice, opts: { dawnFindsOne: boolean; installed: string[]; icd?: string }) {
  const host: DriverHost = { env: { VK_ICD_FILENAMES: opts.icd }, exists: (p) => opts.installed.includes(p) };
  const created: FakeGpu[] = [];
  const create = (): GPU => {
    const own = created.length === 0 && !host.env.VK_ICD_FILENAMES;
    const gpu: FakeGpu = { icd: host.env.VK_ICD_FILENAMES, requestAdapter: async () => (!own || opts.dawnFindsOne ? {} : null) };
    created.push(gpu);
    return gpu as unknown as GPU;
  };
  const kept: GPU[] = [];
  const gpu = (await chooseNodeGpu(create, choice, host, (g) => kept.push(g))) as unknown as FakeGpu;
  return { gpu, created, kept, env: host.env };
}

describe('the Node driver choice', () => {
  it('auto takes the adapter Dawn finds by itself (a machine with a GPU) and sets no driver', async () => {
    const r = await choose('auto', { dawnFindsOne: true, installed: [LAVAPIPE, SWIFTSHADER] });
    expect(r.created).toHaveLength(1);
    expect(r.gpu.icd).toBeUndefined();
    expect(r.env.VK_ICD_FILENAMES).toBeUndefined();
  });

  it('auto falls back to lavapipe, then SwiftShader, when Dawn finds nothing; every GPU object is kept', async () => {
    const withLavapipe = await choose('auto', { dawnFindsOne: false, installed: [LAVAPIPE, SWIFTSHADER] });
    expect(withLavapipe.created.map((g) => g.icd)).toEqual([undefined, LAVAPIPE]);
    expect(withLavapipe.gpu).toBe(withLavapipe.created[1]);
    expect(withLavapipe.kept).toHaveLength(2);
    const onlySwiftshader = await choose('auto', { dawnFindsOne: false, installed: [SWIFTSHADER] });
    expect(onlySwiftshader.gpu.icd).toBe(SWIFTSHADER);
  });

  it('with no adapter and no software driver, says what to install and names no script of this repository', async () => {
    const failure = await choose('auto', { dawnFindsOne: false, installed: [] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NoAdapterError);
    expect(String(failure)).toContain('mesa-vulkan-drivers');
    expect(String(failure)).not.toMatch(/npm run/);
  });

  it('a forced driver is set before the first instance is created', async () => {
    expect((await choose('lavapipe', { dawnFindsOne: true, installed: [LAVAPIPE, SWIFTSHADER] })).created.map((g) => g.icd)).toEqual([LAVAPIPE]);
    expect((await choose('swiftshader', { dawnFindsOne: true, installed: [LAVAPIPE, SWIFTSHADER] })).created.map((g) => g.icd)).toEqual([SWIFTSHADER]);
    const missing = await choose('swiftshader', { dawnFindsOne: true, installed: [LAVAPIPE] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoAdapterError);
  });

  it('an explicit VK_ICD_FILENAMES is kept, whatever the choice', async () => {
    const r = await choose('swiftshader', { dawnFindsOne: false, installed: [LAVAPIPE, SWIFTSHADER], icd: '/opt/my_icd.json' });
    expect(r.created.map((g) => g.icd)).toEqual(['/opt/my_icd.json']);
  });
});
