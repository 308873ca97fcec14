/**
 * Misuse, table by table: every call the hostile-input review found accepting a bad argument
 * silently, throwing an untyped error, or leaving state half-changed on the way out. Each bad call
 * now throws a typed engine error (ArgumentError, ShapeError, FileError, CheckpointError) before it
 * allocates or frees anything: the runtime's live tensors and recorded work are unchanged, and the
 * object stays usable.
 * - u32/i32 tensors from 1.5, −1, NaN, 2^32 + 7, … are refused, not truncated or wrapped;
 * - dispatch grids of NaN, −1, 1.5 or Infinity workgroups are refused before a pipeline or uniform
 *   slot is made;
 * - MinibatchStream.batch(−1 / 1.5 / NaN) allocates nothing and frees nothing (the epoch's order
 *   survives, the next batch is the right one);
 * - coefficients like `l2({ alpha: null })`, data sets of 0 features, extra dropout probabilities;
 * - the Node file helpers: ENOENT, EISDIR and a FIFO are FileErrors naming the path (the FIFO read
 *   runs in a child with a deadline: it used to block forever), and an atomic replace keeps the
 *   file's mode;
 * - Runtime.dispose(), the name tensors and models use, is destroy().
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  CheckpointError,
  createMlp,
  DeviceLostError,
  type EngineError,
  FileError,
  GpuDataset,
  loadCheckpoint,
  Runtime,
  saveCheckpoint,
  ShapeError,
} from '../../engine/index';
import { MinibatchStream } from '../../engine/data/minibatches';
import { downloadCheckpoint, loadStoredCheckpoint, storeCheckpoint } from '../../engine/io/browser';
import { readCheckpointBytes, readCheckpointFile, writeFileAtomic } from '../../engine/io/node';
import { dropout } from '../../regularizers/dropout';
import { mlp } from '../../regularizers/model';
import { elasticNet, l1, l2 } from '../../regularizers/penalties';
import { useRuntime } from '../helpers/gpu';
import { makeModel } from '../io/train-helper';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'misuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `fn` throws (or undefined). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** One row: a label, the call, the error class and a pattern of its message. */
type Row = [string, () => unknown, abstract new (...args: never[]) => EngineError, RegExp];

function expectRows(rows: readonly Row[]): void {
  for (const [what, call, type, msg] of rows) {
    const e = thrown(call);
    expect(e, what).toBeInstanceOf(type);
    expect((e as Error).message, what).toMatch(msg);
    expect((e as Error).message.length, what).toBeLessThan(400);
  }
}

describe('misuse is refused, typed, and changes nothing', () => {
  const rt = useRuntime();

  it('integer tensors: only integers in range, never coerced, nothing allocated when refused', async () => {
    const before = rt().memoryStats().liveTensors;
    const rows: Row[] = [
      ...[1.5, -1, Number.NaN, 2 ** 32 + 7, 2 ** 32, Number.POSITIVE_INFINITY, -0.5].map(
        (v): Row => [
          `u32 ${v}`,
          () => rt().tensor([0, v], [2], 'u32'),
          ArgumentError,
          /the value at index 1 is .*, not a u32 \(an integer in \[0, 4294967295\]\)/,
        ],
      ),
      ...[0.5, 2 ** 31, -(2 ** 31) - 1, Number.NaN, Number.NEGATIVE_INFINITY].map(
        (v): Row => [
          `i32 ${v}`,
          () => rt().tensor([v], [1], 'i32'),
          ArgumentError,
          /the value at index 0 is .*, not a i32 \(an integer in \[-2147483648, 2147483647\]\)/,
        ],
      ),
      ['u32 from a Float32Array of fractions', () => rt().tensor(new Float32Array([1, 2.5]), [2], 'u32'), ArgumentError, /index 1 is 2.5/],
      ['u32 from an Int32Array with a negative', () => rt().tensor(new Int32Array([-3]), [1], 'u32'), ArgumentError, /index 0 is -3/],
      ['a string among numbers', () => rt().tensor([1, '2' as unknown as number], [2], 'u32'), ArgumentError, /index 1 is "2"/],
      ['a string in an f32 array', () => rt().tensor([1, 'x' as unknown as number]), ArgumentError, /index 1 is "x", not a number/],
      ['null data', () => rt().tensor(null as unknown as number[]), ArgumentError, /data must be a typed array or an array of numbers, got null/],
      ['bigints', () => rt().tensor(new BigInt64Array(2) as unknown as number[]), ArgumentError, /bigints are not numbers/],
      ['an unknown dtype', () => rt().tensor([1], [1], 'f64' as 'f32'), ArgumentError, /unknown dtype "f64"/],
    ];
    expectRows(rows);
    expect(rt().memoryStats().liveTensors).toBe(before);
    // The edges of each range are integers like any other.
    const u = rt().tensor([0, 2 ** 32 - 1, -0], [3], 'u32');
    const i = rt().tensor([-(2 ** 31), 2 ** 31 - 1], [2], 'i32');
    expect(Array.from(await u.toArray())).toEqual([0, 2 ** 32 - 1, 0]);
    expect(Array.from(await i.toArray())).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    u.dispose();
    i.dispose();
  });

  it('dispatch grids: integers in [0, the device limit], refused before anything is recorded', () => {
    const a = rt().tensor([1, 2, 3, 4]);
    const out = rt().empty([4]);
    const max = rt().device.limits.maxComputeWorkgroupsPerDimension;
    const spec = (workgroups: unknown) => ({
      shader: 'elementwise' as const,
      entry: 'scale',
      uniforms: { n: 4, alpha: 2 },
      bindings: { a, out },
      workgroups: workgroups as [number],
    });
    const work = rt().workStats();
    const rows: Row[] = [
      ...[Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, '2', null].map(
        (x): Row => [`x = ${String(x)}`, () => rt().dispatch(spec([x])), ArgumentError, /the workgroup count x is .* \(an integer ≥ 0 expected\)/],
      ),
      ['y = 0.5', () => rt().dispatch(spec([1, 0.5])), ArgumentError, /the workgroup count y is 0.5/],
      ['z = -2', () => rt().dispatch(spec([1, 1, -2])), ArgumentError, /the workgroup count z is -2/],
      ['no counts', () => rt().dispatch(spec([])), ArgumentError, /workgroups must be \[x\], \[x, y\] or \[x, y, z\], got an array of 0/],
      ['four counts', () => rt().dispatch(spec([1, 1, 1, 1])), ArgumentError, /got an array of 4/],
      ['a number, not a list', () => rt().dispatch(spec(4)), ArgumentError, /got 4/],
      [
        'past the limit',
        () => rt().dispatch(spec([max + 1])),
        ArgumentError,
        new RegExp(`grid \\[${max + 1}, 1, 1\\] exceeds ${max} workgroups per dimension`),
      ],
    ];
    expectRows(rows);
    expect(rt().workStats()).toEqual(work);
    // Zero workgroups is a valid, empty dispatch; one is a real one.
    rt().dispatch(spec([0]));
    rt().dispatch(spec([1]));
    expect(rt().workStats().dispatches).toBe(work.dispatches + 1);
    a.dispose();
    out.dispose();
  });

  it('MinibatchStream.batch of a bad step: refused before anything is freed or allocated; the stream stays usable', async () => {
    const base = rt().memoryStats().liveTensors;
    const n = 12;
    const images = Float32Array.from({ length: n * 3 }, (_, i) => i);
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const data = GpuDataset.upload(rt(), images, labels, 2);
    const stream = new MinibatchStream(data, 4, 7);
    const first = stream.batch(0); // the epoch's order is now kept
    const want = await first.x.toArray();
    first.x.dispose();
    first.targets.dispose();
    const live = rt().memoryStats().liveTensors;
    const rows: Row[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', null].map(
      (step): Row => [`batch(${String(step)})`, () => stream.batch(step as number), ArgumentError, /MinibatchStream.batch: step must be an integer ≥ 0, got /],
    );
    expectRows(rows);
    expect(rt().memoryStats().liveTensors).toBe(live);
    const again = stream.batch(0);
    expect(await again.x.toArray()).toEqual(want);
    again.x.dispose();
    again.targets.dispose();
    expect(rt().memoryStats().liveTensors).toBe(live);
    const order = data.identityOrder();
    expectRows([
      ['a window outside the order', () => data.batch(order, { start: 10, count: 4 }), ArgumentError, /the window \{ start: 10, count: 4 \} is not a range/],
      ['no window', () => data.batch(order, undefined as never), ArgumentError, /the window \{ start: undefined, count: undefined \}/],
      ['a stream of no data set', () => new MinibatchStream({} as GpuDataset, 4, 1), ArgumentError, /data must be a GpuDataset, got an object/],
    ]);
    order.dispose();
    stream.dispose();
    data.dispose();
    expect(rt().memoryStats().liveTensors).toBe(base);
  });

  it('data and model options: 0 features, extra dropout probabilities, null coefficients', () => {
    const live = rt().memoryStats().liveTensors;
    expectRows([
      ['0 features', () => GpuDataset.upload(rt(), new Float32Array(0), [0, 1], 2), ShapeError, /GpuDataset.upload: 2 .* 0 features/],
      ['l2({ alpha: null })', () => l2({ alpha: null as unknown as number }), ArgumentError, /alpha must be a number, \{ byLayer \}, or a function, got null/],
      [
        'l1({ alpha: [] })',
        () => l1({ alpha: [] as unknown as number }),
        ArgumentError,
        /alpha must be a number, \{ byLayer \}, or a function, got an array of 0/,
      ],
      ['l2({ alpha: { byLayer: null } })', () => l2({ alpha: { byLayer: null } as unknown as number }), ArgumentError, /got an object/],
      ['elasticNet({ l1: Symbol() })', () => elasticNet({ l1: Symbol('x') as unknown as number, l2: 0.1 }), ArgumentError, /got a symbol|must be/],
      [
        'two hidden dropout probabilities for one hidden layer (createMlp)',
        () => createMlp(rt(), { sizes: [4, 3, 2], hiddenDropout: [{ keep: 0.5 }, { keep: 0.5 }] }),
        ArgumentError,
        /2 hidden dropout probabilities for 1 hidden layer/,
      ],
      [
        'two hidden dropout probabilities for one hidden layer (the dropout regularizer)',
        () => mlp(rt(), { sizes: [4, 3, 2], regularizers: [dropout({ hidden: [{ keep: 0.5 }, { keep: 0.5 }] })] }),
        ArgumentError,
        /2 hidden keep probabilities, but the model has 1 hidden layer/,
      ],
    ]);
    expect(rt().memoryStats().liveTensors).toBe(live);
  });

  it('checkpoint arguments: a model, an optimizer and options of the right kinds', async () => {
    const model = makeModel(rt(), 31);
    const bytes = await saveCheckpoint(model);
    expectRows([
      ['no model', () => loadCheckpoint(bytes, undefined as never), ArgumentError, /loadCheckpoint: the model must be a Sequential/],
      ['a string optimizer', () => loadCheckpoint(bytes, model, 'adam' as never), ArgumentError, /the optimizer must be an Optimizer or undefined, got "adam"/],
      ['options as a string', () => loadCheckpoint(bytes, model, undefined, 'strict' as never), ArgumentError, /options must be an object, got "strict"/],
      ['strict: "no"', () => loadCheckpoint(bytes, model, undefined, { strict: 'no' as never }), ArgumentError, /option strict must be a boolean, got "no"/],
      [
        'bytes as an ArrayBuffer',
        () => loadCheckpoint(bytes.buffer as never, model),
        CheckpointError,
        /expected the file's bytes as a Uint8Array, got \[object ArrayBuffer\]/,
      ],
    ]);
    await expect(saveCheckpoint(model, undefined, { metadata: { n: 3 as unknown as string } })).rejects.toThrow(ArgumentError);
    await expect(saveCheckpoint(model, undefined, { metadata: null as never })).rejects.toThrow(/metadata must be an object of strings, got null/);
    // The browser helpers check theirs before touching the page or IndexedDB.
    expect(() => downloadCheckpoint('bytes' as never)).toThrow(/downloadCheckpoint: bytes must be a Uint8Array, got "bytes"/);
    await expect(storeCheckpoint(7 as never, bytes)).rejects.toThrow(/storeCheckpoint: the key must be a string, got 7/);
    await expect(storeCheckpoint('k', bytes, { dbName: '' })).rejects.toThrow(ArgumentError);
    await expect(loadStoredCheckpoint(null as never)).rejects.toThrow(ArgumentError);
    model.dispose();
  });

  it('Node file helpers: ENOENT, EISDIR and bad arguments are FileErrors or ArgumentErrors naming the path', async () => {
    const missing = join(dir, 'missing.safetensors');
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    const model = makeModel(rt(), 32);
    const rows: Row[] = [
      [
        'read a missing file',
        () => readCheckpointBytes(missing),
        FileError,
        /readCheckpointBytes: cannot read the file: .* \(ENOENT: ".*missing.safetensors"\)/,
      ],
      ['read a directory', () => readCheckpointBytes(sub), FileError, /the path is a directory, not a regular file \(EISDIR: ".*a-directory"\)/],
      ['load a directory', () => readCheckpointFile(sub, model), FileError, /EISDIR/],
      [
        'replace a directory',
        () => writeFileAtomic(sub, new Uint8Array(1)),
        FileError,
        /writeFileAtomic: the path is a directory, not a regular file \(EISDIR/,
      ],
      [
        'write into a missing directory',
        () => writeFileAtomic(join(dir, 'nope', 'x'), new Uint8Array(1)),
        FileError,
        /cannot write the file: .* \(ENOENT: ".*nope\/x"\)/,
      ],
      ['an empty path', () => readCheckpointBytes(''), ArgumentError, /the path must be a non-empty string/],
      ['a path with NUL', () => writeFileAtomic('a\0b', new Uint8Array(1)), ArgumentError, /without NUL bytes/],
      ['bytes as a string', () => writeFileAtomic(join(dir, 'x'), 'bytes' as never), ArgumentError, /bytes must be a Uint8Array, got "bytes"/],
    ];
    expectRows(rows);
    const e = thrown(() => readCheckpointBytes(missing)) as FileError;
    expect([e.path, e.reason, e.code]).toEqual([missing, 'ENOENT', 'FILE_ERROR']);
    model.dispose();
  });

  it('a FIFO is refused at once, not read (in a child with a deadline: the read used to block forever)', () => {
    const fifo = join(dir, 'pipe.safetensors');
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status, String(made.stderr)).toBe(0);
    const t0 = Date.now();
    const child = spawnSync(join(root, 'node_modules/.bin/tsx'), ['tests/io/hostile-child.ts', fifo], { cwd: root, timeout: 60_000, encoding: 'utf8' });
    expect(child.signal, `the child was killed after ${Date.now() - t0} ms: it blocked`).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as { result: string; error: { name: string; message: string } };
    expect(report.result).toBe('refused');
    expect(report.error.name).toBe('FileError');
    expect(report.error.message).toMatch(/readCheckpointBytes: the path is a FIFO \(named pipe\), not a regular file \(NOT_REGULAR: ".*pipe.safetensors"\)/);
    // Nor is one replaced by an atomic write (renaming over it would swap a pipe for a file).
    expect(() => writeFileAtomic(fifo, new Uint8Array(1))).toThrow(/writeFileAtomic: the path is a FIFO \(named pipe\), not a regular file/);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('writeFileAtomic keeps the mode of the file it replaces, and the symbolic link to it', () => {
    const path = join(dir, 'private.safetensors');
    writeFileSync(path, 'old');
    chmodSync(path, 0o600);
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    chmodSync(path, 0o640);
    writeFileAtomic(path, new Uint8Array([4]));
    expect(statSync(path).mode & 0o777).toBe(0o640);
    const link = join(dir, 'latest.safetensors');
    symlinkSync(path, link);
    writeFileAtomic(link, new Uint8Array([5]));
    expect(Array.from(readFileSync(path))).toEqual([5]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readFileSync(link)).toEqual(readFileSync(path));
  });
});

describe('Runtime.dispose', () => {
  it('is destroy(): the device is lost for good, every later call says so, and a second dispose is harmless', async () => {
    const rt = await Runtime.create();
    const lost = new Promise<DeviceLostError>((done) => rt.onDeviceLost(done));
    rt.dispose();
    rt.dispose();
    expect((await lost).reason).toBe('destroyed');
    expect(() => rt.tensor([1])).toThrow(DeviceLostError);
  });
});
