/**
 * Callback states in checkpoints. A training callback with state of its own (early stopping: its
 * best step, its patience count, the best parameters it kept) saves that state into the checkpoint
 * beside the model, and loads it back before a resumed run continues, so that the resumed run makes
 * the decisions the uninterrupted one would have made.
 *
 * In the file: the metadata key `callbacks` holds a JSON object `{ "<callback name>": { values } }`
 * (numbers, strings, booleans, null, arrays and objects of those, at most {@link MAX_DEPTH} deep);
 * each state tensor is a 1-D F32 tensor named `callback.<callback name>.<tensor name>`. The JSON
 * comes from a file someone else may have written: its size and nesting are checked before it is
 * parsed, and every value a callback receives went through `JSON.parse` only.
 */
import type { Sequential } from '../nn/sequential';
import { ArgumentError } from '../runtime/errors';
import { CheckpointError } from './safetensors';
import type { Tensor } from '../runtime/tensor';

/** A JSON value of a callback's state. */
export type CallbackValue = number | string | boolean | null | readonly CallbackValue[] | { readonly [k: string]: CallbackValue };

/** What a callback saves: plain values, and GPU tensors (saved as F32, flattened). */
export interface CallbackState {
  values: Record<string, CallbackValue>;
  tensors?: Record<string, Tensor<'f32'>>;
}

/** What a callback gets back from a checkpoint: the values, and the tensors' data on the CPU. */
export interface LoadedCallbackState {
  values: Record<string, CallbackValue>;
  tensors: Record<string, Float32Array>;
}

/** A callback whose state goes into checkpoints (the training loop's `TrainingPlugin` has these hooks). */
export interface StatefulCallback {
  readonly name: string;
  saveState?(): CallbackState;
  /** Restores a state {@link StatefulCallback.saveState} made, before training resumes. */
  loadState?(state: LoadedCallbackState, model: Sequential): void;
}

/** The metadata key holding the callbacks' values. */
export const CALLBACKS_KEY = 'callbacks';
/** The prefix of callback state tensors. */
export const CALLBACK_PREFIX = 'callback.';
/** Nesting allowed in the callbacks' JSON (the object of callbacks, a state, and two levels inside it). */
const MAX_DEPTH = 5;
/** Size allowed for the callbacks' JSON. */
const MAX_JSON_CHARS = 1 << 20;

/** The callbacks of `list` that save state, by name (two with one name are an error: their states would collide). */
function stateful(where: string, list: readonly StatefulCallback[]): Map<string, StatefulCallback> {
  if (!Array.isArray(list)) throw new ArgumentError(`${where}: callbacks must be an array`);
  const out = new Map<string, StatefulCallback>();
  for (const c of list) {
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string') throw new ArgumentError(`${where}: a callback must be an object with a name`);
    if (!c.saveState && !c.loadState) continue;
    if (out.has(c.name)) throw new ArgumentError(`${where}: two callbacks are called "${c.name}"; their states would share one name in the file`);
    out.set(c.name, c);
  }
  return out;
}

/**
 * The states of `callbacks` to write: the metadata JSON (undefined when none has state) and the
 * tensors to read back, named as in the file. Called synchronously when the checkpoint is taken.
 */
export function collectCallbackStates(callbacks: readonly StatefulCallback[]): { json: string | undefined; tensors: [string, Tensor<'f32'>][] } {
  const values: Record<string, Record<string, CallbackValue>> = {};
  const tensors: [string, Tensor<'f32'>][] = [];
  for (const [name, c] of stateful('saveCheckpoint', callbacks)) {
    const s = c.saveState?.();
    if (!s) continue;
    values[name] = s.values;
    for (const [t, tensor] of Object.entries(s.tensors ?? {})) tensors.push([`${CALLBACK_PREFIX}${name}.${t}`, tensor]);
  }
  const json = Object.keys(values).length > 0 ? JSON.stringify(values) : undefined;
  if (json !== undefined) checkJsonShape(json, 'saveCheckpoint');
  return { json, tensors };
}

/** Refuses JSON longer than {@link MAX_JSON_CHARS} or nested deeper than {@link MAX_DEPTH}, without parsing it. */
function checkJsonShape(json: string, where: string): void {
  const fail = (why: string): never => {
    throw new CheckpointError(`${where}: metadata "${CALLBACKS_KEY}" ${why}`);
  };
  if (json.length > MAX_JSON_CHARS) fail(`is ${json.length} characters (at most ${MAX_JSON_CHARS})`);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (++depth > MAX_DEPTH) fail(`is nested more than ${MAX_DEPTH} levels deep`);
    } else if (ch === '}' || ch === ']') depth--;
  }
}

/**
 * The states the file holds for `callbacks`, checked (before anything is written): the JSON's shape,
 * one object per callback, every tensor named `callback.<name>.<tensor>` belonging to a callback
 * that loads state. A callback with state in the file but no `loadState`, or with `loadState` but
 * nothing in the file, is an error: a resume without its state would silently behave differently.
 */
export function readCallbackStates(
  metadata: Readonly<Record<string, string>>,
  tensors: ReadonlyMap<string, { readonly data: Float32Array }>,
  callbacks: readonly StatefulCallback[],
): Map<StatefulCallback, LoadedCallbackState> {
  const where = 'loadCheckpoint';
  const byName = stateful(where, callbacks);
  const raw = metadata[CALLBACKS_KEY];
  let parsed: Record<string, unknown> = {};
  if (raw !== undefined) {
    checkJsonShape(raw, where);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new CheckpointError(`${where}: metadata "${CALLBACKS_KEY}" is not valid JSON`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CheckpointError(`${where}: metadata "${CALLBACKS_KEY}" must be a JSON object`);
    parsed = v as Record<string, unknown>;
  }
  const out = new Map<StatefulCallback, LoadedCallbackState>();
  for (const [name, c] of byName) {
    if (!c.loadState) continue;
    const values = Object.hasOwn(parsed, name) ? parsed[name] : undefined;
    if (values === undefined) throw new CheckpointError(`${where}: the file holds no state for the callback "${name}" (it was saved without it)`);
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw new CheckpointError(`${where}: the state of the callback "${name}" must be a JSON object`);
    out.set(c, { values: values as Record<string, CallbackValue>, tensors: {} });
  }
  for (const name of Object.keys(parsed)) {
    const c = byName.get(name);
    if (c && !c.loadState) throw new CheckpointError(`${where}: the file holds state for the callback "${name}", which cannot load it`);
  }
  for (const [tensorName, { data }] of tensors) {
    if (!tensorName.startsWith(CALLBACK_PREFIX)) continue;
    const rest = tensorName.slice(CALLBACK_PREFIX.length);
    const owner = [...out.keys()].find((c) => rest.startsWith(`${c.name}.`));
    if (!owner) continue;
    out.get(owner)!.tensors[rest.slice(owner.name.length + 1)] = data;
  }
  return out;
}
