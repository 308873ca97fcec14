/**
 * A trained model as a JSON file: `exportState()`'s parameters and buffers (batch norm's running
 * statistics), each as the base64 of its little-endian f32 bytes (exact, and a third of the size of
 * decimal text), plus what is needed to rebuild the same network: the layer sizes and the settings
 * (which regularizers add layers), and the step reached (the dropout masks continue from there).
 */
import type { ModelState } from 'webgpu-regularization';
import { sanitize, type TrainSettings } from './settings';

/** The format tag; a file without it is refused. */
export const CHECKPOINT_FORMAT = 'webgpu-regularization/train-demo-checkpoint@1';

/** What a checkpoint file holds. */
export interface Checkpoint {
  sizes: number[];
  settings: TrainSettings;
  step: number;
  state: ModelState;
}

interface CheckpointJson {
  format: string;
  sizes: number[];
  settings: TrainSettings;
  step: number;
  /** Name → base64 of little-endian f32. */
  params: Record<string, string>;
  buffers: Record<string, string>;
}

function toBase64(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(where: string, s: unknown): Float32Array {
  if (typeof s !== 'string') throw new Error(`checkpoint: ${where} is not a base64 string`);
  const bin = atob(s);
  if (bin.length % 4 !== 0) throw new Error(`checkpoint: ${where} has ${bin.length} bytes, not a whole number of f32 values`);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function mapValues<A, B>(o: Record<string, A>, f: (k: string, v: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(k, v)]));
}

/** The JSON text of a checkpoint. */
export function encodeCheckpoint(c: Checkpoint): string {
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT,
    sizes: c.sizes,
    settings: c.settings,
    step: c.step,
    params: mapValues(c.state.params, (_, v) => toBase64(v)),
    buffers: mapValues(c.state.buffers, (_, v) => toBase64(v)),
  };
  return JSON.stringify(json);
}

/** Parses a checkpoint's JSON text; throws saying what is wrong with it. */
export function decodeCheckpoint(text: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`checkpoint: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const j = raw as Partial<CheckpointJson> | null;
  if (!j || typeof j !== 'object' || j.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: not a file saved by this page (format should be "${CHECKPOINT_FORMAT}")`);
  const sizes = j.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n > 0) || sizes[0] !== 784 || sizes[sizes.length - 1] !== 10) {
    throw new Error(`checkpoint: sizes must be [784, …, 10], got ${JSON.stringify(sizes)}`);
  }
  if (!j.params || typeof j.params !== 'object' || !j.buffers || typeof j.buffers !== 'object') throw new Error('checkpoint: params and buffers are missing');
  const step = Number.isInteger(j.step) && (j.step ?? -1) >= 0 ? (j.step as number) : 0;
  return {
    sizes,
    settings: sanitize(j.settings ?? {}),
    step,
    state: {
      params: mapValues(j.params, (k, v) => fromBase64(`params["${k}"]`, v)),
      buffers: mapValues(j.buffers, (k, v) => fromBase64(`buffers["${k}"]`, v)),
    },
  };
}
