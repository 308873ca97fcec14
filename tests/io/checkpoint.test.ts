/**
 * Checkpoints on the GPU: a model with batch norm and dropout, trained with Adam (the fixed class)
 * or momentum (a chain), is saved and loaded into a fresh model and optimizer; parameters, running
 * statistics, optimizer moments and the step count come back bit for bit, and the next steps of both
 * are identical. The file holds what exportState reads, under readable names. Damaged or mismatched
 * files are refused by name and leave the model and optimizer exactly as they were. Node's file
 * helper writes atomically.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// fsync is observed, not replaced: the module's own fsyncSync runs, and the test records what each
// call was on (the temporary file, then the directory).
const fsyncs = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      fsyncs.calls.push(fs.fstatSync(fd).isDirectory() ? 'directory' : 'file');
      return fs.fsyncSync(fd);
    },
  };
});
import {
  Adam,
  chain,
  CheckpointError,
  FileError,
  decodeSafetensors,
  encodeSafetensors,
  loadCheckpoint,
  momentum,
  saveCheckpoint,
  type Optimizer,
} from '../../engine/index';
import { readCheckpointBytes, readCheckpointFile, writeCheckpointFile, writeFileAtomic } from '../../engine/io/node';
import { useRuntime } from '../helpers/gpu';
import { fullState, makeModel, trainSteps } from './train-helper';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('checkpoints: parameters, buffers and optimizer state', () => {
  const rt = useRuntime();

  const optimizers: [string, (m: ReturnType<typeof makeModel>) => Optimizer, string[]][] = [
    ['Adam (class)', (m) => new Adam(m.arena, { lr: 0.01, alpha: 1e-3 }), ['m', 'v']],
    ['momentum (chain)', (m) => chain(momentum({ lr: 0.05, momentum: 0.9 })).init(m.arena), ['velocity']],
  ];

  for (const [label, makeOpt, slots] of optimizers) {
    it(`${label}: save, load into a fresh model and optimizer, same state bit for bit and same next steps`, async () => {
      const a = makeModel(rt(), 1);
      const oa = makeOpt(a);
      trainSteps(rt(), a, oa, 0, 5);
      const bytes = await saveCheckpoint(a, oa, { metadata: { run: 'test' } });

      // The file: readable names, the values exportState reads, metadata with the step.
      const file = decodeSafetensors(bytes);
      const paramNames = a.arena.params.map((p) => p.name);
      expect(paramNames).toEqual(['fc1.weight', 'fc1.bias', 'bn1.gamma', 'bn1.beta', 'fc2.weight', 'fc2.bias']);
      const want = [...paramNames, 'bn1.runningMean', 'bn1.runningVar', ...slots.flatMap((s) => paramNames.map((p) => `optim.${s}.${p}`))];
      expect([...file.tensors.keys()]).toEqual(want);
      const state = await a.exportState();
      expect(file.tensors.get('fc1.weight')!.shape).toEqual([6, 8]);
      for (const [k, v] of Object.entries({ ...state.params, ...state.buffers })) expect(file.tensors.get(k)!.data, k).toEqual(v);
      const slotValues = await Promise.all(slots.map((s) => oa.stateTensors()[s].toArray()));
      slots.forEach((s, i) => {
        for (const p of a.arena.params)
          expect(file.tensors.get(`optim.${s}.${p.name}`)!.data).toEqual((slotValues[i] as Float32Array).subarray(p.offset, p.offset + p.size));
      });
      expect(file.metadata).toMatchObject({
        format: 'webgpu-regularization-checkpoint',
        format_version: '1',
        step: '5',
        model_seed: '1',
        optimizer_slots: slots.join(','),
        run: 'test',
      });
      expect(Array.from(state.buffers['bn1.runningVar']).some((v) => v !== 1)).toBe(true);
      expect(Array.from(slotValues[0] as Float32Array).some((v) => v !== 0)).toBe(true);

      // The same architecture and seed (dropout masks are keyed by the model's seed), in another state.
      const b = makeModel(rt(), 1);
      const ob = makeOpt(b);
      trainSteps(rt(), b, ob, 20, 23);
      const other = await fullState(b, ob);
      const mine = await fullState(a, oa);
      for (const k of ['params', 'buffers', 'slots', 'steps'] as const) expect(other[k], k).not.toEqual(mine[k]);
      const info = loadCheckpoint(bytes, b, ob);
      expect(info.step).toBe(5);
      expect(info.metadata.run).toBe('test');
      expect(await fullState(b, ob)).toEqual(await fullState(a, oa));
      expect(ob.steps).toBe(5);

      // The next steps (dropout keyed by the step, Adam's bias corrections by the count) agree bit for bit.
      trainSteps(rt(), a, oa, 5, 8);
      trainSteps(rt(), b, ob, 5, 8);
      expect(await fullState(b, ob)).toEqual(await fullState(a, oa));
      for (const x of [oa, ob]) x.dispose();
      a.dispose();
      b.dispose();
    });
  }

  it('weights alone: a file saved without an optimizer loads into a model; the optimizer state in a file is optional then', async () => {
    const a = makeModel(rt(), 3);
    const oa = new Adam(a.arena, { lr: 0.01 });
    trainSteps(rt(), a, oa, 0, 2);
    const b = makeModel(rt(), 4);
    loadCheckpoint(await saveCheckpoint(a, oa), b);
    expect((await fullState(b)).params).toEqual((await fullState(a)).params);
    const c = makeModel(rt(), 5);
    const weightsOnly = await saveCheckpoint(a);
    expect(decodeSafetensors(weightsOnly).metadata.step).toBeUndefined();
    loadCheckpoint(weightsOnly, c);
    expect(await fullState(c)).toEqual(await fullState(b));
    oa.dispose();
    for (const m of [a, b, c]) m.dispose();
  });

  it('a damaged or mismatched file is refused by name and changes nothing', async () => {
    const target = makeModel(rt(), 6);
    const opt = new Adam(target.arena, { lr: 0.01 });
    trainSteps(rt(), target, opt, 0, 3);
    const before = await fullState(target, opt);

    // A good file with other values: loading it would change everything.
    const other = makeModel(rt(), 7);
    const otherOpt = new Adam(other.arena, { lr: 0.02 });
    trainSteps(rt(), other, otherOpt, 0, 4);
    const good = await saveCheckpoint(other, otherOpt);
    const goodState = await fullState(other, otherOpt);
    const headerEnd = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));

    const refusals: [string, () => void, RegExp][] = [];
    for (let k = 1; k <= 12; k++) {
      const cut = Math.floor((good.length * k) / 13);
      refusals.push([`truncated at ${cut}`, () => loadCheckpoint(good.slice(0, cut), target, opt), /truncated\?/]);
    }
    const flipped = good.slice();
    flipped[headerEnd + 100] ^= 0x10;
    refusals.push([
      'a flipped data bit',
      () => loadCheckpoint(flipped, target, opt),
      /the tensor data has CRC-32 [0-9a-f]{8}, the header's data_crc32 says [0-9a-f]{8}: the file is corrupted/,
    ]);
    const badHeader = good.slice();
    badHeader[8] = 0x78; // 'x' where the JSON's '{' was
    refusals.push(['a corrupted header start', () => loadCheckpoint(badHeader, target, opt), /the header \(bytes 8 to \d+\) does not start with '\{'/]);
    const badJson = good.slice();
    badJson[9] = 0x2c; // ',' where the first key's quote was
    refusals.push(['a corrupted header', () => loadCheckpoint(badJson, target, opt), /the header \(bytes 8 to \d+\) is not valid JSON/]);

    const wider = makeModel(rt(), 8, { hidden: 9 });
    const widerBytes = await saveCheckpoint(wider);
    refusals.push([
      'other shapes',
      () => loadCheckpoint(widerBytes, target, opt),
      /tensor "fc1.weight" has shape \[6, 9\] in the file, the model's parameter has \[6, 8\]/,
    ]);
    const noBn = makeModel(rt(), 9, { batchNorm: false });
    const noBnBytes = await saveCheckpoint(noBn);
    refusals.push(['missing tensors', () => loadCheckpoint(noBnBytes, target), /the file has no tensor "bn1.gamma" \(the model's parameter, shape \[8\]\)/]);
    const decoded = decodeSafetensors(good);
    const { data_crc32: _crc, ...noCrc } = decoded.metadata; // as another tool would write it: no checksum
    const extraBytes = encodeSafetensors([...decoded.tensors.values(), { name: 'fc3.weight', shape: [2, 2], data: new Float32Array(4) }], noCrc);
    refusals.push(['an extra tensor', () => loadCheckpoint(extraBytes, target, opt), /1 tensor\(s\) the model does not: "fc3.weight" \[2, 2\]/]);
    const noOptBytes = await saveCheckpoint(other);
    refusals.push([
      'no optimizer state',
      () => loadCheckpoint(noOptBytes, target, opt),
      /the file has no optimizer state, and Adam keeps m, v \(it was saved without one\? Load the weights alone/,
    ]);
    const mom = chain(momentum({ lr: 0.1 })).init(other.arena);
    trainSteps(rt(), other, mom, 4, 5);
    const momBytes = await saveCheckpoint(other, mom);
    refusals.push([
      "another optimizer's state",
      () => loadCheckpoint(momBytes, target, opt),
      /optimizer state "velocity" \(written by ChainOptimizer\), which Adam does not keep \(it keeps: m, v\)/,
    ]);
    const { step: _step, ...noStep } = decoded.metadata;
    const noStepBytes = encodeSafetensors([...decoded.tensors.values()], noStep);
    refusals.push(['no step count', () => loadCheckpoint(noStepBytes, target, opt), /no "step" metadata, so the optimizer's step count cannot be restored/]);
    const partial = encodeSafetensors(
      [...decoded.tensors.values()].filter((t) => t.name !== 'optim.v.fc2.bias'),
      noCrc,
    );
    refusals.push([
      'a missing moment',
      () => loadCheckpoint(partial, target, opt),
      /no tensor "optim.v.fc2.bias" \(the optimizer's v state of fc2.bias, shape \[3\]\)$/,
    ]);
    const momIntoChainAdam = chain(momentum({ lr: 0.1 })).init(target.arena);
    refusals.push([
      'state the optimizer does not keep',
      () => loadCheckpoint(good, target, momIntoChainAdam),
      /optimizer state "m", "v" \(written by Adam\), which ChainOptimizer does not keep \(it keeps: velocity\)/,
    ]);
    const notOurs = encodeSafetensors([...decoded.tensors.values()], { ...decoded.metadata, format: 'pt' });
    refusals.push(['another format', () => loadCheckpoint(notOurs, target, opt), /format is "pt"/]);
    const newer = encodeSafetensors([...decoded.tensors.values()], { ...decoded.metadata, format_version: '2' });
    refusals.push(['a newer version', () => loadCheckpoint(newer, target, opt), /format_version 2 is newer than this code reads \(1\)/]);

    for (const [what, load, msg] of refusals) {
      let err: unknown;
      try {
        load();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(CheckpointError);
      expect((err as Error).message, what).toMatch(msg);
    }
    expect(await fullState(target, opt)).toEqual(before);

    // The same good file does load (so the refusals above were not vacuous).
    loadCheckpoint(good, target, opt);
    expect(await fullState(target, opt)).toEqual(goodState);
    for (const x of [opt, otherOpt, mom, momIntoChainAdam]) x.dispose();
    for (const m of [target, other, wider, noBn]) m.dispose();
  });

  it('Node: writes files atomically (temporary file, fsync, rename), replaces old ones, and leaves nothing behind on failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    dirs.push(dir);
    const a = makeModel(rt(), 10);
    const oa = new Adam(a.arena, { lr: 0.01 });
    trainSteps(rt(), a, oa, 0, 2);
    const path = join(dir, 'run.safetensors');
    writeFileSync(path, 'an older checkpoint');
    fsyncs.calls.length = 0;
    const bytes = await writeCheckpointFile(path, a, oa);
    // Two fsyncs: the temporary file's data before the rename, then the directory's entry after it.
    expect(fsyncs.calls).toEqual(['file', 'directory']);
    expect(readdirSync(dir)).toEqual(['run.safetensors']);
    expect(readCheckpointBytes(path)).toEqual(bytes);
    const b = makeModel(rt(), 11);
    const ob = new Adam(b.arena, { lr: 0.01 });
    expect(readCheckpointFile(path, b, ob).step).toBe(2);
    expect(await fullState(b, ob)).toEqual(await fullState(a, oa));

    // The rename fails (the target is a non-empty directory): the temporary file is removed, the target untouched.
    const blocked = join(dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'keep'), 'x');
    const refused = (() => {
      try {
        writeFileAtomic(blocked, bytes);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(refused).toBeInstanceOf(FileError);
    expect((refused as FileError).path).toBe(blocked);
    expect(['EISDIR', 'ENOTEMPTY', 'NOT_REGULAR']).toContain((refused as FileError).reason);
    expect(readdirSync(dir).sort()).toEqual(['blocked', 'run.safetensors']);
    expect(readdirSync(blocked)).toEqual(['keep']);
    // A directory that does not exist: nothing is created.
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.safetensors'), bytes)).toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    for (const x of [oa, ob]) x.dispose();
    a.dispose();
    b.dispose();
  });
});
