/**
 * Checkpoint files in Node: written atomically (a temporary file in the same directory, flushed to
 * disk, then renamed over the target, so a crash leaves the old checkpoint or the new one, never half
 * of one) and read back. Node-only (it imports node:fs): import it as `engine/io/node` and keep it
 * out of browser bundles; the browser has ./browser.ts.
 *
 * Only regular files are read or replaced: a FIFO, a socket, a device or a directory is refused with
 * a {@link FileError} before anything is opened that could block (opening a FIFO for reading waits for
 * a writer forever). Every system error comes back as a `FileError` naming the path and the code.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sequential } from '../nn/sequential';
import type { Optimizer } from '../optim/optimizers';
import { ArgumentError, describeValue, FileError } from '../runtime/errors';
import { loadCheckpoint, saveCheckpoint, type CheckpointInfo, type LoadCheckpointOptions, type SaveCheckpointOptions } from './checkpoint';

let counter = 0;

/** The path argument, checked: a non-empty string without NUL bytes. */
function checkPath(where: string, path: unknown): string {
  if (typeof path !== 'string' || path === '' || path.includes('\0'))
    throw new ArgumentError(`${where}: the path must be a non-empty string without NUL bytes, got ${describeValue(path)}`);
  return path;
}

/** A system error as a {@link FileError} (what `what` was doing, the code, the path). */
function fileError(path: string, what: string, e: unknown): FileError {
  if (e instanceof FileError) return e;
  const code = (e as NodeJS.ErrnoException)?.code ?? 'EIO';
  const detail = (e as Error)?.message ?? String(e);
  return new FileError(path, code, `${what}: ${detail.replace(/^[A-Z]+: /, '')}`, { cause: e });
}

/** What kind of file `st` is, for messages ("a directory", "a FIFO", …). */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function notRegular(path: string, what: string, st: Stats): FileError {
  return new FileError(path, st.isDirectory() ? 'EISDIR' : 'NOT_REGULAR', `${what}: the path is ${kindOf(st)}, not a regular file`);
}

/**
 * Writes `bytes` to `path` atomically: into a temporary file next to it (same directory, so the
 * rename stays on one file system), fsync, rename over `path`, then fsync the directory so the
 * rename itself is durable. A file that is replaced keeps its permission bits (a 0600 checkpoint
 * stays 0600); a new file gets 0644 less the umask. A symbolic link is followed: the file it points
 * to is replaced and the link kept. `path` must be a regular file or not exist. On any error the
 * temporary file is removed, `path` is untouched, and a {@link FileError} says why.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  checkPath('writeFileAtomic', path);
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`writeFileAtomic: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  let target = path;
  let mode: number | undefined;
  let st: Stats | undefined;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    throw fileError(path, 'writeFileAtomic: cannot look at the target', e);
  }
  if (st) {
    if (!st.isFile()) throw notRegular(path, 'writeFileAtomic', st);
    mode = st.mode & 0o7777;
    try {
      target = realpathSync(path);
    } catch (e) {
      throw fileError(path, 'writeFileAtomic: cannot resolve the target', e);
    }
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    // The mode given to open is reduced by the umask; a replaced file's own mode is set exactly.
    if (mode !== undefined) fchmodSync(fd, mode);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fileError(path, 'writeFileAtomic: cannot write the file', e);
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
  checkPath('writeCheckpointFile', path);
  const bytes = await saveCheckpoint(model, optimizer, options);
  writeFileAtomic(path, bytes);
  return bytes;
}

/**
 * The bytes of a checkpoint file (for {@link loadCheckpoint}). Refuses anything but a regular file
 * before opening it, and opens without blocking, so a FIFO swapped in between fails too instead of
 * waiting for a writer.
 */
export function readCheckpointBytes(path: string): Uint8Array {
  checkPath('readCheckpointBytes', path);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw fileError(path, 'readCheckpointBytes: cannot read the file', e);
  }
  if (!st.isFile()) throw notRegular(path, 'readCheckpointBytes', st);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const now = fstatSync(fd);
    if (!now.isFile()) throw notRegular(path, 'readCheckpointBytes', now);
    // Read exactly the size fstat reports; a file that grows meanwhile is read up to that size and refused.
    const out = new Uint8Array(now.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at !== out.length || readSync(fd, new Uint8Array(1), 0, 1, at) !== 0)
      throw new FileError(
        path,
        'ECHANGED',
        `readCheckpointBytes: the file changed size while it was read (${now.size} bytes, then ${at === out.length ? 'more' : at})`,
      );
    return out;
  } catch (e) {
    throw fileError(path, 'readCheckpointBytes: cannot read the file', e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Loads the checkpoint at `path` into `model` (and `optimizer`); see {@link loadCheckpoint}. */
export function readCheckpointFile(path: string, model: Sequential, optimizer?: Optimizer, options?: LoadCheckpointOptions): CheckpointInfo {
  return loadCheckpoint(readCheckpointBytes(path), model, optimizer, options);
}
