/**
 * Checkpoint files in Node: written atomically (a temporary file in the same directory, flushed to
 * disk, then renamed over the target, so a crash leaves the old checkpoint or the new one, never half
 * of one) and read back. Node-only (it imports node:fs): import it as `engine/io/node` and keep it
 * out of browser bundles; the browser has ./browser.ts.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sequential } from '../nn/sequential';
import type { Optimizer } from '../optim/optimizers';
import { loadCheckpoint, saveCheckpoint, type CheckpointInfo, type LoadCheckpointOptions, type SaveCheckpointOptions } from './checkpoint';

let counter = 0;

/**
 * Writes `bytes` to `path` atomically: into a temporary file next to it (same directory, so the
 * rename stays on one file system), fsync, rename over `path`, then fsync the directory so the
 * rename itself is durable. On any error the temporary file is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  // Best effort: some file systems do not allow opening or syncing a directory.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* the rename happened; only its durability across a power cut is not guaranteed here */
  }
}

/** Saves a checkpoint of `model` (and `optimizer`) to `path`, atomically; returns the bytes written. */
export async function writeCheckpointFile(path: string, model: Sequential, optimizer?: Optimizer, options?: SaveCheckpointOptions): Promise<Uint8Array> {
  const bytes = await saveCheckpoint(model, optimizer, options);
  writeFileAtomic(path, bytes);
  return bytes;
}

/** The bytes of a checkpoint file (for {@link loadCheckpoint}). */
export function readCheckpointBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Loads the checkpoint at `path` into `model` (and `optimizer`); see {@link loadCheckpoint}. */
export function readCheckpointFile(path: string, model: Sequential, optimizer?: Optimizer, options?: LoadCheckpointOptions): CheckpointInfo {
  return loadCheckpoint(readCheckpointBytes(path), model, optimizer, options);
}
