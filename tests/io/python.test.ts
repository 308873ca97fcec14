/**
 * Interop with the reference Python `safetensors` package (installed by scripts/setup-system.sh;
 * tests/io/interop.py is the Python half). Python reads our checkpoint with
 * `safetensors.numpy.load_file` and reports every tensor's dtype, shape and bits, which must be the
 * model's and optimizer's state as the GPU holds it; a file Python writes from scratch
 * (`save_file`) loads into our model with exactly its values; and a round trip through Python that
 * changes the weights (as a fine-tune in PyTorch would) comes back with the optimizer state intact.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam } from '../../engine/index';
import { readCheckpointFile, writeCheckpointFile } from '../../engine/io/node';
import { useRuntime } from '../helpers/gpu';
import { runPythonJson } from './python-run';
import { fullState, makeModel, trainSteps } from './train-helper';

interface PyReport {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }>;
}

/** Runs tests/io/interop.py (the reference reader and writer) with `args`. */
const py = (...args: string[]): PyReport => runPythonJson<PyReport>('interop.py', ...args);

const dir = mkdtempSync(join(tmpdir(), 'ckpt-py-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints and the Python safetensors package', () => {
  const rt = useRuntime();

  it('Python reads every tensor of our checkpoint: names, F32, shapes and values bit for bit, and the metadata', async () => {
    const model = makeModel(rt(), 1);
    const opt = new Adam(model.arena, { lr: 0.01 });
    trainSteps(rt(), model, opt, 0, 3);
    const path = join(dir, 'ours.safetensors');
    await writeCheckpointFile(path, model, opt, { metadata: { note: 'from the engine' } });
    const report = py('read', path);
    const state = await fullState(model, opt);
    const want: Record<string, { shape: number[]; bits: number[] }> = {};
    for (const p of model.arena.params) {
      want[p.name] = { shape: p.shape as number[], bits: state.params[p.name] };
      for (const slot of ['m', 'v'])
        want[`optim.${slot}.${p.name}`] = { shape: p.shape as number[], bits: state.slots[slot].slice(p.offset, p.offset + p.size) };
    }
    for (const b of model.buffers.buffers) want[b.name] = { shape: b.shape as number[], bits: state.buffers[b.name] };
    expect(Object.keys(report.tensors).sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      const got = report.tensors[name];
      expect(got.dtype, name).toBe('float32');
      expect(got.shape, name).toEqual(w.shape);
      expect(got.bits, name).toEqual(w.bits);
    }
    expect(report.metadata).toMatchObject({ format: 'webgpu-regularization-checkpoint', step: '3', optimizer: 'Adam', note: 'from the engine' });
    opt.dispose();
    model.dispose();
  });

  it('a file written by safetensors.numpy.save_file loads into our model with its exact values', async () => {
    const model = makeModel(rt(), 2);
    const names: [string, number[]][] = [
      ...model.arena.params.map((p) => [p.name, [...p.shape]] as [string, number[]]),
      ...model.buffers.buffers.map((b) => [b.name, [...b.shape]] as [string, number[]]),
    ];
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ tensors: names, seed: 5 }));
    const path = join(dir, 'python.safetensors');
    const written = py('write', spec, path);
    expect(written.metadata).toEqual({ written_by: 'safetensors.numpy' });
    const info = readCheckpointFile(path, model);
    expect(info.loaded.sort()).toEqual(names.map(([n]) => n).sort());
    const state = await fullState(model);
    for (const [name] of names) {
      const bits = state.params[name] ?? state.buffers[name];
      expect(bits, name).toEqual(written.tensors[name].bits);
    }
    model.dispose();
  });

  it('a round trip through Python that changes the weights comes back with them, and with the optimizer state', async () => {
    const model = makeModel(rt(), 3);
    const opt = new Adam(model.arena, { lr: 0.01 });
    trainSteps(rt(), model, opt, 0, 4);
    const before = await fullState(model, opt);
    const ours = join(dir, 'before.safetensors');
    await writeCheckpointFile(ours, model, opt);
    const back = join(dir, 'after.safetensors');
    py('halve', ours, back);

    const again = makeModel(rt(), 3);
    const againOpt = new Adam(again.arena, { lr: 0.01 });
    expect(readCheckpointFile(back, again, againOpt).step).toBe(4);
    const after = await fullState(again, againOpt);
    const halve = (bits: number[]) => Array.from(new Uint32Array(new Float32Array(new Float32Array(new Uint32Array(bits).buffer).map((x) => x * 0.5)).buffer));
    for (const name of Object.keys(before.params)) expect(after.params[name], name).toEqual(halve(before.params[name]));
    for (const name of Object.keys(before.buffers)) expect(after.buffers[name], name).toEqual(halve(before.buffers[name]));
    expect(after.slots).toEqual(before.slots);
    expect(againOpt.steps).toBe(4);
    for (const x of [opt, againOpt]) x.dispose();
    model.dispose();
    again.dispose();
  });
});
