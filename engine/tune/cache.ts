/**
 * Where the tuner keeps its choices between runs: a JSON file in Node, localStorage in the
 * browser, or nothing (memory only). The stored value is a {@link TuneFile}: choices by adapter
 * (its description string), then by kernel (with the hash of the kernel's source and candidate
 * list), then by case key. The tuner ignores an adapter or kernel entry that does not match the
 * current one and rewrites it.
 */

/** What one kernel's entry holds on one adapter. */
export interface TuneKernelEntry {
  /** Hash of the kernel's source (WGSL and plan code) and candidate list: a different hash makes the entry stale. */
  hash: string;
  /** The chosen candidate by case key, and the milliseconds it measured. */
  choices: Record<string, { choice: unknown; ms: number }>;
}

/** The whole stored value. */
export interface TuneFile {
  version: 1;
  /** By adapter description (see `adapterId` in ./tuner.ts), then by kernel name. */
  adapters: Record<string, Record<string, TuneKernelEntry>>;
}

/** A place to load and save a {@link TuneFile}. */
export interface TuneStore {
  /** Where the choices live, for messages: a file path, `localStorage:<key>` or `memory`. */
  readonly where: string;
  /** The stored value, or null when there is none or it cannot be read (a damaged cache is ignored). */
  load(): Promise<TuneFile | null>;
  save(file: TuneFile): Promise<void>;
}

/** The file name inside the cache directory. */
export const TUNE_FILE_NAME = 'tune.json';

/** The localStorage key in the browser. */
export const TUNE_STORAGE_KEY = 'webgpu-regularization:tune';

function parse(text: string | null | undefined): TuneFile | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<TuneFile>;
    if (v && v.version === 1 && v.adapters && typeof v.adapters === 'object') return v as TuneFile;
  } catch {
    // A damaged file is treated as no cache; the next save replaces it.
  }
  return null;
}

/** Keeps the value in memory only (nothing survives the process or page). */
export function memoryStore(): TuneStore {
  let text: string | null = null;
  return {
    where: 'memory',
    load: async () => parse(text),
    save: async (f) => {
      text = JSON.stringify(f);
    },
  };
}

/** A JSON file `<dir>/tune.json` (Node); the directory is created on the first save. */
export function fileStore(dir: string): TuneStore {
  const path = `${dir.replace(/\/+$/, '')}/${TUNE_FILE_NAME}`;
  // Computed specifiers keep bundlers (Vite) from pulling Node modules into browser builds.
  const fsName = 'node:fs/promises';
  return {
    where: path,
    async load() {
      const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
      try {
        return parse(await fs.readFile(path, 'utf8'));
      } catch {
        return null;
      }
    },
    async save(f) {
      const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
      await fs.mkdir(dir, { recursive: true });
      // Write then rename, so a process reading the file never sees half of it.
      const tmp = `${path}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
      await fs.writeFile(tmp, `${JSON.stringify(f, null, 1)}\n`);
      await fs.rename(tmp, path);
    },
  };
}

/** localStorage under `key` (browser). */
export function localStorageStore(storage: Storage, key = TUNE_STORAGE_KEY): TuneStore {
  return {
    where: `localStorage:${key}`,
    load: async () => parse(storage.getItem(key)),
    save: async (f) => {
      try {
        storage.setItem(key, JSON.stringify(f));
      } catch {
        // Quota exceeded or storage disabled: the choices stay in memory for this page.
      }
    },
  };
}

function nodeEnv(): Record<string, string | undefined> | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  return p?.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined' ? p.env : undefined;
}

/**
 * The cache directory in Node: `WEBGPU_TUNE_CACHE` if set, else `$XDG_CACHE_HOME/webgpu-regularization`
 * if `XDG_CACHE_HOME` is set, else `node_modules/.cache/webgpu-regularization` under the working
 * directory. Null outside Node.
 */
export function defaultCacheDir(): string | null {
  const env = nodeEnv();
  if (!env) return null;
  if (env.WEBGPU_TUNE_CACHE) return env.WEBGPU_TUNE_CACHE;
  if (env.XDG_CACHE_HOME) return `${env.XDG_CACHE_HOME.replace(/\/+$/, '')}/webgpu-regularization`;
  const cwd = (globalThis as unknown as { process: { cwd(): string } }).process.cwd();
  return `${cwd}/node_modules/.cache/webgpu-regularization`;
}

/** The default store of this host: {@link fileStore} in {@link defaultCacheDir} in Node, localStorage in a browser, else memory. */
export function defaultStore(): TuneStore {
  const dir = defaultCacheDir();
  if (dir) return fileStore(dir);
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  return ls ? localStorageStore(ls) : memoryStore();
}
