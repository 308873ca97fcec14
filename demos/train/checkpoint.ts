/**
 * A trained model as a safetensors file (the library's checkpoint format, engine/io/checkpoint.ts):
 * the parameters and buffers (batch norm's running statistics) as exact F32 tensors under their
 * layer names, which Python's `safetensors` package reads, plus what is needed to rebuild the same
 * network in the file's `__metadata__` strings: the network's shape (an MLP's layer sizes, or
 * `model: cnn` with the CNN's channels and dense width), the page's settings (which
 * regularizers add layers), the step reached (the dropout masks continue from there) and when it
 * was saved. The same bytes are downloaded and kept in IndexedDB.
 */
import { crc32, decodeSafetensors, loadCheckpoint, saveCheckpoint, type Sequential } from 'webgpu-regularization';
import { sanitize, type NetShape, type TrainSettings } from './settings';

/** The `demo` metadata tag; a file without it is refused. */
export const DEMO_TAG = 'train-demo@1';

/** What a checkpoint file holds, decoded and checked (the tensors stay in `bytes` until they are loaded). */
export interface Checkpoint {
  net: NetShape;
  settings: TrainSettings;
  step: number;
  /** When it was saved (ISO 8601), if the file says. */
  savedAt?: string;
  bytes: Uint8Array;
}

/** The safetensors bytes of `model`, with the page's metadata. */
export function encodeCheckpoint(model: Sequential, c: { net: NetShape; settings: TrainSettings; step: number; savedAt: Date }): Promise<Uint8Array> {
  const shape: Record<string, string> =
    c.net.kind === 'cnn' ? { model: 'cnn', channels: c.net.channels.join(','), dense: String(c.net.dense) } : { sizes: c.net.sizes.join(',') };
  return saveCheckpoint(model, undefined, {
    metadata: {
      demo: DEMO_TAG,
      ...shape,
      settings: JSON.stringify(c.settings),
      fit_step: String(c.step),
      saved_at: c.savedAt.toISOString(),
    },
  });
}

/**
 * Decodes a checkpoint's bytes and checks them (the safetensors structure, the data's CRC-32, the
 * page's metadata) before anything on the page changes; throws saying what is wrong.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.demo !== DEMO_TAG) {
    throw new Error(
      `checkpoint: not a model saved by this page (its metadata "demo" should be "${DEMO_TAG}", got ${metadata.demo === undefined ? 'none' : `"${metadata.demo}"`})`,
    );
  }
  // The data's checksum, as loadCheckpoint checks it, but before the current network is replaced.
  if (metadata.data_crc32 !== undefined) {
    const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const got = names.reduce((c, n) => {
      const d = tensors.get(n)!.data;
      return crc32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), c);
    }, 0);
    if (got.toString(16).padStart(8, '0') !== metadata.data_crc32.toLowerCase())
      throw new Error(
        `checkpoint: the tensor data does not match its checksum (CRC-32 ${got.toString(16).padStart(8, '0')}, the file says ${metadata.data_crc32}): the file is corrupted`,
      );
  }
  const net = netOf(metadata);
  let settings: unknown;
  try {
    settings = JSON.parse(metadata.settings ?? '');
  } catch {
    throw new Error(`checkpoint: the settings are not JSON ("${(metadata.settings ?? '').slice(0, 40)}")`);
  }
  const step = Number(metadata.fit_step);
  const known = sanitize(typeof settings === 'object' && settings !== null ? (settings as Partial<Record<keyof TrainSettings, unknown>>) : {});
  return {
    net,
    settings: { ...known, model: net.kind },
    step: Number.isSafeInteger(step) && step >= 0 ? step : 0,
    savedAt: metadata.saved_at,
    bytes,
  };
}

const positive = (n: number): boolean => Number.isInteger(n) && n > 0;

/** The network's shape from a file's metadata; throws saying which field is wrong. */
function netOf(metadata: Record<string, string>): NetShape {
  if (metadata.model === 'cnn') {
    const channels = (metadata.channels ?? '').split(',').map(Number);
    const dense = Number(metadata.dense);
    if (channels.length !== 2 || !channels.every(positive))
      throw new Error(`checkpoint: a CNN's channels must be two widths "c1,c2", got "${metadata.channels ?? ''}"`);
    if (!positive(dense)) throw new Error(`checkpoint: a CNN's dense width must be a positive integer, got "${metadata.dense ?? ''}"`);
    return { kind: 'cnn', channels: [channels[0], channels[1]], dense };
  }
  const sizes = (metadata.sizes ?? '').split(',').map(Number);
  if (sizes.length < 2 || !sizes.every(positive) || sizes[0] !== 784 || sizes[sizes.length - 1] !== 10) {
    throw new Error(`checkpoint: sizes must be "784,…,10", got "${metadata.sizes ?? ''}"`);
  }
  return { kind: 'mlp', sizes };
}

/** Writes the checkpoint's tensors into `model` (built from its shape and settings); throws naming a missing or misshapen tensor. */
export function loadInto(c: Checkpoint, model: Sequential): void {
  loadCheckpoint(c.bytes, model);
}
