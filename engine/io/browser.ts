/**
 * Checkpoints in the browser: offered as a download (a Blob behind an `<a download>`), and kept in
 * IndexedDB under a key so that a page can reload and resume. Browser-only (it uses `document` and
 * `indexedDB`); Node has ./node.ts. The bytes are those of ./checkpoint.ts (safetensors).
 */
import { ArgumentError, describeValue } from '../runtime/errors';
import { CheckpointError } from './safetensors';

function checkBytes(where: string, bytes: unknown): void {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`${where}: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
}

function checkKey(where: string, key: unknown): void {
  if (typeof key !== 'string') throw new ArgumentError(`${where}: the key must be a string, got ${describeValue(key)}`);
}

function checkStoreOptions(where: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  const name = (options as CheckpointStoreOptions).dbName;
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    throw new ArgumentError(`${where}: dbName must be a non-empty string, got ${describeValue(name)}`);
}

/** The IndexedDB database and object store the checkpoints live in. */
export const CHECKPOINT_DB = { name: 'webgpu-regularization', store: 'checkpoints' } as const;

/** Options of the IndexedDB helpers. */
export interface CheckpointStoreOptions {
  /** Database name (default {@link CHECKPOINT_DB}.name). */
  dbName?: string;
}

/**
 * Offers `bytes` as a file download called `filename` (default `checkpoint.safetensors`): a Blob URL
 * on an `<a download>` that is clicked and removed; the URL is revoked once the click was handled.
 * Returns the anchor that was clicked (its `download` and `href` say what was offered).
 */
export function downloadCheckpoint(bytes: Uint8Array, filename = 'checkpoint.safetensors'): HTMLAnchorElement {
  checkBytes('downloadCheckpoint', bytes);
  if (typeof filename !== 'string' || filename === '')
    throw new ArgumentError(`downloadCheckpoint: the file name must be a non-empty string, got ${describeValue(filename)}`);
  if (typeof document === 'undefined')
    throw new CheckpointError('downloadCheckpoint: no document (this helper runs in a browser page; in Node use engine/io/node)');
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has taken the Blob by the time the next task runs; keep the URL a while for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return a;
}

function openDb(options: CheckpointStoreOptions): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new CheckpointError('checkpoint store: indexedDB is not available here'));
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(options.dbName ?? CHECKPOINT_DB.name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(CHECKPOINT_DB.store)) req.result.createObjectStore(CHECKPOINT_DB.store);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () =>
      reject(
        new CheckpointError(`checkpoint store: cannot open IndexedDB "${options.dbName ?? CHECKPOINT_DB.name}": ${req.error?.message ?? 'unknown error'}`),
      );
    req.onblocked = () => reject(new CheckpointError('checkpoint store: IndexedDB is blocked by another open connection'));
  });
}

/** Runs one request in a transaction and resolves when the transaction has committed. */
async function withStore<T>(mode: IDBTransactionMode, options: CheckpointStoreOptions, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb(options);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(CHECKPOINT_DB.store, mode);
      const req = op(tx.objectStore(CHECKPOINT_DB.store));
      tx.oncomplete = () => resolve(req.result);
      tx.onabort = tx.onerror = () =>
        reject(new CheckpointError(`checkpoint store: ${mode} failed: ${tx.error?.message ?? req.error?.message ?? 'unknown error'}`));
    });
  } finally {
    db.close();
  }
}

/** Stores `bytes` under `key` (replacing what was there); resolves once the write has committed. */
export async function storeCheckpoint(key: string, bytes: Uint8Array, options: CheckpointStoreOptions = {}): Promise<void> {
  checkKey('storeCheckpoint', key);
  checkBytes('storeCheckpoint', bytes);
  checkStoreOptions('storeCheckpoint', options);
  // A copy of exactly these bytes (a view's buffer may be larger than the view).
  const copy = bytes.slice().buffer;
  await withStore('readwrite', options, (s) => s.put(copy, key));
}

/** The checkpoint stored under `key`, or undefined if there is none. */
export async function loadStoredCheckpoint(key: string, options: CheckpointStoreOptions = {}): Promise<Uint8Array | undefined> {
  checkKey('loadStoredCheckpoint', key);
  checkStoreOptions('loadStoredCheckpoint', options);
  const v = await withStore<unknown>('readonly', options, (s) => s.get(key));
  if (v === undefined) return undefined;
  if (!(v instanceof ArrayBuffer))
    throw new CheckpointError(`checkpoint store: the value under ${describeValue(key)} is not a checkpoint (an ArrayBuffer expected)`);
  return new Uint8Array(v);
}

/** Removes the checkpoint stored under `key` (nothing happens if there is none). */
export async function deleteStoredCheckpoint(key: string, options: CheckpointStoreOptions = {}): Promise<void> {
  checkKey('deleteStoredCheckpoint', key);
  checkStoreOptions('deleteStoredCheckpoint', options);
  await withStore('readwrite', options, (s) => s.delete(key));
}

/** The keys of the stored checkpoints. */
export async function storedCheckpointKeys(options: CheckpointStoreOptions = {}): Promise<string[]> {
  checkStoreOptions('storedCheckpointKeys', options);
  const keys = await withStore('readonly', options, (s) => s.getAllKeys());
  return keys.map(String);
}
