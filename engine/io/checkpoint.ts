/**
 * Checkpoints: a model's parameters, its non-trained buffers (batch norm's running statistics) and
 * its optimizer's state (velocity, Adam's moments, the step count) in one safetensors file
 * (./safetensors.ts), which the reference Python package reads (`safetensors.numpy.load_file`) and
 * writes for us to load. Platform-neutral: bytes in, bytes out; ./node.ts writes files atomically,
 * ./browser.ts downloads them and keeps them in IndexedDB.
 *
 * Tensor names (all F32, shapes as the model declares them; a Linear weight is [in, out], the
 * transpose of PyTorch's nn.Linear.weight, so transpose it when moving weights across):
 *   - `fc1.weight`, `fc1.bias`, …          parameters, by the model's own names
 *   - `bn1.runningMean`, …                 non-trained buffers, by their names
 *   - `optim.<slot>.<parameter>`          optimizer state per parameter, e.g. `optim.velocity.fc1.weight`,
 *                                          `optim.m.fc1.weight`, `optim.v.fc1.weight`
 * Metadata: `format` ({@link CHECKPOINT_FORMAT}), `format_version`, `step` (the optimizer's step
 * count), `model_seed` (the model's seed, which also keys its dropout masks: a resumed run that
 * should repeat an uninterrupted one builds its model with it), `optimizer` (its class) and `optimizer_slots`, `data_crc32` (the CRC-32 of the tensors'
 * bytes taken in name order, so that it holds wherever a tool lays them out: the format itself has no
 * checksum, and a flipped bit in the data would otherwise load silently), plus the caller's own
 * strings. Files without `data_crc32` (other tools') load unchecked; a tool that changes values must
 * drop it.
 *
 * Loading validates the whole file against the model (and optimizer) before it writes anything to
 * the GPU: a truncated or corrupted file, a missing, extra or misshapen tensor is refused with a
 * {@link CheckpointError} that names it, and the model and optimizer are left as they were.
 */
import type { Optimizer } from '../optim/optimizers';
import type { Runtime } from '../runtime/runtime';
import type { Tensor } from '../runtime/tensor';
import type { Sequential } from '../nn/sequential';
import { ArgumentError, describeValue, quoteString } from '../runtime/errors';
import { CALLBACK_PREFIX, CALLBACKS_KEY, collectCallbackStates, readCallbackStates, type StatefulCallback } from './callback-state';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors';

/** The `format` metadata of the engine's checkpoints. */
export const CHECKPOINT_FORMAT = 'webgpu-regularization-checkpoint';

/** The `format_version` this code writes, and the newest it reads. */
export const CHECKPOINT_VERSION = 1;

/** The prefix of optimizer-state tensors. */
export const OPTIMIZER_PREFIX = 'optim.';

/** Metadata keys the checkpoint writes itself (a caller's metadata may not use them). */
const RESERVED_METADATA = ['format', 'format_version', 'step', 'model_seed', 'optimizer', 'optimizer_slots', 'data_crc32', CALLBACKS_KEY];

/** The CRC-32 table of the reflected polynomial 0xEDB88320. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** Continues the CRC-32 (IEEE 802.3, as zlib's `crc32`) of a byte stream with `bytes`; start from 0. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const table = CRC_TABLE;
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 of the tensors' F32 bytes (little-endian, as on every host this runs on), in name order. */
function dataCrc(tensors: readonly NamedTensor[]): number {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.reduce((c, t) => crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), c), 0);
}

function hex32(x: number): string {
  return x.toString(16).padStart(8, '0');
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Extra metadata strings stored in the file's `__metadata__` (e.g. a run name, an epoch). */
  metadata?: Readonly<Record<string, string>>;
  /** Training callbacks whose state goes into the file too (./callback-state.ts: early stopping's best step, patience and best parameters). */
  callbacks?: readonly StatefulCallback[];
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Refuse a file with tensors the model (and optimizer, if given) does not have (default true).
   * Optimizer-state tensors are always allowed when no optimizer is given: loading weights alone is fine.
   */
  strict?: boolean;
  /**
   * Load NaN and ±Infinity values (default false: a file holding one is refused, naming the tensor
   * and the first such element; weights like that make every later step non-finite).
   */
  allowNonFinite?: boolean;
  /**
   * Training callbacks to give their saved state back (`loadState`, before training resumes); each
   * one that loads state must find its state in the file. Callback tensors in a file are ignored
   * when no callbacks are given (like optimizer state when no optimizer is).
   */
  callbacks?: readonly StatefulCallback[];
}

/** What {@link loadCheckpoint} found in the file. */
export interface CheckpointInfo {
  /** The file's `__metadata__`. */
  metadata: Record<string, string>;
  /** The step count stored in the file (`step`), if any. */
  step: number | undefined;
  /** Names of the tensors written to the model and optimizer. */
  loaded: string[];
  /**
   * The seed of the model that wrote the file (`model_seed`), if recorded. It also keys that model's
   * dropout and noise draws: a resume is bit-exact only into a model built with the same seed
   * (compare with `model.seed`; seeds given directly to a hand-built layer are not recorded).
   */
  modelSeed: number | undefined;
}

function fail(message: string): never {
  throw new CheckpointError(`checkpoint: ${message}`);
}

/** A metadata value in a message: quoted and cut short. */
const q = (s: string): string => quoteString(s);

/**
 * The integer a metadata string holds, refusing anything but plain decimal digits (an optional
 * minus sign where `signed`): no `0x10`, `1e3`, `-0.5`, `+5`, ` 5`, `05` or digits of other scripts,
 * which `Number()` or `parseInt` would take or half-take. Safe integers only.
 */
function metadataInteger(key: string, value: string, signed: boolean, min: number): number {
  const ok = (signed ? /^-?(0|[1-9][0-9]{0,15})$/ : /^(0|[1-9][0-9]{0,15})$/).test(value) && value !== '-0';
  const v = ok ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(v) && v >= min))
    fail(`metadata "${key}" is ${q(value)} (${signed ? 'an integer' : `an integer ≥ ${min}`} in plain decimal digits expected)`);
  return v;
}

/** Checks the model and optimizer arguments of {@link saveCheckpoint} and {@link loadCheckpoint}. */
function checkModelArgs(where: string, model: Sequential, optimizer: Optimizer | undefined): void {
  const m = model as Partial<Sequential> | null | undefined;
  if (typeof m !== 'object' || m === null || typeof m.arena !== 'object' || typeof m.buffers !== 'object')
    throw new ArgumentError(`${where}: the model must be a Sequential (with an arena and buffers), got ${describeValue(model)}`);
  if (optimizer !== undefined) {
    const o = optimizer as Partial<Optimizer> | null;
    if (typeof o !== 'object' || o === null || typeof o.stateTensors !== 'function' || typeof o.setSteps !== 'function')
      throw new ArgumentError(`${where}: the optimizer must be an Optimizer or undefined, got ${describeValue(optimizer)}`);
  }
}

/** Checks that `options` is an object (or undefined) whose `keys` are booleans where given. */
function checkOptions<T extends object>(where: string, options: T | undefined, booleans: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  for (const k of booleans) {
    const v = (options as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== 'boolean') throw new ArgumentError(`${where}: option ${k} must be a boolean, got ${describeValue(v)}`);
  }
  return options;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function slotsOf(optimizer: Optimizer): [string, Tensor<'f32'>][] {
  return Object.entries(optimizer.stateTensors()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Reads the model's parameters and buffers (and the optimizer's state, if given) back from the GPU
 * and encodes them as a safetensors file. Pending work is submitted first, so the checkpoint holds
 * the state after every step recorded so far.
 */
export async function saveCheckpoint(model: Sequential, optimizer?: Optimizer, options?: SaveCheckpointOptions): Promise<Uint8Array> {
  checkModelArgs('saveCheckpoint', model, optimizer);
  options = checkOptions('saveCheckpoint', options, []);
  if (options.metadata !== undefined && (typeof options.metadata !== 'object' || options.metadata === null || Array.isArray(options.metadata)))
    throw new ArgumentError(`saveCheckpoint: metadata must be an object of strings, got ${describeValue(options.metadata)}`);
  const extra = options.metadata ?? {};
  for (const [k, v] of Object.entries(extra)) {
    if (typeof v !== 'string') throw new ArgumentError(`saveCheckpoint: metadata ${q(k)} is ${describeValue(v)}; the format allows only strings`);
    if (RESERVED_METADATA.includes(k)) fail(`metadata key ${q(k)} is reserved (the checkpoint writes ${RESERVED_METADATA.join(', ')} itself)`);
  }
  if (optimizer && optimizer.arena !== model.arena) fail("the optimizer was not made for this model's parameter arena");
  const { arena, buffers } = model;
  const slots = optimizer ? slotsOf(optimizer) : [];
  // Read now, with the copies below: steps recorded while they are read back must not change it.
  const steps = optimizer?.steps;
  const callbackStates = collectCallbackStates(options.callbacks ?? []);
  const [values, bufs, ...states] = (await Promise.all([
    arena.values.toArray(),
    buffers.values.toArray(),
    ...slots.map(([, t]) => t.toArray()),
    ...callbackStates.tensors.map(([, t]) => t.toArray()),
  ])) as Float32Array[];
  const tensors: NamedTensor[] = [];
  const names = new Set<string>();
  const add = (name: string, shape: readonly number[], data: Float32Array) => {
    if (names.has(name)) fail(`two tensors would be called ${q(name)} (a parameter and a buffer share the name?)`);
    names.add(name);
    tensors.push({ name, shape, data });
  };
  for (const p of arena.params) {
    if (p.name.startsWith(OPTIMIZER_PREFIX)) fail(`parameter "${p.name}" starts with "${OPTIMIZER_PREFIX}", which names optimizer state`);
    add(p.name, p.shape, values.subarray(p.offset, p.offset + p.size));
  }
  for (const b of buffers.buffers) {
    if (b.name.startsWith(OPTIMIZER_PREFIX)) fail(`buffer "${b.name}" starts with "${OPTIMIZER_PREFIX}", which names optimizer state`);
    add(b.name, b.shape, bufs.subarray(b.offset, b.offset + b.size));
  }
  slots.forEach(([slot], i) => {
    for (const p of arena.params) add(`${OPTIMIZER_PREFIX}${slot}.${p.name}`, p.shape, states[i].subarray(p.offset, p.offset + p.size));
  });
  callbackStates.tensors.forEach(([name], i) => {
    const data = states[slots.length + i];
    add(name, [data.length], data);
  });
  const crc = dataCrc(tensors);
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    data_crc32: hex32(crc),
    ...extra,
  };
  // Recorded as the loader reads it back: a safe integer in plain digits (other seeds are not recorded).
  if (Number.isSafeInteger(model.seed) && !Object.is(model.seed, -0)) metadata.model_seed = String(model.seed);
  if (optimizer) {
    metadata.step = String(steps);
    metadata.optimizer = optimizer.constructor.name;
    metadata.optimizer_slots = slots.map(([s]) => s).join(',');
  }
  if (callbackStates.json !== undefined) metadata[CALLBACKS_KEY] = callbackStates.json;
  return encodeSafetensors(tensors, metadata);
}

/**
 * Loads a checkpoint into `model` (and `optimizer`: its state and step count). Everything is checked
 * first — the file's integrity, every name and shape, the optimizer's slots and step — and only then
 * written to the GPU; on any error the model and optimizer are unchanged. A file written by other
 * tools (e.g. `safetensors.numpy.save_file`) loads too, given the same names and shapes (F32).
 */
export function loadCheckpoint(bytes: Uint8Array, model: Sequential, optimizer?: Optimizer, options?: LoadCheckpointOptions): CheckpointInfo {
  checkModelArgs('loadCheckpoint', model, optimizer);
  options = checkOptions('loadCheckpoint', options, ['strict', 'allowNonFinite']);
  const strict = options.strict ?? true;
  const { tensors, metadata } = decodeSafetensors(bytes, { allowNonFinite: options.allowNonFinite ?? false });
  const meta = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const format = meta('format');
  if (format !== undefined && format !== CHECKPOINT_FORMAT) fail(`the file's format is ${q(format)}, expected "${CHECKPOINT_FORMAT}" (or none)`);
  const version = meta('format_version');
  if (version !== undefined) {
    const v = metadataInteger('format_version', version, false, 1);
    if (v > CHECKPOINT_VERSION) fail(`format_version ${v} is newer than this code reads (${CHECKPOINT_VERSION})`);
  }
  const crc = meta('data_crc32');
  if (crc !== undefined) {
    if (!/^[0-9a-f]{8}$/i.test(crc)) fail(`metadata "data_crc32" is ${q(crc)} (8 hexadecimal digits expected)`);
    const got = hex32(dataCrc([...tensors.values()]));
    if (got !== crc.toLowerCase()) {
      fail(
        `the tensor data has CRC-32 ${got}, the header's data_crc32 says ${crc}: the file is corrupted (or a tool changed the values and kept the metadata)`,
      );
    }
  }
  const stepText = meta('step');
  const step = stepText === undefined ? undefined : metadataInteger('step', stepText, false, 0);
  const seedText = meta('model_seed');
  const modelSeed = seedText === undefined ? undefined : metadataInteger('model_seed', seedText, true, Number.MIN_SAFE_INTEGER);
  if (optimizer && optimizer.arena !== model.arena) fail("the optimizer was not made for this model's parameter arena");

  const { arena, buffers } = model;
  const used = new Set<string>();
  const take = (name: string, shape: readonly number[], what: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) fail(`the file has no tensor ${q(name)} (the ${what}, shape ${fmt(shape)})${closest(name, tensors)}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      fail(`tensor ${q(name)} has shape ${fmt(t.shape)} in the file, the ${what} has ${fmt(shape)}`);
    used.add(name);
    return t.data;
  };

  // Everything is read and checked into host arrays in the GPU layouts before anything is written.
  const values = new Float32Array(arena.length);
  for (const p of arena.params) values.set(take(p.name, p.shape, "model's parameter"), p.offset);
  const bufs = new Float32Array(buffers.length);
  for (const b of buffers.buffers) bufs.set(take(b.name, b.shape, "model's buffer"), b.offset);
  const slots = optimizer ? slotsOf(optimizer) : [];
  if (optimizer) {
    const fileSlots = [
      ...new Set([...tensors.keys()].filter((n) => n.startsWith(OPTIMIZER_PREFIX)).map((n) => n.slice(OPTIMIZER_PREFIX.length).split('.')[0])),
    ];
    const mine = slots.map(([s]) => s);
    const withoutOptimizer = 'it was saved without one? Load the weights alone by passing no optimizer';
    if (fileSlots.length === 0 && mine.length > 0)
      fail(`the file has no optimizer state, and ${optimizer.constructor.name} keeps ${mine.join(', ')} (${withoutOptimizer})`);
    if (step === undefined) fail(`the file has no "step" metadata, so the optimizer's step count cannot be restored (${withoutOptimizer})`);
    const foreign = fileSlots.filter((s) => !mine.includes(s));
    if (foreign.length > 0) {
      fail(
        `the file has optimizer state ${foreign
          .slice(0, 8)
          .map((s) => q(s))
          .join(
            ', ',
          )}${foreign.length > 8 ? ', …' : ''} (written by ${meta('optimizer')?.slice(0, 64) ?? 'another optimizer'}), which ${optimizer.constructor.name} does not keep (it keeps: ${mine.join(', ') || 'nothing'})`,
      );
    }
  }
  const states = slots.map(([slot]) => {
    const s = new Float32Array(arena.length);
    for (const p of arena.params) s.set(take(`${OPTIMIZER_PREFIX}${slot}.${p.name}`, p.shape, `optimizer's ${slot} state of ${p.name}`), p.offset);
    return s;
  });
  if (strict) {
    const extra = [...tensors.keys()].filter(
      (n) => !used.has(n) && !(optimizer === undefined && n.startsWith(OPTIMIZER_PREFIX)) && !n.startsWith(CALLBACK_PREFIX),
    );
    if (extra.length > 0)
      fail(
        `the file has ${extra.length} tensor(s) the model does not: ${extra
          .slice(0, 8)
          .map((n) => `${q(n)} ${fmt(tensors.get(n)!.shape)}`)
          .join(', ')}${extra.length > 8 ? ', …' : ''} (pass { strict: false } to ignore them)`,
      );
  }

  const callbackStates = readCallbackStates(metadata, tensors, options.callbacks ?? []);
  arena.values.assertAlive('loadCheckpoint (the model)');
  buffers.values.assertAlive("loadCheckpoint (the model's buffers)");
  for (const [slot, t] of slots) t.assertAlive(`loadCheckpoint (the optimizer's ${slot})`);
  const rt: Runtime = arena.rt;
  rt.flush();
  // The callbacks' states are checked by the callbacks themselves, before the model is written: a
  // refusal there leaves the model and optimizer unchanged.
  for (const [callback, state] of callbackStates) callback.loadState!(state, model);
  const write = (t: Tensor<'f32'>, data: Float32Array) => rt.device.queue.writeBuffer(t.buffer, t.byteOffset, data.buffer, data.byteOffset, data.byteLength);
  write(arena.values, values);
  if (buffers.buffers.length > 0) write(buffers.values, bufs);
  slots.forEach(([, t], i) => write(t, states[i]));
  if (optimizer) optimizer.setSteps(step!);
  return { metadata, step, loaded: [...used], modelSeed };
}

/** " (did you mean …?)" for the file's name nearest to `name`, when one shares its last part. */
function closest(name: string, tensors: ReadonlyMap<string, NamedTensor>): string {
  const tail = name.split('.').pop();
  if (name.startsWith(OPTIMIZER_PREFIX)) return '';
  const near = [...tensors.keys()].filter((n) => n.split('.').pop() === tail && !n.startsWith(OPTIMIZER_PREFIX)).slice(0, 3);
  return near.length > 0 ? `; the file has ${near.map((n) => q(n)).join(', ')}` : '';
}
